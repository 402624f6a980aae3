"""The checks every credential shares, read in one query (issue 19, gate decisions): the blacklist on the
person or on the card presented, the person's state and their current homes. Same answers as before."""

from __future__ import annotations

from sqlalchemy import select

from anju.access.models import AccessLog, BlacklistEntry
from anju.core.events import OutboxEvent
from tests.access.conftest import LI

GATE = "南门人行"
PIN = "482916"


def _blacklist(client, login, ids, **target) -> int:
    r = client.post(
        "/api/v1/access/blacklist",
        headers=login("manager_wang"),
        json={"compound_id": ids["A"], "reason": "待核实", **target},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _alarm_entry(session) -> int:
    alarm = (
        session.execute(
            select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested").order_by(OutboxEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert alarm is not None and alarm.payload["kind"] == "blacklist_hit"
    return int(alarm.payload["evidence"]["blacklist_entry_id"])


def test_r_a4_a_blacklisted_card_of_a_resident_is_denied_and_reviewed(
    client, login, decide, south, points, ids, session
):
    entry = _blacklist(client, login, ids, card_number=LI)
    d = decide(south, points[GATE], "card", LI)
    assert (d["decision"], d["reason"]) == ("deny", "blacklisted")
    assert _alarm_entry(session) == entry  # the guard reviews that entry (R-A4)


def test_r_a4_a_blacklisted_person_is_denied_by_pin_too(client, login, decide, south, points, ids, session):
    r = client.post(
        "/api/v1/access/pins", headers=login("resident_li"), json={"person_id": ids["li_person"], "pin": PIN}
    )
    assert r.status_code == 201, r.text
    entry = _blacklist(client, login, ids, person_id=ids["li_person"])
    d = decide(south, points[GATE], "pin", f"3-1-0802#{PIN}")
    assert (d["decision"], d["reason"]) == ("deny", "blacklisted")
    assert session.get(AccessLog, d["log_id"]).person_id == ids["li_person"]
    assert _alarm_entry(session) == entry


def test_r_a4_an_ended_or_other_compounds_entry_does_not_deny(client, login, decide, south, points, ids, session):
    entry = _blacklist(client, login, ids, person_id=ids["li_person"])
    session.get(BlacklistEntry, entry).active = False
    session.add(BlacklistEntry(compound_id=ids["B"], person_id=ids["li_person"], reason="另一小区"))
    session.flush()
    assert decide(south, points[GATE], "card", LI)["decision"] == "allow"


def test_gate_facts_a_frozen_person_is_refused_and_a_person_without_a_home_is_not_resident(
    decide, south, points, ids, session
):
    from datetime import UTC, datetime

    from anju.registry.models import Occupancy, Person

    person = session.get(Person, ids["li_person"])
    person.frozen_at = datetime.now(UTC)
    session.flush()
    assert decide(south, points[GATE], "card", LI)["reason"] == "credential_revoked"
    person.frozen_at = None
    for occ in session.execute(select(Occupancy).where(Occupancy.person_id == ids["li_person"])).scalars():
        session.delete(occ)
    session.flush()
    assert decide(south, points[GATE], "card", LI)["reason"] == "not_resident"
