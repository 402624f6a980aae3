"""Gate decisions by card and PIN: who may pass, reasons, logging, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from anju.access.models import AccessLog
from anju.core.events import OutboxEvent
from tests.access.conftest import LI
from tests.conftest import run_worker_once

GATE = "南门人行"
UNIT_DOOR = "3号楼1单元门"
LIFT = "3号楼1单元电梯"


class TestCard:
    def test_resident_card_opens_gate_and_own_unit_door(self, decide, south, unit_terminal, points):
        d = decide(south, points[GATE], "card", LI)
        assert (d["decision"], d["reason"], d["display"]) == ("allow", "ok", "欢迎回家")
        assert decide(unit_terminal, points[UNIT_DOOR], "card", LI)["decision"] == "allow"

    def test_lift_answers_own_floor(self, decide, unit_terminal, points):
        d = decide(unit_terminal, points[LIFT], "card", LI)
        assert d["decision"] == "allow" and 8 in d["floors"] and 1 in d["floors"]

    def test_unknown_card_is_denied_and_logged(self, decide, south, points, session):
        d = decide(south, points[GATE], "card", "DEADBEEF")
        assert (d["decision"], d["reason"]) == ("deny", "unknown_credential")
        log = session.get(AccessLog, d["log_id"])
        assert log is not None and log.decision.value == "deny" and log.server_at is not None

    def test_moved_out_residents_card_is_denied_after_worker(self, client, login, decide, south, points, ids):
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-out", headers=login("manager_wang"), json={"on": "2026-11-20"}
        )
        assert r.status_code == 200
        # Even before the worker revokes, the decision checks the occupancy.
        assert decide(south, points[GATE], "card", LI)["decision"] == "deny"
        run_worker_once()
        d = decide(south, points[GATE], "card", LI)
        assert (d["decision"], d["reason"]) == ("deny", "credential_revoked")

    def test_terminal_posting_for_a_door_it_does_not_control(self, decide, south, points, session):
        d = decide(south, points[UNIT_DOOR], "card", LI)
        assert (d["decision"], d["reason"]) == ("deny", "door_not_controlled")
        log = session.get(AccessLog, d["log_id"])
        assert log is not None and log.detail == {"requested_access_point_id": points[UNIT_DOOR]}

    def test_unknown_device_is_401(self, client, points):
        r = client.post(
            "/api/v1/terminals/decisions",
            headers={"X-Device-Key": "x", "X-Device-Secret": "y"},
            json={"access_point_id": points[GATE], "credential": {"kind": "card", "value": LI}},
        )
        assert r.status_code == 401

    def test_clock_skew_of_hours_is_flagged_not_fatal(self, decide, south, points, session):
        skewed = (datetime.now(UTC) - timedelta(hours=7)).isoformat()
        d = decide(south, points[GATE], "card", LI, device_time=skewed)
        assert d["decision"] == "allow" and d["skew_flagged"] and d["clock_skew_s"] < -6 * 3600
        log = session.get(AccessLog, d["log_id"])
        assert log is not None and log.device_at is not None and log.skew_flagged

    def test_retried_record_id_answers_once(self, decide, south, points, session):
        a = decide(south, points[GATE], "card", LI, record_id="r-1")
        b = decide(south, points[GATE], "card", LI, record_id="r-1")
        assert a["log_id"] == b["log_id"]
        n = session.execute(select(AccessLog).where(AccessLog.record_id == "r-1")).scalars().all()
        assert len(n) == 1

    def test_publishes_access_events(self, decide, south, points, session):
        decide(south, points[GATE], "card", LI)
        decide(south, points[GATE], "card", "00000000")
        topics = session.execute(select(OutboxEvent.topic)).scalars().all()
        assert "access.AccessGranted" in topics and "access.AccessDenied" in topics

    def test_malformed_credential_is_denied_not_crashing(self, decide, south, points):
        d = decide(south, points[GATE], "face_embedding", [0.1, 0.2])
        assert d["decision"] == "deny"


class TestPolicy:
    def test_blacklisted_card_holder_is_denied_and_alarm_requested(
        self, client, login, decide, south, points, ids, session
    ):
        r = client.post(
            "/api/v1/access/blacklist",
            headers=login("manager_wang"),
            json={"compound_id": ids["A"], "person_id": ids["li_person"], "reason": "盗窃嫌疑，待核实"},
        )
        assert r.status_code == 201, r.text
        d = decide(south, points[GATE], "card", LI)
        assert (d["decision"], d["reason"]) == ("deny", "blacklisted")
        alarm = (
            session.execute(
                select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested").order_by(OutboxEvent.id.desc())
            )
            .scalars()
            .first()
        )
        assert alarm is not None and alarm.payload["person_id"] == ids["li_person"]  # human review (R-A4)

    def test_time_window_per_access_point(self, client, login, decide, south, points):
        from anju.access.policy import local

        loc = local(datetime.now(UTC))  # windows are in the compound's local time (Asia/Shanghai)
        r = client.patch(
            f"/api/v1/access/points/{points[GATE]}",
            headers=login("manager_wang"),
            json={
                "open_from": (loc + timedelta(hours=2)).strftime("%H:%M"),
                "open_until": (loc + timedelta(hours=3)).strftime("%H:%M"),
            },
        )
        assert r.status_code == 200, r.text
        assert decide(south, points[GATE], "card", LI)["reason"] == "outside_time_window"

    def test_staff_card_by_shift(self, client, login, decide, south, points, ids, session):
        from anju.access.policy import local
        from anju.accounts.models import User

        staff = session.execute(select(User.id).where(User.username == "staff_liu")).scalar_one()
        h = login("manager_wang")
        r = client.post(
            "/api/v1/access/cards",
            headers=h,
            json={"compound_id": ids["A"], "user_id": staff, "card_number": "5AFE0001"},
        )
        assert r.status_code == 201, r.text
        assert decide(south, points[GATE], "card", "5AFE0001")["reason"] == "not_permitted"
        loc = local(datetime.now(UTC))
        r = client.post(
            "/api/v1/access/grants",
            headers=h,
            json={
                "compound_id": ids["A"],
                "user_id": staff,
                "kinds": ["gate_pedestrian"],
                "shift_start": (loc + timedelta(hours=3)).strftime("%H:%M"),
                "shift_end": (loc + timedelta(hours=4)).strftime("%H:%M"),
            },
        )
        assert r.status_code == 201, r.text
        assert decide(south, points[GATE], "card", "5AFE0001")["reason"] == "outside_shift"
        r = client.post(
            "/api/v1/access/grants",
            headers=h,
            json={
                "compound_id": ids["A"],
                "user_id": staff,
                "kinds": ["gate_pedestrian"],
                "shift_start": (loc - timedelta(hours=1)).strftime("%H:%M"),
                "shift_end": (loc + timedelta(hours=1)).strftime("%H:%M"),
            },
        )
        assert decide(south, points[GATE], "card", "5AFE0001")["decision"] == "allow"

    def test_tenant_passes_until_lease_end(self, client, login, decide, south, points, ids):
        h = login("manager_wang")
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-in",
            headers=h,
            json={
                "role": "tenant",
                "on": "2026-01-01",
                "lease_end": "2026-02-01",
                "person": {"compound_id": ids["A"], "name": "租客乙"},
            },
        )
        assert r.status_code == 201, r.text
        tenant = r.json()["person_id"]
        r = client.post(
            "/api/v1/access/cards",
            headers=h,
            json={"compound_id": ids["A"], "person_id": tenant, "card_number": "7E7A0001"},
        )
        assert r.status_code == 201
        assert decide(south, points[GATE], "card", "7E7A0001")["reason"] == "not_resident"

    def test_anti_passback(self, client, login, decide, south, points):
        client.patch(
            f"/api/v1/access/points/{points[GATE]}", headers=login("manager_wang"), json={"anti_passback": True}
        )
        assert decide(south, points[GATE], "card", LI)["decision"] == "allow"
        assert decide(south, points[GATE], "card", LI)["reason"] == "anti_passback"
        assert decide(south, points[GATE], "card", LI, direction="out")["decision"] == "allow"


class TestPin:
    def test_pin_for_own_door(self, client, login, decide, unit_terminal, south, points, ids):
        r = client.post(
            "/api/v1/access/pins",
            headers=login("resident_li"),
            json={"person_id": ids["li_person"], "pin": "482916", "access_point_id": points[UNIT_DOOR]},
        )
        assert r.status_code == 201, r.text
        assert decide(unit_terminal, points[UNIT_DOOR], "pin", "482916")["decision"] == "allow"
        assert decide(south, points[GATE], "pin", "482916")["reason"] == "unknown_credential"

    def test_pin_guessing_is_throttled(self, decide, unit_terminal, points):
        for i in range(5):
            decide(unit_terminal, points[UNIT_DOOR], "pin", f"90000{i}")
        assert decide(unit_terminal, points[UNIT_DOOR], "pin", "900009")["reason"] == "too_many_attempts"


class TestRemoteOpen:
    def test_guard_opens_with_reason_logged(self, client, login, points, session):
        r = client.post(
            f"/api/v1/access/points/{points[GATE]}/remote-open",
            headers=login("guard_chen"),
            json={"reason": "快递员无法扫码"},
        )
        assert r.status_code == 200, r.text
        log = session.get(AccessLog, r.json()["log_id"])
        assert log is not None and log.method.value == "remote" and log.detail["reason"] == "快递员无法扫码"
        assert log.detail["operator"] == "guard_chen"

    def test_resident_opens_only_own_doors(self, client, login, points, session):
        li = login("resident_li")
        assert (
            client.post(
                f"/api/v1/access/points/{points[UNIT_DOOR]}/remote-open", headers=li, json={"reason": "给家人开门"}
            ).status_code
            == 200
        )
        doors = {d["name"] for d in client.get("/api/v1/access/me/doors", headers=li).json()}
        assert UNIT_DOOR in doors and GATE in doors

    def test_other_compound_cannot_open(self, client, login, points):
        r = client.post(
            f"/api/v1/access/points/{points[GATE]}/remote-open", headers=login("outsider_zhao"), json={"reason": "test"}
        )
        assert r.status_code == 404
