"""Care test helpers: a person living alone in the demo compound, put in the archive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.care.schemas import ContactIn, ProfileCreate
from anju.care.service import care_service
from anju.registry.enums import PersonTagKind
from anju.registry.models import Occupancy, Person, PersonTag


def lone_person(session: Session, compound_id: int, nth: int = 0) -> int:
    """A demo person with a current home and no care profile yet (those tagged 独居老人 first)."""
    from anju.care.models import CareProfile

    taken = select(CareProfile.person_id)
    alone = select(PersonTag.person_id).where(PersonTag.tag == PersonTagKind.elderly_alone)
    stmt = (
        select(Person.id, Person.id.in_(alone))
        .join(Occupancy, Occupancy.person_id == Person.id)
        .where(Person.compound_id == compound_id, Occupancy.ended_on.is_(None), Person.id.not_in(taken))
        .order_by(Person.id)
    )
    rows = sorted(dict(session.execute(stmt).tuples().all()).items(), key=lambda t: (not t[1], t[0]))
    return rows[nth][0]


def make_profile(session: Session, who, compound_id: int, *, created_at: datetime, nth: int = 0, **kw):  # type: ignore[no-untyped-def]
    data = {
        "compound_id": compound_id,
        "person_id": lone_person(session, compound_id, nth),
        "living_alone": True,
        "contacts": [
            ContactIn(name="张小明", relation="儿子", phone="13800001111", guardian=True),
            ContactIn(name="张小红", relation="女儿", phone="13800002222"),
        ],
    }
    data.update(kw)
    p = care_service.create(session, by=who, data=ProfileCreate(**data))
    p.created_at = created_at
    p.last_activity_at = created_at
    session.flush()
    return p
