"""E-bike charging (issue 18 item 4): scan or card to start, prepaid from the wallet in the fees ledger (fen),
a countdown, automatic cut-off when time is up or the pile reports full, resuming the same session after a
power cut, the overload rule's alarm and cut-off (R-S2: chargers cut off by themselves), and the bad input of
the issue: an occupied or faulty socket, a short balance, a report read twice. Time is explicit (`now=`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from anju.alarms.models import Alarm
from anju.charging.enums import StartMode
from anju.charging.models import ChargingSession
from anju.charging.repository import ChargingQuery
from anju.charging.service import charging_service, remaining_seconds
from anju.core.db import utcnow
from anju.core.errors import AppError
from anju.devices.enums import DeviceType
from anju.devices.models import DeviceCommand
from anju.fees.accounts import wallet_service
from anju.fees.models import CommonIncome, WalletEntry
from tests.devices.helpers import make_device, msg, push


@pytest.fixture
def pile(client, session, ids):
    """A socket of compound A that has reported in (online, idle)."""
    device_id, key, secret = make_device(session, ids["A"], DeviceType.ebike_charger, location="3号楼车棚 1号插座")
    r = push(client, key, secret, [msg({"state": "idle", "power_w": 0, "temp_c": 21.0})])
    assert r.status_code == 202, r.text
    return {"id": device_id, "key": key, "secret": secret}


@pytest.fixture
def li(persona):
    return persona("resident_li").who


def _fund(session, ids, who, fen=1000):
    wallet_service.top_up(
        session,
        compound_id=ids["A"],
        user_id=who.user_id,
        amount_fen=fen,
        source_key=f"test:{who.user_id}:{fen}",
        by=None,
    )


def _commands(session, device_id, name):
    return list(
        session.execute(
            select(DeviceCommand).where(DeviceCommand.device_id == device_id, DeviceCommand.command == name)
        ).scalars()
    )


def _report(client, pile, data, at):
    r = push(client, pile["key"], pile["secret"], [msg(data, at=at)])
    assert r.status_code == 202, r.text


def _start(session, li, pile, t0, **kw):
    kw.setdefault("mode", StartMode.duration)
    kw.setdefault("hours", 2)
    return charging_service.start(session, who=li, device_key=pile["key"], now=t0, **kw)


class TestStart:
    def test_scan_start_prepays_from_the_wallet_and_switches_the_socket_on(self, client, login, session, ids, pile, li):
        r = client.post(
            "/api/v1/charging/wallet/top-up",
            headers=login("resident_li"),
            json={"compound_id": ids["A"], "amount_fen": 1000},
        )
        assert r.status_code == 201, r.text
        seen = client.get(f"/api/v1/charging/sockets/{pile['key']}", headers=login("resident_li")).json()
        assert (seen["state"], seen["balance_fen"], seen["fen_per_hour"]) == ("free", 1000, 50)
        r = client.post(
            "/api/v1/charging/sessions", headers=login("resident_li"), json={"socket": pile["key"], "hours": 2}
        )
        assert r.status_code == 201, r.text
        s = r.json()
        assert (s["status"], s["prepaid_fen"], s["planned_minutes"]) == ("running", 100, 120)
        assert 7190 <= s["remaining_seconds"] <= 7200  # the countdown
        assert wallet_service.balance(session, compound_id=ids["A"], user_id=li.user_id) == 900
        [cmd] = _commands(session, pile["id"], "start_charge")
        assert cmd.params["minutes"] == 120 and cmd.params["session"] == s["id"]
        busy = client.get(f"/api/v1/charging/sockets/{pile['key']}", headers=login("resident_li")).json()
        assert busy["state"] == "busy"

    def test_an_occupied_socket_is_refused_and_nothing_is_charged_twice(self, session, ids, pile, li, persona):
        _fund(session, ids, li)
        _start(session, li, pile, utcnow())
        with pytest.raises(AppError) as e:
            _start(session, li, pile, utcnow())
        assert e.value.code == "charging_socket_busy"
        assert wallet_service.balance(session, compound_id=ids["A"], user_id=li.user_id) == 900

    def test_a_faulty_or_silent_socket_is_refused(self, client, session, ids, pile, li):
        _fund(session, ids, li)
        _report(client, pile, {"state": "fault"}, utcnow())
        with pytest.raises(AppError) as e:
            _start(session, li, pile, utcnow())
        assert e.value.code == "charging_socket_faulty"
        _, silent, _ = make_device(session, ids["A"], DeviceType.ebike_charger)
        with pytest.raises(AppError) as e:
            charging_service.start(session, who=li, device_key=silent, mode=StartMode.full, hours=None, now=utcnow())
        assert e.value.code == "charging_socket_faulty"  # never reported: offline

    def test_a_short_balance_starts_nothing(self, client, login, session, ids, pile, li):
        r = client.post(
            "/api/v1/charging/sessions", headers=login("resident_li"), json={"socket": pile["key"], "hours": 12}
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "fees_insufficient_balance"
        assert ChargingQuery(session).live_on(pile["id"]) is None
        assert wallet_service.balance(session, compound_id=ids["A"], user_id=li.user_id) == 0

    def test_bad_durations_and_other_compounds_sockets(self, client, login, session, ids, pile):
        for hours in (0, 13):
            r = client.post(
                "/api/v1/charging/sessions", headers=login("resident_li"), json={"socket": pile["key"], "hours": hours}
            )
            assert r.status_code == 422
        _, other, _ = make_device(session, ids["B"], DeviceType.ebike_charger)
        r = client.get(f"/api/v1/charging/sockets/{other}", headers=login("resident_li"))
        assert r.status_code == 404


class TestCutOff:
    def test_time_up_cuts_the_power_and_keeps_the_paid_minutes(self, client, session, ids, pile, li):
        _fund(session, ids, li)
        t0 = utcnow() - timedelta(hours=3)
        s = _start(session, li, pile, t0)
        _report(client, pile, {"state": "charging", "power_w": 180}, t0 + timedelta(seconds=20))
        charging_service.tick(session, now=t0 + timedelta(hours=1))
        session.refresh(s)
        assert s.status == "running" and s.confirmed_at is not None
        assert remaining_seconds(s, t0 + timedelta(hours=1)) == 3600
        charging_service.tick(session, now=t0 + timedelta(hours=2, seconds=1))
        session.refresh(s)
        assert (s.status, s.end_reason, s.charged_fen, s.refunded_fen) == ("ended", "time_up", 100, 0)
        assert len(_commands(session, pile["id"], "cut_power")) == 1

    def test_full_ends_the_session_and_refunds_the_unused_time(self, client, session, ids, pile, li):
        _fund(session, ids, li)
        t0 = utcnow() - timedelta(hours=3)
        s = _start(session, li, pile, t0, mode=StartMode.full, hours=None)
        assert s.prepaid_fen == 400  # 8 hours' cap at 0.50 yuan
        _report(client, pile, {"state": "charging"}, t0 + timedelta(seconds=30))
        _report(client, pile, {"state": "full", "energy_wh": 420}, t0 + timedelta(minutes=90))
        charging_service.tick(session, now=t0 + timedelta(minutes=90, seconds=5))
        session.refresh(s)
        assert (s.status, s.end_reason, s.energy_wh) == ("ended", "full", 420)
        assert (s.charged_fen, s.refunded_fen) == (76, 324)  # 91 started minutes
        assert wallet_service.balance(session, compound_id=ids["A"], user_id=li.user_id) == 1000 - 76

    def test_a_pile_that_never_starts_is_refunded_in_full(self, session, ids, pile, li):
        _fund(session, ids, li)
        t0 = utcnow() - timedelta(minutes=30)
        s = _start(session, li, pile, t0)
        charging_service.tick(session, now=t0 + timedelta(minutes=5))
        session.refresh(s)
        assert (s.status, s.end_reason, s.charged_fen, s.refunded_fen) == ("ended", "fault", 0, 100)

    def test_the_resident_stops_early(self, client, login, session, ids, pile, li):
        _fund(session, ids, li)
        s = client.post(
            "/api/v1/charging/sessions", headers=login("resident_li"), json={"socket": pile["key"], "hours": 4}
        ).json()
        other = client.post(f"/api/v1/charging/sessions/{s['id']}/stop", headers=login("committee_sun"))
        assert other.status_code in (403, 404)
        r = client.post(f"/api/v1/charging/sessions/{s['id']}/stop", headers=login("resident_li"))
        assert r.status_code == 200 and r.json()["end_reason"] == "stopped" and r.json()["refunded_fen"] == 200

    def test_r_s2_overload_raises_a_critical_alarm_and_cuts_the_socket(self, client, session, ids, pile, li):
        _fund(session, ids, li)
        t0 = utcnow()  # the rules read readings newer than the pile's last one (the fixture's, now)
        s = _start(session, li, pile, t0 - timedelta(minutes=20))
        _report(client, pile, {"state": "charging", "power_w": 200}, t0 + timedelta(seconds=1))
        _report(client, pile, {"power_w": 1500, "temp_c": 48.0}, t0 + timedelta(seconds=2))
        _report(client, pile, {"power_w": 1600, "temp_c": 55.0}, t0 + timedelta(seconds=8))
        alarm = session.execute(
            select(Alarm).where(Alarm.device_id == pile["id"], Alarm.kind == "charger_overload")
        ).scalar_one()
        assert alarm.severity == "critical"
        assert _commands(session, pile["id"], "cut_power")  # the rule's action
        _report(client, pile, {"state": "idle", "power_w": 0}, t0 + timedelta(seconds=9))
        charging_service.tick(session, now=t0 + timedelta(seconds=10))
        session.refresh(s)
        assert (s.status, s.end_reason) == ("ended", "device_cut")
        assert (s.charged_fen, s.refunded_fen) == (18, 82)  # 21 started minutes at 0.50 yuan an hour, rounded up


class TestPowerCut:
    def test_the_same_session_resumes_after_a_power_cut_with_its_remaining_time(self, client, session, ids, pile, li):
        _fund(session, ids, li)
        t0 = utcnow() - timedelta(hours=4)
        s = _start(session, li, pile, t0)
        _report(client, pile, {"state": "charging"}, t0 + timedelta(seconds=10))
        _report(client, pile, {"power_lost": True}, t0 + timedelta(minutes=30))
        charging_service.tick(session, now=t0 + timedelta(minutes=31))
        session.refresh(s)
        assert s.status == "paused"
        assert remaining_seconds(s, t0 + timedelta(minutes=45)) == 90 * 60  # the countdown stands still
        charging_service.tick(session, now=t0 + timedelta(hours=2, minutes=5))  # past the old end: still paused
        session.refresh(s)
        assert s.status == "paused"
        _report(client, pile, {"power_restored": True}, t0 + timedelta(minutes=50))
        charging_service.tick(session, now=t0 + timedelta(minutes=51))
        session.refresh(s)
        assert (s.status, s.resumes, s.paused_seconds) == ("running", 1, 20 * 60)
        assert s.ends_at == t0 + timedelta(hours=2, minutes=20)
        starts = _commands(session, pile["id"], "start_charge")
        assert len(starts) == 2 and starts[-1].params == {"minutes": 89, "session": s.id, "resume": True}
        charging_service.tick(session, now=t0 + timedelta(hours=2, minutes=19))
        session.refresh(s)
        assert s.status == "running"
        charging_service.tick(session, now=t0 + timedelta(hours=2, minutes=20))
        session.refresh(s)
        assert (s.status, s.end_reason, s.charged_fen) == ("ended", "time_up", 100)

    def test_a_pile_that_only_reports_the_outage_after_it_is_back(self, client, session, ids, pile, li):
        _fund(session, ids, li)
        t0 = utcnow() - timedelta(hours=1)
        s = _start(session, li, pile, t0)
        _report(client, pile, {"state": "charging"}, t0 + timedelta(seconds=10))
        _report(client, pile, {"power_restored": True, "outage_seconds": 600}, t0 + timedelta(minutes=40))
        charging_service.tick(session, now=t0 + timedelta(minutes=41))
        session.refresh(s)
        assert s.ends_at == t0 + timedelta(hours=2, minutes=10) and s.resumes == 1


class TestOnce:
    def test_two_workers_reading_the_same_reports_act_once(self, client, session, ids, pile, li):
        _fund(session, ids, li)
        t0 = utcnow() - timedelta(hours=1)
        s = _start(session, li, pile, t0)
        _report(client, pile, {"state": "charging"}, t0 + timedelta(seconds=10))
        q = ChargingQuery(session)
        charging_service.tick(session, now=t0 + timedelta(minutes=1))
        mark = q.cursor()
        assert mark is not None
        assert q.advance_cursor(mark - 1, mark + 5, utcnow()) is False  # a rival with a stale cursor loses
        _report(client, pile, {"state": "full"}, t0 + timedelta(minutes=30))
        session.refresh(s)
        assert charging_service._end(session, s, _reason(), utcnow())
        assert not charging_service._end(session, s, _reason(), utcnow())  # ended once only
        refunds = session.execute(
            select(func.count()).select_from(WalletEntry).where(WalletEntry.source_key == f"charging:{s.id}:refund")
        ).scalar_one()
        assert refunds == 1
        charging_service.tick(session, now=t0 + timedelta(minutes=31))  # the "full" report finds nothing live
        assert (
            session.execute(
                select(func.count()).select_from(ChargingSession).where(ChargingSession.id == s.id)
            ).scalar_one()
            == 1
        )


def _reason():
    from anju.charging.enums import EndReason

    return EndReason.stopped


class TestCardAndIncome:
    def test_a_registered_card_swiped_at_the_pile_starts_until_full(self, client, login, session, ids, pile, li):
        _fund(session, ids, li)
        r = client.post(
            "/api/v1/charging/cards",
            headers=login("resident_li"),
            json={"compound_id": ids["A"], "card_uid": "a1b2c3d4"},
        )
        assert r.status_code == 201
        taken = client.post(
            "/api/v1/charging/cards",
            headers=login("committee_sun"),
            json={"compound_id": ids["A"], "card_uid": "A1B2C3D4"},
        )
        assert taken.status_code in (403, 404, 409)
        _report(client, pile, {"card": "A1B2C3D4"}, utcnow())
        charging_service.tick(session, now=utcnow())
        s = ChargingQuery(session).live_on(pile["id"])
        assert s is not None and (s.user_id, s.via, s.mode) == (li.user_id, "card", "full")

    def test_r_m3_takings_go_to_common_income_where_the_compound_says_so(self, client, login, session, ids, pile, li):
        r = client.put(
            f"/api/v1/charging/tariff/{ids['A']}",
            headers=login("manager_wang"),
            json={"fen_per_hour": 60, "to_common_income": True, "rule_ref": "业主大会决议 2026-3"},
        )
        assert r.status_code == 200, r.text
        _fund(session, ids, li)
        t0 = utcnow() - timedelta(hours=2)
        s = _start(session, li, pile, t0, hours=1)
        _report(client, pile, {"state": "charging"}, t0 + timedelta(seconds=5))
        charging_service.tick(session, now=t0 + timedelta(hours=1))
        session.refresh(s)
        assert s.charged_fen == 60
        line = session.execute(
            select(CommonIncome).where(CommonIncome.description == f"电动车充电收入（充电记录 {s.id}）")
        ).scalar_one()
        assert line.gross_fen == 60 and line.compound_id == ids["A"]
