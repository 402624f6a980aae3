"""Exit payments into the fees ledger (R-M3: temporary parking on common roads is owners' common income), once per
payment reference; the night rate, the new-energy discount and merchant coupons at a real exit (issue 13 item 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from anju.core import events
from anju.core.events import OutboxEvent
from anju.fees.models import CommonIncome
from anju.parking.enums import Decision, DecisionReason
from anju.parking.events import ParkingFeePaid
from anju.parking.exceptions import CouponNotFound, CouponUnusable
from anju.parking.lane_service import lane_service
from anju.parking.schemas import CaptureIn, CouponCreate, PayIn, RedeemIn
from anju.parking.service import parking_service
from tests.conftest import run_worker_once

T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 09:00 China time


def cap(session, park, lane, plate, event_id, at):
    return lane_service.capture(
        session, by=park.guard, lane_id=lane.id, data=CaptureIn(event_id=event_id, plate=plate), now=at
    )


def stay(session, park, plate, minutes, *, at=T0, tag="1"):
    """A temporary car enters at `at` and reaches the exit `minutes` later: the exit's lane event."""
    park.cp.unknown_policy = "temporary"
    session.flush()
    ent = cap(session, park, park.entry, plate, f"e{tag}", at)
    assert (ent.decision, ent.reason) == (Decision.open, DecisionReason.temporary)
    return cap(session, park, park.exit, plate, f"x{tag}", at + timedelta(minutes=minutes))


def income(session, ref):
    return list(session.execute(select(CommonIncome).where(CommonIncome.source_ref == f"parking:{ref}")).scalars())


class TestLedger:
    def test_r_m3_a_paid_exit_is_booked_once_into_the_common_income_ledger(self, session, park):
        ev = stay(session, park, "皖AP6V68", 95)
        assert ev.fee_fen == 1000
        args = {"by": park.guard, "session_id": ev.session_id, "now": T0 + timedelta(minutes=96)}
        lane_service.pay(session, data=PayIn(payment_ref="QR-20261206-1", paid_via="qr"), **args)
        lane_service.pay(session, data=PayIn(payment_ref="QR-20261206-1", paid_via="qr"), **args)  # replayed callback
        run_worker_once()
        (line,) = income(session, "QR-20261206-1")
        assert (line.gross_fen, line.cost_fen, line.kind, line.compound_id) == (
            1000,
            0,
            "parking_common_road",
            park.cp.compound_id,
        )
        assert "皖AP6V68" in line.description and "扫码支付" in line.description

    def test_the_same_payment_event_delivered_again_books_nothing_more(self, session, park):
        ev = stay(session, park, "皖AP6V68", 95)
        lane_service.pay(
            session,
            by=park.guard,
            session_id=ev.session_id,
            data=PayIn(payment_ref="BOOTH-0042"),
            now=T0 + timedelta(minutes=96),
        )
        (paid,) = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "parking.ParkingFeePaid")).scalars()
        # A second copy of the event (a relay replay, a provider callback retried through another path).
        events.publish(session, ParkingFeePaid(**paid.payload), compound_id=park.cp.compound_id)
        run_worker_once()
        assert [r.gross_fen for r in income(session, "BOOTH-0042")] == [1000]


class TestTariffAtTheExit:
    def test_a_green_plate_gets_the_car_parks_new_energy_discount(self, session, park):
        park.cp.new_energy_percent_off = 20
        ev = stay(session, park, "皖AD12345", 95)  # 2 started hours x 500 = 1000, 20 % off
        assert (ev.decision, ev.reason, ev.fee_fen) == (Decision.hold, DecisionReason.fee_due, 800)
        blue = stay(session, park, "皖AP6V68", 95, tag="2")
        assert blue.fee_fen == 1000

    def test_hours_starting_at_night_use_the_night_rate(self, session, park):
        park.cp.night_per_hour_fen = 200
        night = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)  # 22:30 China time
        ev = stay(session, park, "皖AP6V68", 95, at=night)
        assert ev.fee_fen == 400

    def test_exactly_at_the_free_minutes_a_night_stay_is_free(self, session, park):
        park.cp.night_per_hour_fen = 200
        ev = stay(session, park, "皖AP6V68", 30, at=datetime(2026, 12, 6, 14, 30, tzinfo=UTC))
        assert (ev.decision, ev.reason, ev.fee_fen) == (Decision.open, DecisionReason.free_exit, 0)


class TestCoupons:
    def _coupon(self, session, park, code, **kw):
        data = {"car_park_id": park.cp.id, "merchant": "华联超市", "code": code, "valid_until": T0 + timedelta(days=1)}
        return parking_service.issue_coupon(session, by=park.manager, data=CouponCreate(**(data | kw)))

    def _inside(self, session, park, plate, tag):
        park.cp.unknown_policy = "temporary"
        session.flush()
        return cap(session, park, park.entry, plate, f"e{tag}", T0)

    def test_a_two_hour_coupon_lets_a_stay_of_two_and_a_half_hours_out_free(self, session, park):
        self._coupon(session, park, "HL-0001", minutes=120)
        ent = self._inside(session, park, "皖AP6V68", "1")
        lane_service.redeem_coupon(
            session, by=park.guard, session_id=ent.session_id, data=RedeemIn(code="HL-0001"), now=T0
        )
        ev = cap(session, park, park.exit, "皖AP6V68", "x1", T0 + timedelta(minutes=150))
        assert (ev.decision, ev.reason, ev.fee_fen) == (Decision.open, DecisionReason.free_exit, 0)

    def test_a_fen_coupon_comes_off_the_fee(self, session, park):
        self._coupon(session, park, "HL-0002", fen=300)
        ent = self._inside(session, park, "皖AP6V68", "1")
        lane_service.redeem_coupon(
            session, by=park.guard, session_id=ent.session_id, data=RedeemIn(code="HL-0002"), now=T0
        )
        ev = cap(session, park, park.exit, "皖AP6V68", "x1", T0 + timedelta(minutes=95))
        assert ev.fee_fen == 700

    def test_a_coupon_is_used_once_one_per_stay_and_not_after_it_expires(self, session, park):
        self._coupon(session, park, "HL-0003", minutes=60)
        self._coupon(session, park, "HL-0004", minutes=60)
        self._coupon(session, park, "HL-0005", minutes=60, valid_until=T0 - timedelta(minutes=1))
        a = self._inside(session, park, "皖AP6V68", "1")
        b = self._inside(session, park, "苏E9E0A5", "2")
        redeem = lane_service.redeem_coupon
        redeem(session, by=park.guard, session_id=a.session_id, data=RedeemIn(code="HL-0003"), now=T0)
        redeem(session, by=park.guard, session_id=a.session_id, data=RedeemIn(code="HL-0003"), now=T0)  # a repeat
        with pytest.raises(CouponUnusable):
            redeem(session, by=park.guard, session_id=b.session_id, data=RedeemIn(code="HL-0003"), now=T0)
        with pytest.raises(CouponUnusable):
            redeem(session, by=park.guard, session_id=a.session_id, data=RedeemIn(code="HL-0004"), now=T0)
        with pytest.raises(CouponUnusable):
            redeem(session, by=park.guard, session_id=b.session_id, data=RedeemIn(code="HL-0005"), now=T0)
        with pytest.raises(CouponNotFound):
            redeem(session, by=park.guard, session_id=b.session_id, data=RedeemIn(code="NOPE-1"), now=T0)
