"""Issue 19 item 4: global ids. History and event rows get 64-bit ids with a cell prefix; the rule is core.ids."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from anju.core.ids import CELL_BITS, GLOBAL_ID_TABLES, MAX_CELL, CellError, apply_cell, cell_of, cell_range
from anju.models import metadata
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database


@pytest.mark.db_agnostic
def test_global_id_tables_are_exactly_the_64_bit_ids_i19():
    """The registry and the models agree both ways: a 64-bit id is a global id, and a global id is 64-bit."""
    dialect = postgresql.dialect()
    big = {
        t.name
        for t in metadata.sorted_tables
        if "id" in t.c and t.c.id.primary_key and t.c.id.type.compile(dialect=dialect) == "BIGINT"
    }
    assert big == set(GLOBAL_ID_TABLES)


@pytest.mark.db_agnostic
def test_cell_ranges_are_disjoint_and_exact_in_javascript_i19():
    ranges = [cell_range(c) for c in range(MAX_CELL + 1)]
    assert ranges[0] == (1, 2**CELL_BITS - 1)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    assert ranges[-1][1] < 2**53  # Number.MAX_SAFE_INTEGER + 1
    assert cell_of(ranges[7][0]) == cell_of(ranges[7][1]) == 7
    with pytest.raises(CellError, match="0-31"):
        cell_range(MAX_CELL + 1)


def test_sqlite_is_cell_zero_only_i19(session):
    if DB_KIND != "sqlite":
        pytest.skip("SQLite's rule")
    assert apply_cell(session, 0) == []
    with pytest.raises(CellError, match="SQLite"):
        apply_cell(session, 2)


@pytest.mark.postgres
def test_a_cell_prefixes_new_ids_and_a_database_keeps_its_cell_i19(tmp_path):
    if DB_KIND != "postgresql":
        pytest.skip("sequences with a cell range are PostgreSQL's")
    with dedicated_database(tmp_path, "cells") as (_, engine):
        with engine.begin() as c:
            # The template was upgraded as cell 0: every global-id sequence is bound to cell 0's range.
            for table in GLOBAL_ID_TABLES:
                row = c.execute(
                    text(
                        "SELECT data_type, min_value, max_value FROM pg_sequences "
                        "WHERE schemaname || '.' || sequencename = pg_get_serial_sequence(:t, 'id')"
                    ),
                    {"t": table},
                ).one()
                assert tuple(row) == ("bigint", *cell_range(0)), table
            c.execute(
                text(
                    "INSERT INTO object_change (at, entity, entity_id, action, prev_hash, row_hash) "
                    "VALUES (now(), 'house', 1, 'update', 'x', 'y')"
                )
            )
            old = c.execute(text("SELECT max(id) FROM object_change")).scalar_one()
            # A database from before cells: unbound sequences (what the old schema had).
            for table in GLOBAL_ID_TABLES:
                c.execute(text(f"ALTER SEQUENCE {table}_id_seq NO MINVALUE NO MAXVALUE"))
        from sqlalchemy.orm import Session

        with Session(engine) as s, s.begin():
            assert sorted(apply_cell(s, 5)) == sorted(GLOBAL_ID_TABLES)
            assert apply_cell(s, 5) == []  # idempotent
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO object_change (at, entity, entity_id, action, prev_hash, row_hash) "
                    "VALUES (now(), 'house', 1, 'update', 'x', 'y')"
                )
            )
            ids = list(c.execute(text("SELECT id FROM object_change ORDER BY id")).scalars())
            assert ids[0] == old and cell_of(old) == 0  # the old row keeps its id
            assert cell_of(ids[-1]) == 5 and ids[-1] == cell_range(5)[0]
            for table in GLOBAL_ID_TABLES:
                nxt = c.execute(text(f"SELECT nextval('{table}_id_seq')")).scalar_one()
                assert cell_of(nxt) == 5, table
        with Session(engine) as s, s.begin(), pytest.raises(CellError, match=r"cell 5.*ANJU_CELL is 6"):
            apply_cell(s, 6)
