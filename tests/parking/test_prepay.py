"""Issue 13 items 4 and 8 on H5: the household's stays (its vehicles' and the visitor cars it hosts) and pre-paying a
stay still inside through the exit's QR payment path (one payment reference pays and books once, R-M3); the exit
then opens within the car park's grace window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from anju.core.events import OutboxEvent
from anju.fees.models import CommonIncome
from anju.parking.enums import Decision, DecisionReason, PaidVia
from anju.parking.exceptions import NothingToPay, ParkingSessionNotFound
from anju.parking.lane_service import lane_service
from anju.parking.schemas import CaptureIn, VisitorCarCreate
from anju.parking.service import parking_service
from anju.registry.models import House
from tests.conftest import run_worker_once

T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 09:00 China time


def cap(session, park, lane, plate, event_id, at):
    return lane_service.capture(
        session, by=park.guard, lane_id=lane.id, data=CaptureIn(event_id=event_id, plate=plate), now=at
    )


def visitor_inside(session, park, who, house_id, plate, tag="1"):
    """A visitor car the house let in enters at T0: its stay."""
    parking_service.authorise_visitor(
        session,
        by=who,
        data=VisitorCarCreate(
            house_id=house_id, plate=plate, valid_from=T0 - timedelta(hours=1), valid_until=T0 + timedelta(days=1)
        ),
        now=T0,
    )
    ev = cap(session, park, park.entry, plate, f"in-{tag}", T0)
    assert (ev.decision, ev.reason) == (Decision.open, DecisionReason.visitor)
    return ev.session_id


@pytest.fixture
def li(persona):
    return persona("resident_li").who


def paid_events(session, stay_id):
    rows = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "parking.ParkingFeePaid")).scalars()
    return [r for r in rows if r.payload["session_id"] == stay_id]


class TestMyStays:
    def test_the_household_sees_its_cars_and_its_visitors_stays_newest_first(self, session, park, li, ids):
        own_in = cap(session, park, park.entry, park.li_plate, "own-in", T0 - timedelta(hours=3))
        cap(session, park, park.exit, park.li_plate, "own-out", T0 - timedelta(hours=2))
        guest = visitor_inside(session, park, li, ids["li_house"], "鲁B12345")
        park.cp.unknown_policy = "temporary"
        stranger = cap(session, park, park.entry, "皖AP6V68", "str-in", T0 + timedelta(minutes=1)).session_id
        stays = lane_service.my_stays(session, by=li, now=T0 + timedelta(minutes=95))
        got = [r["stay"].id for r in stays]  # the demo's own stays of Li's house are there too
        assert got.index(guest) < got.index(own_in.session_id) and stranger not in got
        g, own = stays[got.index(guest)], stays[got.index(own_in.session_id)]
        assert (g["inside"], g["due_fen"], g["payable"], g["car_park"]) == (True, 1000, True, "地面停车场")
        assert (own["inside"], own["due_fen"], own["payable"]) == (False, 0, False)  # residents leave free

    def test_another_households_stay_is_404_to_read_and_to_pay(self, session, park, li, ids, persona):
        other = (
            session.execute(
                select(House.id).where(House.compound_id == ids["A"], House.id != ids["li_house"]).order_by(House.id)
            )
            .scalars()
            .first()
        )
        manager = persona("manager_wang").who
        theirs = visitor_inside(session, park, manager, other, "鲁C54321")
        park.cp.unknown_policy = "temporary"
        stranger = cap(session, park, park.entry, "皖AP6V68", "str-in", T0).session_id
        for sid in (theirs, stranger):
            with pytest.raises(ParkingSessionNotFound):
                lane_service.my_stay(session, by=li, session_id=sid)
            with pytest.raises(ParkingSessionNotFound):
                lane_service.prepay(session, by=li, session_id=sid, payment_ref="H5-STRANGER", now=T0)
        assert sid not in [r["stay"].id for r in lane_service.my_stays(session, by=li, now=T0)]


class TestPrepay:
    def test_r_m3_paying_twice_charges_and_books_once(self, session, park, li, ids):
        sid = visitor_inside(session, park, li, ids["li_house"], "鲁B12345")
        at = T0 + timedelta(minutes=95)
        s = lane_service.prepay(session, by=li, session_id=sid, payment_ref="H5-A1B2C3", now=at)
        assert (s.paid_fen, s.paid_via, s.payment_ref) == (1000, PaidVia.qr, "H5-A1B2C3")
        lane_service.prepay(session, by=li, session_id=sid, payment_ref="H5-A1B2C3", now=at + timedelta(seconds=5))
        with pytest.raises(NothingToPay):  # a second payment (a new page's reference) is refused, not charged
            lane_service.prepay(session, by=li, session_id=sid, payment_ref="H5-OTHER", now=at + timedelta(minutes=1))
        assert len(paid_events(session, sid)) == 1
        run_worker_once()
        lines = session.execute(
            select(func.sum(CommonIncome.gross_fen), func.count()).where(CommonIncome.source_ref == "parking:H5-A1B2C3")
        ).one()
        assert tuple(lines) == (1000, 1)

    def test_the_exit_opens_within_the_grace_window_after_prepaying(self, session, park, li, ids):
        sid = visitor_inside(session, park, li, ids["li_house"], "鲁B12345")
        paid_at = T0 + timedelta(minutes=95)
        lane_service.prepay(session, by=li, session_id=sid, payment_ref="H5-EXIT01", now=paid_at)
        (row,) = [
            r for r in lane_service.my_stays(session, by=li, now=paid_at + timedelta(minutes=1)) if r["stay"].id == sid
        ]
        assert (row["due_fen"], row["payable"]) == (0, False)
        ev = cap(session, park, park.exit, "鲁B12345", "out-1", paid_at + timedelta(minutes=park.cp.exit_grace_minutes))
        assert (ev.decision, ev.reason, ev.session_id) == (Decision.open, DecisionReason.fee_paid, sid)
        assert len(paid_events(session, sid)) == 1

    def test_past_the_grace_window_the_exit_holds_for_the_time_since(self, session, park, li, ids):
        sid = visitor_inside(session, park, li, ids["li_house"], "鲁B12345")
        paid_at = T0 + timedelta(minutes=50)  # 500 fen: one started hour
        s = lane_service.prepay(session, by=li, session_id=sid, payment_ref="H5-LATE01", now=paid_at)
        assert s.paid_fen == 500
        late = paid_at + timedelta(minutes=park.cp.exit_grace_minutes + 1, seconds=1)
        (row,) = [r for r in lane_service.my_stays(session, by=li, now=late) if r["stay"].id == sid]
        assert row["due_fen"] == 500 and not row["payable"]  # the second hour, paid at the exit
        ev = cap(session, park, park.exit, "鲁B12345", "out-2", late)
        assert (ev.decision, ev.reason, ev.fee_fen) == (Decision.hold, DecisionReason.fee_due, 500)

    def test_a_stay_that_has_left_cannot_be_prepaid(self, session, park, li, ids):
        sid = visitor_inside(session, park, li, ids["li_house"], "鲁B12345")
        cap(session, park, park.exit, "鲁B12345", "out-3", T0 + timedelta(minutes=10))  # free minutes
        with pytest.raises(NothingToPay):
            lane_service.prepay(session, by=li, session_id=sid, payment_ref="H5-GONE01", now=T0 + timedelta(hours=1))
