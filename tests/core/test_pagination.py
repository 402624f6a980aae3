"""One count-and-paginate helper (issue 10, item 1): core/kit/pagination."""

from __future__ import annotations

from sqlalchemy import select

from anju.core.kit.pagination import count, page_offset, paginate
from anju.registry.models import Building, House


class TestPagination:
    def test_paginate_counts_the_whole_query_and_returns_one_page(self, session, ids):
        stmt = select(House).where(House.compound_id == ids["A"])
        total = count(session, stmt.order_by(House.label))  # an ORDER BY is dropped for counting
        rows, n = paginate(session, stmt, order_by=House.id.desc(), offset=page_offset(2, 3), limit=3)
        assert n == total > 6
        all_ids = sorted((h.id for h in session.execute(stmt).scalars()), reverse=True)
        assert [h.id for h in rows] == all_ids[3:6]

    def test_paginate_rows_for_multi_entity_selects(self, session, ids):
        stmt = select(House, Building.name).join(Building, Building.id == House.building_id)
        rows, n = paginate(session, stmt, order_by=House.id, offset=0, limit=2, scalars=False)
        assert len(rows) == 2 and n >= 2 and isinstance(rows[0][1], str)
