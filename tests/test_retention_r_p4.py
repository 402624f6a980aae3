"""R-P4: personal data of people who moved out is erased when retention ends."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from anju.privacy.catalog import DEPARTED_RETENTION_DAYS
from anju.privacy.retention import retention_service
from anju.registry.enums import PersonStatus
from anju.registry.models import House, Person
from anju.registry.schemas import MoveOut
from anju.registry.service import move_out


def _move_out_li(session, ids, on: date) -> list[int]:
    house = session.get(House, ids["li_house"])
    occs = move_out(session, who=None, house=house, data=MoveOut(on=on))
    session.flush()
    return [o.person_id for o in occs]


class TestEraseDeparted:
    def test_r_p4_departed_past_retention_are_erased(self, session, ids):
        left = date(2026, 1, 1)
        people = _move_out_li(session, ids, left)
        today = left + timedelta(days=DEPARTED_RETENTION_DAYS + 1)
        erased = retention_service.erase_departed(session, today=today)
        assert set(people) <= set(erased)
        for pid in people:
            p = session.get(Person, pid)
            assert p.status == PersonStatus.erased
            assert p.phone_enc is None and p.id_number_enc is None and p.birth_date is None

    def test_r_p4_departed_within_retention_are_kept(self, session, ids):
        left = date(2026, 1, 1)
        people = _move_out_li(session, ids, left)
        today = left + timedelta(days=DEPARTED_RETENTION_DAYS)
        retention_service.erase_departed(session, today=today)
        statuses = session.execute(select(Person.status).where(Person.id.in_(people))).scalars().all()
        assert statuses and all(s == PersonStatus.moved_out for s in statuses)

    def test_r_p4_active_residents_are_never_erased(self, session, ids):
        erased = retention_service.erase_departed(session, today=date(2030, 1, 1))
        assert ids["li_person"] not in erased
        assert session.get(Person, ids["li_person"]).status == PersonStatus.active
