"""PINs (issue 20 items 1, 4, 7): per-person PIN spaces, room + PIN at the keypad, no oracle when
setting one, limits on changes and on guesses (per door and per target, across doors), alarms."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from anju.access.models import AccessPoint
from anju.core.events import OutboxEvent
from anju.registry.models import House, Occupancy
from tests.access.conftest import terminal_headers

GATE = "南门人行"
UNIT_DOOR = "3号楼1单元门"
LI_ROOM = "3-1-0802"
PIN = "482916"


def _set_pin(client: Any, headers: dict[str, str], person_id: int, pin: str, point: int | None = None) -> Any:
    body: dict[str, Any] = {"person_id": person_id, "pin": pin}
    if point is not None:
        body["access_point_id"] = point
    return client.post("/api/v1/access/pins", headers=headers, json=body)


@pytest.fixture
def sun(session, ids) -> tuple[int, str]:
    """committee_sun: another resident of compound A, in another house: (person id, house label)."""
    from anju.accounts.models import User

    person = session.execute(select(User.person_id).where(User.username == "committee_sun")).scalar_one()
    label = session.execute(
        select(House.label)
        .join(Occupancy, Occupancy.house_id == House.id)
        .where(Occupancy.person_id == person, Occupancy.ended_on.is_(None))
    ).scalar_one()
    assert label != LI_ROOM
    return person, label


def other_compounds_door(session, ids) -> int:
    from anju.access.enums import AccessPointKind, LocationType

    ap = AccessPoint(
        compound_id=ids["B"], name="B 南门", kind=AccessPointKind.gate_pedestrian, location_type=LocationType.entrance
    )
    session.add(ap)
    session.flush()
    return ap.id


def _alarms(session, kind: str) -> list[OutboxEvent]:
    rows = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
    return [r for r in rows if r.payload["kind"] == kind]


class TestPinOracle:
    def test_pin_oracle_another_persons_pin_is_accepted_not_revealed(self, client, login, ids, sun):
        assert _set_pin(client, login("resident_li"), ids["li_person"], PIN).status_code == 201
        # Before: 409 pin_in_use, which told committee_sun that someone in the compound has this PIN.
        r = _set_pin(client, login("committee_sun"), sun[0], PIN)
        assert r.status_code == 201, r.text

    def test_pin_oracle_room_and_pin_identify_the_person(self, client, login, decide, south, points, ids, sun, session):
        assert _set_pin(client, login("resident_li"), ids["li_person"], PIN).status_code == 201
        assert _set_pin(client, login("committee_sun"), sun[0], PIN).status_code == 201
        d = decide(south, points[GATE], "pin", f"{LI_ROOM}#{PIN}")
        assert d["decision"] == "allow"
        from anju.access.models import AccessLog

        assert session.get(AccessLog, d["log_id"]).person_id == ids["li_person"]
        d = decide(south, points[GATE], "pin", f"{sun[1]}#{PIN}")
        assert d["decision"] == "allow"
        assert session.get(AccessLog, d["log_id"]).person_id == sun[0]
        # Li's room with another PIN is nobody's; a bare PIN at a gate identifies nobody.
        assert decide(south, points[GATE], "pin", f"{LI_ROOM}#190283")["reason"] == "unknown_credential"
        assert decide(south, points[GATE], "pin", PIN)["reason"] == "unknown_credential"

    def test_pin_oracle_unit_door_takes_the_room_number_or_the_pin_alone(
        self, client, login, decide, unit_terminal, points, ids
    ):
        assert _set_pin(client, login("resident_li"), ids["li_person"], PIN, points[UNIT_DOOR]).status_code == 201
        assert decide(unit_terminal, points[UNIT_DOOR], "pin", f"0802#{PIN}")["decision"] == "allow"
        assert decide(unit_terminal, points[UNIT_DOOR], "pin", PIN)["decision"] == "allow"

    def test_pin_oracle_too_simple_pin_is_refused_for_itself(self, client, login, ids):
        r = _set_pin(client, login("resident_li"), ids["li_person"], "123456")
        assert r.status_code == 422 and r.json()["error"]["code"] == "pin_too_simple"

    def test_pin_oracle_pin_changes_are_rate_limited_with_an_alarm(self, client, login, ids, session):
        h = login("resident_li")
        for i in range(5):
            assert _set_pin(client, h, ids["li_person"], f"58{i}193").status_code == 201
        r = _set_pin(client, h, ids["li_person"], "581937")
        assert r.status_code == 429 and r.json()["error"]["code"] == "pin_changes_limited"
        assert r.json()["error"]["message"]["zh"]
        (alarm,) = _alarms(session, "pin_enumeration")
        assert alarm.payload["person_id"] == ids["li_person"]
        # Refused again: still refused, one alarm.
        assert _set_pin(client, h, ids["li_person"], "581938").status_code == 429
        assert len(_alarms(session, "pin_enumeration")) == 1


class TestPinGuessing:
    def test_brute_force_pin_guesses_spread_over_seven_doors_hit_the_rooms_limit(
        self, client, login, decide, points, ids, session
    ):
        assert _set_pin(client, login("resident_li"), ids["li_person"], PIN).status_code == 201
        by_terminal = {"south": ["南门人行", "南门车行"], "east": ["东门人行", "快递柜"], "garage": ["地库入口"]}
        by_terminal["unit"] = ["3号楼1单元门", "3号楼1单元电梯"]
        doors = [(terminal_headers(t), points[name]) for t, names in by_terminal.items() for name in names]
        assert len(doors) == 7
        reasons = []
        for k in range(35):  # before: 5 per door, 35 in 5 minutes
            headers, point = doors[k % 7]
            reasons.append(decide(headers, point, "pin", f"{LI_ROOM}#{700000 + k}")["reason"])
        assert reasons.count("unknown_credential") == 5
        assert set(reasons[5:]) == {"too_many_attempts"}
        # Locked for the room: even the right PIN waits out the window (and a guesser learns nothing).
        assert decide(*doors[0], "pin", f"{LI_ROOM}#{PIN}")["reason"] == "too_many_attempts"
        (alarm,) = [a for a in _alarms(session, "pin_enumeration") if a.payload["dedupe_key"].startswith("pin:house:")]
        assert alarm.payload["evidence"]["failures"] == 5

    def test_brute_force_pin_limit_per_door_still_holds(self, decide, unit_terminal, points):
        for i in range(5):
            decide(unit_terminal, points[UNIT_DOOR], "pin", f"90000{i}")
        assert decide(unit_terminal, points[UNIT_DOOR], "pin", "900009")["reason"] == "too_many_attempts"


class TestPinReferences:
    def test_references_into_another_compound_pin_door_is_404(self, client, login, ids, session):
        other = other_compounds_door(session, ids)
        r = _set_pin(client, login("resident_li"), ids["li_person"], PIN, other)
        assert r.status_code == 404, r.text
        r = _set_pin(client, login("manager_wang"), ids["li_person"], PIN, other)
        assert r.status_code == 404, r.text
        assert _set_pin(client, login("resident_li"), ids["li_person"], PIN, 2**31 - 1).status_code == 404


class TestPinLookup:
    """The room's house and its occupants' PINs come from one query (issue 19, gate decisions): the same
    people, the same digests, the same limits as before."""

    def test_pin_room_lookup_matches_only_active_pins_of_current_occupants(
        self, client, login, decide, south, points, ids, session
    ):
        from anju.access.enums import CredentialKind, CredentialStatus
        from anju.access.models import AccessCredential

        assert _set_pin(client, login("resident_li"), ids["li_person"], PIN).status_code == 201
        assert decide(south, points[GATE], "pin", f"{LI_ROOM}#{PIN}")["decision"] == "allow"
        (cred,) = session.execute(
            select(AccessCredential).where(
                AccessCredential.person_id == ids["li_person"],
                AccessCredential.kind == CredentialKind.pin,
                AccessCredential.status == CredentialStatus.active,
            )
        ).scalars()
        cred.status = CredentialStatus.revoked
        session.flush()
        assert decide(south, points[GATE], "pin", f"{LI_ROOM}#{PIN}")["reason"] == "unknown_credential"
        cred.status = CredentialStatus.active
        for occ in session.execute(
            select(Occupancy).where(Occupancy.person_id == ids["li_person"], Occupancy.house_id == ids["li_house"])
        ).scalars():
            occ.ended_on = date(2026, 1, 1)  # moved out: Li's PIN no longer belongs to the room
        session.flush()
        assert decide(south, points[GATE], "pin", f"{LI_ROOM}#{PIN}")["reason"] == "unknown_credential"

    def test_pin_room_lookup_still_matches_the_earlier_compound_wide_digest(self, decide, south, points, ids, session):
        from anju.access.credential_service import pin_digest
        from anju.access.enums import CredentialKind
        from anju.access.models import AccessCredential, AccessLog

        session.add(
            AccessCredential(
                compound_id=ids["A"],
                kind=CredentialKind.pin,
                person_id=ids["li_person"],
                pin_digest=pin_digest(ids["A"], None, "604913"),  # set before per-person PIN spaces
            )
        )
        session.flush()
        d = decide(south, points[GATE], "pin", f"{LI_ROOM}#604913")
        assert d["decision"] == "allow"
        assert session.get(AccessLog, d["log_id"]).person_id == ids["li_person"]

    def test_pin_room_lookup_a_pin_scoped_to_another_door_opens_only_that_door(
        self, client, login, decide, south, unit_terminal, points, ids
    ):
        assert _set_pin(client, login("resident_li"), ids["li_person"], PIN, points[UNIT_DOOR]).status_code == 201
        assert decide(south, points[GATE], "pin", f"{LI_ROOM}#{PIN}")["reason"] == "unknown_credential"
        assert decide(unit_terminal, points[UNIT_DOOR], "pin", f"{LI_ROOM}#{PIN}")["decision"] == "allow"

    def test_pin_room_lookup_an_unknown_room_counts_against_the_door_only(self, decide, south, points, session):
        from anju.accounts.models import AttemptCounter

        assert decide(south, points[GATE], "pin", f"9-9-9999#{PIN}")["reason"] == "unknown_credential"
        keys = set(session.execute(select(AttemptCounter.key).where(AttemptCounter.failures > 0)).scalars())
        assert keys == {f"pin:door:{points[GATE]}"}
