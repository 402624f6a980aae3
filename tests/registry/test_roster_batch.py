"""Issue 11 import speed: the roster import writes change records and move-in events a batch at a time,
the same records and events, in row order, on an intact chain."""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy import event, select

from anju.core.audit import ObjectChange, verify_chain
from anju.core.events import OutboxEvent
from anju.registry.models import House, Occupancy, Person
from anju.registry.roster import import_roster
from tests.registry.test_roster import idn, phone, xlsx


def _rows(session: Any, compound_id: int, k: int) -> list[list[Any]]:
    labels = list(
        session.execute(select(House.label).where(House.compound_id == compound_id).order_by(House.id).limit(k))
        .scalars()
        .all()
    )
    return [
        [
            f"批量{n}号",
            phone(500 + n),
            idn(500 + n),
            labels[n],
            "租户" if n % 5 == 0 else "业主",
            "户籍",
            "男",
            "1990-01-01",
            "",
            "2099-12-31" if n % 5 == 0 else "",
        ]
        for n in range(k)
    ]


def test_import_batches_change_records_and_events_same_records_in_row_order(
    session: Any, persona: Any, ids: dict[str, int]
) -> None:
    who = persona("manager_wang").who
    k = 60
    data = xlsx(_rows(session, ids["A"], k))
    first_change = session.execute(select(ObjectChange.id).order_by(ObjectChange.id.desc()).limit(1)).scalar() or 0
    first_event = session.execute(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(1)).scalar() or 0
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = import_roster(session, who=who, compound_id=ids["A"], filename="r.xlsx", data=data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (report.created, report.rejected, report.committed) == (k, 0, True), report.errors
    # Row by row this took 10+ statements a row (each record: lock, chain head, insert); batched, a few per batch.
    assert len(statements) < k, collections.Counter(s[:70] for s in statements).most_common(8)

    changes = list(
        session.execute(select(ObjectChange).where(ObjectChange.id > first_change).order_by(ObjectChange.id)).scalars()
    )
    people = {
        p.name: p
        for p in session.execute(
            select(Person).where(Person.name.like("批量%"), Person.compound_id == ids["A"])
        ).scalars()
    }
    occ = {
        o.person_id: o
        for o in session.execute(
            select(Occupancy).where(Occupancy.person_id.in_([p.id for p in people.values()]))
        ).scalars()
    }
    expected: list[tuple[str, int]] = []
    for n in range(k):
        p = people[f"批量{n}号"]
        expected += [("person", p.id), ("occupancy", occ[p.id].id)]
    assert [(c.entity, c.entity_id) for c in changes] == expected  # same records, row order
    assert all(c.action == "create" and c.user_id == who.user_id for c in changes)
    assert changes[0].after["name"].startswith("批") and changes[0].after["phone"] != phone(500)  # masked snapshot
    first_house = session.get(House, occ[people["批量0号"].id].house_id)
    assert changes[1].after == {"house": first_house.label, "person_id": people["批量0号"].id, "role": "tenant"}
    moved = list(
        session.execute(
            select(OutboxEvent)
            .where(OutboxEvent.id > first_event, OutboxEvent.topic == "registry.ResidentMovedIn")
            .order_by(OutboxEvent.id)
        ).scalars()
    )
    assert [e.payload["person_id"] for e in moved] == [people[f"批量{n}号"].id for n in range(k)]
    assert verify_chain(session, ObjectChange).broken_at == []
    assert first_house is not None and first_house.status.value == "rented"
