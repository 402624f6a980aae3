"""Lane decisions: pass holders, one-off reads of residents' plates, blacklist, visitors and their cap, unknown cars,
idempotent captures, temporary fees at exit and their payment (issue 13 items 3-5)."""

from __future__ import annotations

import base64
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from anju.core.events import OutboxEvent
from anju.devices.models import DeviceCommand
from anju.parking.enums import Decision, DecisionReason, PassKind, SessionCategory
from anju.parking.exceptions import AlreadyDecided, NothingToPay, VisitorCapReached  # noqa: F401
from anju.parking.lane_service import lane_service
from anju.parking.models import LaneEvent, ParkingSession
from anju.parking.schemas import BlacklistCreate, CaptureIn, PassCreate, PayIn, ReleaseIn, VisitorCarCreate
from anju.parking.service import parking_service

T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 09:00 China time


def missing_images() -> None:
    """Skip without the shared images, but fail under ANJU_REQUIRE_SERVICES=1 (CI), like tests/vision."""
    if os.environ.get("ANJU_REQUIRE_SERVICES") == "1":
        pytest.fail(f"shared plate images missing at {PLATES}")
    pytest.skip("shared plate images not present")


PLATES = Path(__file__).resolve().parents[3] / "shared" / "data" / "plates"


def cap(session, park, lane, plate, event_id, at=T0, **kw):
    return lane_service.capture(
        session, by=park.guard, lane_id=lane.id, data=CaptureIn(event_id=event_id, plate=plate, **kw), now=at
    )


def alarms_requested(session, kind):
    rows = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
    return [r.payload for r in rows if r.payload["kind"] == kind]


class TestResidents:
    def test_valid_pass_opens_and_commands_the_barrier(self, session, park):
        parking_service.add_pass(
            session,
            by=park.manager,
            data=PassCreate(
                vehicle_id=park.li_vehicle_id,
                car_park_id=park.cp.id,
                kind=PassKind.monthly,
                valid_from=date(2026, 12, 1),
            ),
        )
        ev = cap(session, park, park.entry, park.li_plate, "e1")
        assert (ev.decision, ev.reason) == (Decision.open, DecisionReason.resident_pass)
        cmd = session.get(DeviceCommand, ev.command_id)
        assert cmd is not None and cmd.device_id == park.gate_id and str(cmd.command) == "open_door"
        s = session.get(ParkingSession, ev.session_id)
        assert s.category == SessionCategory.resident

    def test_expired_pass_is_a_registered_vehicle_not_a_pass(self, session, park):
        p = parking_service.add_pass(
            session,
            by=park.manager,
            data=PassCreate(
                vehicle_id=park.li_vehicle_id,
                car_park_id=park.cp.id,
                kind=PassKind.monthly,
                valid_from=date(2026, 10, 1),
            ),
        )
        assert p.valid_until == date(2026, 10, 31)
        ev = cap(session, park, park.entry, park.li_plate, "e1")
        assert ev.reason == DecisionReason.registered_vehicle

    def test_one_character_misread_of_a_residents_plate_opens_as_that_car(self, session, park):
        ev = cap(session, park, park.entry, "新H33321", "e1")  # 7 read as 1
        assert ev.decision == Decision.open and ev.plate == park.li_plate

    def test_resident_exit_is_free(self, session, park):
        cap(session, park, park.entry, park.li_plate, "e1")
        ev = cap(session, park, park.exit, park.li_plate, "x1", at=T0 + timedelta(hours=5))
        assert (ev.decision, ev.reason, ev.fee_fen) == (Decision.open, DecisionReason.free_exit, 0)


class TestBlacklist:
    def test_blacklisted_plate_is_denied_and_an_alarm_requested(self, session, park, ids):
        parking_service.add_blacklist(
            session, by=park.manager, data=BlacklistCreate(compound_id=ids["A"], plate="皖A12345", reason="多次冲卡")
        )
        ev = cap(session, park, park.entry, "皖A12345", "e1")
        assert (ev.decision, ev.reason, ev.session_id, ev.command_id) == (
            Decision.deny,
            DecisionReason.blacklist,
            None,
            None,
        )
        assert [a["dedupe_key"] for a in alarms_requested(session, "vehicle_blacklist")] == [
            "vehicle_blacklist:皖A12345"
        ]

    def test_no_fuzzy_match_for_the_blacklist(self, session, park, ids):
        parking_service.add_blacklist(
            session, by=park.manager, data=BlacklistCreate(compound_id=ids["A"], plate="皖A12345", reason="多次冲卡")
        )
        ev = cap(session, park, park.entry, "皖A12346", "e1")
        assert ev.reason == DecisionReason.unknown


class TestVisitors:
    def test_authorised_visitor_opens_within_the_window_and_the_cap_holds_the_next(self, session, park, ids, persona):
        li = persona("resident_li").who
        for plate in ("苏E9E0A5", "浙G857PM"):
            parking_service.authorise_visitor(
                session,
                by=li,
                data=VisitorCarCreate(
                    house_id=ids["li_house"],
                    plate=plate,
                    valid_from=T0 - timedelta(hours=1),
                    valid_until=T0 + timedelta(hours=6),
                ),
                now=T0,
            )
        first = cap(session, park, park.entry, "苏E9E0A5", "e1")
        assert (first.decision, first.reason) == (Decision.open, DecisionReason.visitor)
        second = cap(session, park, park.entry, "浙G857PM", "e2")  # cap is 1 visitor car per house at once
        assert (second.decision, second.reason) == (Decision.hold, DecisionReason.visitor_cap)
        out = cap(session, park, park.exit, "苏E9E0A5", "x1", at=T0 + timedelta(hours=1))
        # A visitor pays the temporary tariff past the free minutes (one started hour here) and then leaves.
        assert (out.decision, out.reason, out.fee_fen) == (Decision.hold, DecisionReason.fee_due, 500)
        lane_service.pay(
            session,
            by=park.guard,
            session_id=out.session_id,
            data=PayIn(payment_ref="BOOTH-V1"),
            now=T0 + timedelta(hours=1),
        )
        third = cap(session, park, park.entry, "浙G857PM", "e3", at=T0 + timedelta(hours=1, minutes=1))
        assert third.reason == DecisionReason.visitor
        free = cap(session, park, park.exit, "浙G857PM", "x3", at=T0 + timedelta(hours=1, minutes=31))
        assert (free.decision, free.reason) == (Decision.open, DecisionReason.free_exit)  # within the free minutes

    def test_outside_the_window_a_visitor_is_unknown(self, session, park, ids, persona):
        parking_service.authorise_visitor(
            session,
            by=persona("resident_li").who,
            data=VisitorCarCreate(
                house_id=ids["li_house"],
                plate="苏E9E0A5",
                valid_from=T0 + timedelta(hours=2),
                valid_until=T0 + timedelta(hours=3),
            ),
            now=T0,
        )
        assert cap(session, park, park.entry, "苏E9E0A5", "e1").reason == DecisionReason.unknown


class TestUnknownAndGuard:
    def test_unknown_car_is_held_the_guard_is_told_and_releases_with_a_reason(self, session, park):
        ev = cap(session, park, park.entry, "皖A0L727", "e1")
        assert (ev.decision, ev.reason, ev.command_id) == (Decision.hold, DecisionReason.unknown, None)
        assert len(alarms_requested(session, "vehicle_unregistered")) == 1
        out = lane_service.release(
            session, by=park.guard, event_id=ev.id, data=ReleaseIn(reason="送货车辆，已登记"), now=T0
        )
        assert (out.decision, out.reason, out.release_reason) == (
            Decision.open,
            DecisionReason.released,
            "送货车辆，已登记",
        )
        assert (
            out.command_id is not None
            or session.scalar(select(func.count(DeviceCommand.id)).where(DeviceCommand.device_id == park.gate_id)) >= 1
        )
        s = session.get(ParkingSession, out.session_id)
        assert s.category == SessionCategory.temporary
        with pytest.raises(AlreadyDecided):
            lane_service.release(session, by=park.guard, event_id=ev.id, data=ReleaseIn(reason="再次放行"), now=T0)

    def test_guard_corrects_a_misread_plate_and_the_session_follows(self, session, park):
        ev = cap(session, park, park.entry, "皖A0L72T", "e1")
        out = lane_service.release(
            session, by=park.guard, event_id=ev.id, data=ReleaseIn(reason="车牌识别错误", plate="皖A0L727"), now=T0
        )
        assert out.plate == "皖A0L727" and session.get(ParkingSession, out.session_id).plate == "皖A0L727"

    def test_no_plate_read_is_recorded_as_unreadable(self, session, park):
        ev = cap(session, park, park.entry, None, "e1")
        assert (ev.decision, ev.reason) == (Decision.hold, DecisionReason.unreadable)


class TestIdempotency:
    def test_a_retried_capture_makes_one_record_and_one_session(self, session, park):
        a = cap(session, park, park.entry, park.li_plate, "cam-42")
        b = cap(session, park, park.entry, park.li_plate, "cam-42", at=T0 + timedelta(seconds=3))
        assert a.id == b.id
        assert session.scalar(select(func.count(LaneEvent.id)).where(LaneEvent.lane_id == park.entry.id)) == 1
        assert (
            session.scalar(select(func.count(ParkingSession.id)).where(ParkingSession.car_park_id == park.cp.id)) == 1
        )

    def test_entry_twice_without_exit_closes_the_first_stay_as_missed(self, session, park):
        first = cap(session, park, park.entry, park.li_plate, "e1")
        second = cap(session, park, park.entry, park.li_plate, "e2", at=T0 + timedelta(hours=1))
        old = session.get(ParkingSession, first.session_id)
        session.refresh(old)
        assert old.exit_missed and old.exited_at is not None and second.session_id != first.session_id

    def test_exit_with_no_entry_is_held_for_an_unknown_car(self, session, park):
        ev = cap(session, park, park.exit, "皖AP6V68", "x1")
        assert (ev.decision, ev.reason) == (Decision.hold, DecisionReason.no_entry)


class TestTemporaryFees:
    def _temporary_stay(self, session, park, minutes):
        park.cp.unknown_policy = "temporary"
        session.flush()
        ent = cap(session, park, park.entry, "皖AP6V68", "e1")
        assert ent.reason == DecisionReason.temporary and ent.decision == Decision.open
        return cap(session, park, park.exit, "皖AP6V68", "x1", at=T0 + timedelta(minutes=minutes))

    def test_exactly_at_the_free_minutes_the_car_leaves_free(self, session, park):
        ev = self._temporary_stay(session, park, 30)
        assert (ev.decision, ev.reason, ev.fee_fen) == (Decision.open, DecisionReason.free_exit, 0)

    def test_past_the_free_minutes_the_exit_holds_for_the_fee_then_paying_opens_it(self, session, park):
        ev = self._temporary_stay(session, park, 31)
        assert (ev.decision, ev.reason, ev.fee_fen) == (Decision.hold, DecisionReason.fee_due, 500)
        s = lane_service.pay(
            session,
            by=park.guard,
            session_id=ev.session_id,
            data=PayIn(payment_ref="BOOTH-0001"),
            now=T0 + timedelta(minutes=32),
        )
        assert (s.paid_fen, s.fee_fen) == (500, 500) and s.exited_at is not None
        session.refresh(ev)
        assert (ev.decision, ev.reason) == (Decision.open, DecisionReason.fee_paid)

    def test_a_replayed_payment_changes_nothing_and_a_second_payment_is_refused(self, session, park):
        ev = self._temporary_stay(session, park, 95)
        args = {"by": park.guard, "session_id": ev.session_id, "now": T0 + timedelta(minutes=96)}
        lane_service.pay(session, data=PayIn(payment_ref="QR-7788", paid_via="qr"), **args)
        again = lane_service.pay(session, data=PayIn(payment_ref="QR-7788", paid_via="qr"), **args)
        assert again.paid_fen == 1000
        paid = list(session.execute(select(OutboxEvent).where(OutboxEvent.topic == "parking.ParkingFeePaid")).scalars())
        assert len(paid) == 1
        with pytest.raises(NothingToPay):
            lane_service.pay(session, data=PayIn(payment_ref="BOOTH-9999"), **args)


class TestImages:
    def test_a_real_gate_photo_is_read_and_opens_for_the_resident(self, session, park):
        if not (PLATES / "ds_7.jpg").exists():
            missing_images()
        img = base64.b64encode((PLATES / "ds_7.jpg").read_bytes()).decode()
        ev = cap(session, park, park.entry, None, "img-1", image_b64=img)
        assert ev.plate == park.li_plate and ev.had_image and ev.read_confidence > 0.9
        assert ev.decision == Decision.open
