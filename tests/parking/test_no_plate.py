"""无牌车 (issue 13 item 4): a car without a plate scans the entry lane's QR, its stay is keyed to a token on the phone,
and at the exit the phone pays the temporary fee once (a repeated submit pays nothing more) and the barrier opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from anju.core.events import OutboxEvent
from anju.devices.models import DeviceCommand
from anju.parking.enums import Decision, DecisionReason
from anju.parking.exceptions import LaneNotFound, NothingToPay, ParkingSessionNotFound
from anju.parking.lane_service import NO_PLATE, lane_service
from tests.web.conftest import ORIGIN

T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def paid_events(session):
    return session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.topic == "parking.ParkingFeePaid"))


class TestService:
    def test_enter_then_pay_once_and_leave(self, session, park):
        park.cp.unknown_policy = "temporary"
        ev, stay = lane_service.no_plate_entry(session, lane=park.entry, car_token=None, now=T0)
        assert (ev.decision, ev.reason, stay.plate) == (Decision.open, DecisionReason.no_plate, NO_PLATE)
        assert ev.command_id is not None and session.get(DeviceCommand, ev.command_id) is not None
        again, same = lane_service.no_plate_entry(session, lane=park.entry, car_token=stay.no_plate_token, now=T0)
        assert (again.id, same.id) == (ev.id, stay.id)  # a reload of the page makes no second stay
        later = T0 + timedelta(minutes=95)
        with pytest.raises(NothingToPay):  # the fee comes first
            lane_service.no_plate_exit(session, lane=park.exit, car_token=stay.no_plate_token, now=later)
        out = lane_service.no_plate_exit(
            session, lane=park.exit, car_token=stay.no_plate_token, payment_ref="NP-1", now=later
        )
        assert (out.decision, out.reason) == (Decision.open, DecisionReason.fee_paid)
        session.refresh(stay)
        assert (stay.paid_fen, stay.exited_at) == (1000, later) and paid_events(session) == 1
        with pytest.raises(ParkingSessionNotFound):  # gone: a second exit finds no stay
            lane_service.no_plate_exit(session, lane=park.exit, car_token=stay.no_plate_token, payment_ref="NP-1")

    def test_two_cars_without_plates_keep_separate_stays(self, session, park):
        park.cp.unknown_policy = "temporary"
        _, a = lane_service.no_plate_entry(session, lane=park.entry, car_token=None, now=T0)
        _, b = lane_service.no_plate_entry(session, lane=park.entry, car_token=None, now=T0)
        assert a.id != b.id and a.no_plate_token != b.no_plate_token
        out = lane_service.no_plate_exit(
            session, lane=park.exit, car_token=a.no_plate_token, now=T0 + timedelta(minutes=20)
        )
        assert out.reason == DecisionReason.free_exit
        session.refresh(b)
        assert b.exited_at is None

    def test_a_held_car_park_waits_for_the_guard_and_a_forged_lane_token_is_404(self, session, park):
        ev, _ = lane_service.no_plate_entry(session, lane=park.entry, car_token=None, now=T0)
        assert ev.decision == Decision.hold and ev.command_id is None
        with pytest.raises(LaneNotFound):
            lane_service.qr_lane(session, lane_id=park.entry.id, token="0" * 32)


def test_the_phone_enters_and_leaves_through_the_h5_page(client, session, park):
    park.cp.unknown_policy = "temporary"
    session.flush()
    entry = f"/h5/parking/lane/{park.entry.id}/{lane_service.lane_qr_token(park.entry.id)}"
    exit_ = f"/h5/parking/lane/{park.exit.id}/{lane_service.lane_qr_token(park.exit.id)}"
    page = client.get(entry)
    assert page.status_code == 200 and 'data-testid="np-enter"' in page.text
    r = client.post(entry + "/enter", headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "anju_np" in r.headers.get("set-cookie", "")
    page = client.get(exit_)
    assert 'data-testid="np-leave"' in page.text  # within the free minutes: leave without paying
    r = client.post(exit_ + "/leave", data={"pay_ref": "NPWEB1"}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    assert 'data-testid="np-none"' in client.get(exit_).text
    assert client.get(f"/h5/parking/lane/{park.exit.id}/{'0' * 32}").status_code == 404
