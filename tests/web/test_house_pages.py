"""Issue 11 item 4 in the console: a house's occupants, move-in (tenant with lease dates, tags, contact),
move-out (before the move-in date is a clear refusal), vehicles, and areas frozen during a vote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.events import OutboxEvent
from anju.registry.models import EmergencyContact, House, Occupancy, Person, PersonTag, Vehicle
from tests.web.conftest import ORIGIN


def _vacant(session: Session, compound_id: int) -> House:
    return session.execute(
        select(House)
        .where(House.compound_id == compound_id, ~House.id.in_(select(Occupancy.house_id)))
        .order_by(House.id)
        .limit(1)
    ).scalar_one()


def test_house_page_move_in_tenant_then_move_out(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("staff_liu")
    house = _vacant(session, ids["A"])
    page = client.get(f"/console/house/{house.id}")
    assert page.status_code == 200 and house.label in page.text and 'data-testid="move-in"' in page.text
    url = f"/console/house/{house.id}/move-in"
    form = {"name": "租客小周", "phone": "13700009901", "role": "tenant", "on": "2026-12-01", "tags": "special_care"}
    r = client.post(url, data=form, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "err=" in r.headers["location"]  # a tenant needs a lease end
    assert session.execute(select(Person).where(Person.name == "租客小周")).first() is None  # nothing half-written
    form |= {"lease_end": "2027-11-30", "contact_name": "周母", "contact_phone": "13700009902"}
    r = client.post(url, data=form, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "ok=" in r.headers["location"], r.headers["location"]
    person = session.execute(select(Person).where(Person.name == "租客小周")).scalar_one()
    occ = session.execute(select(Occupancy).where(Occupancy.person_id == person.id)).scalar_one()
    assert (occ.role.value, str(occ.lease_end)) == ("tenant", "2027-11-30")
    assert (
        session.execute(select(PersonTag.tag).where(PersonTag.person_id == person.id)).scalar_one().value
        == "special_care"
    )
    assert (
        session.execute(select(EmergencyContact.name).where(EmergencyContact.person_id == person.id)).scalar_one()
        == "周母"
    )
    session.refresh(house)
    assert house.status.value == "rented"

    r = client.post(
        f"/console/house/{house.id}/vehicles",
        data={"plate": "京A12345", "person_id": str(person.id)},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "ok=" in r.headers["location"]
    assert session.execute(select(Vehicle).where(Vehicle.plate == "京A12345")).scalar_one().house_id == house.id

    out = f"/console/house/{house.id}/move-out"
    r = client.post(out, data={"person_id": str(person.id), "on": "2026-11-01"}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "err=" in r.headers["location"]  # before the move-in date
    session.refresh(occ)
    assert occ.ended_on is None
    r = client.post(out, data={"person_id": str(person.id), "on": "2026-12-05"}, headers=ORIGIN, follow_redirects=False)
    assert "ok=" in r.headers["location"]
    session.refresh(occ)
    assert str(occ.ended_on) == "2026-12-05"
    topics = set(
        session.execute(select(OutboxEvent.topic).where(OutboxEvent.topic == "registry.ResidentMovedOut")).scalars()
    )
    assert topics == {"registry.ResidentMovedOut"}  # the subscribers revoke the credentials, as for the API


def test_house_page_area_refused_during_open_vote_and_guard_reads_only(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("manager_wang")
    house = session.get(House, ids["li_house"])
    assert house is not None
    r = client.post(
        f"/console/house/{house.id}/area", data={"surveyed_area": "88.80"}, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303 and "err=" in r.headers["location"]  # the demo compound has an open vote
    web_login("guard_chen")
    page = client.get(f"/console/house/{house.id}")
    assert page.status_code == 200 and 'data-testid="move-in"' not in page.text
    r = client.post(f"/console/house/{house.id}/move-in", data={"name": "x", "role": "family"}, headers=ORIGIN)
    assert r.status_code == 403
