"""Charging money without the app's wallet flow (issue 18 item 4): the staffed counter tops up a resident's wallet
by their charging card (R-M7: the app is never the only channel), with a receipt, keyed so a resubmitted form tops up
once; and a charge paid for on its own, no wallet touched, retried with the same key as one session paid once,
the unused part recorded as refunded at the end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from anju.charging.enums import PayMethod, StartMode
from anju.charging.models import ChargingSession
from anju.charging.service import charging_service
from anju.core.db import utcnow
from anju.core.errors import AppError
from anju.devices.enums import DeviceType
from anju.fees.accounts import wallet_service
from anju.fees.models import WalletEntry
from tests.devices.helpers import make_device, msg, push


@pytest.fixture
def pile(client, session, ids):
    device_id, key, secret = make_device(session, ids["A"], DeviceType.ebike_charger, location="5号楼车棚 2号插座")
    assert push(client, key, secret, [msg({"state": "idle", "power_w": 0, "temp_c": 21.0})]).status_code == 202
    return {"id": device_id, "key": key, "secret": secret}


def test_r_m7_counter_top_up_by_card_with_one_receipt_per_form(session, ids, persona):
    li, staff = persona("resident_li").who, persona("staff_liu").who
    charging_service.add_card(session, who=li, compound_id=ids["A"], card_uid="c0ffee01")
    args = {"who": staff, "compound_id": ids["A"], "card_uid": "C0FFEE01", "amount_fen": 2000}
    first, card = charging_service.counter_top_up(session, **args, request_key="form-abc12345")
    again, _ = charging_service.counter_top_up(session, **args, request_key="form-abc12345")  # a double submit
    assert card.user_id == li.user_id and first.receipt_no == again.receipt_no and first.user_id == staff.user_id
    assert wallet_service.balance(session, compound_id=ids["A"], user_id=li.user_id) == 2000
    charging_service.counter_top_up(session, **args, request_key="form-def67890")  # the next form: a new top-up
    assert wallet_service.balance(session, compound_id=ids["A"], user_id=li.user_id) == 4000
    with pytest.raises(AppError) as e:
        charging_service.counter_top_up(session, **{**args, "card_uid": "UNKNOWN1"}, request_key="form-x1234567")
    assert e.value.code == "charging_card_unknown"
    with pytest.raises(AppError):  # residents do not run the counter
        charging_service.counter_top_up(session, **{**args, "who": li}, request_key="form-y1234567")


def test_pay_per_session_without_a_wallet_once_and_refunded_at_the_end(client, session, ids, pile, persona):
    li = persona("resident_li").who
    t0 = utcnow()
    start = {
        "who": li,
        "device_key": pile["key"],
        "mode": StartMode.duration,
        "hours": 2,
        "pay": PayMethod.single,
        "request_key": "tap12345",
    }
    s = charging_service.start(session, now=t0, **start)
    assert (s.pay_method, s.prepaid_fen) == ("single", 100)
    assert charging_service.start(session, now=t0, **start).id == s.id  # a double tap: the same session
    paid = session.execute(
        select(func.count()).select_from(ChargingSession).where(ChargingSession.pay_ref.is_not(None))
    )
    assert paid.scalar_one() == 1
    assert wallet_service.balance(session, compound_id=ids["A"], user_id=li.user_id) == 0
    assert push(client, pile["key"], pile["secret"], [msg({"state": "charging"}, at=t0)]).status_code == 202
    charging_service.tick(session, now=t0 + timedelta(seconds=5))
    charging_service.stop(session, who=li, session_id=s.id, now=t0 + timedelta(minutes=30))
    session.refresh(s)
    assert (s.charged_fen, s.refunded_fen) == (25, 75)
    entries = session.execute(
        select(func.count()).select_from(WalletEntry).where(WalletEntry.source_key.like(f"charging:{s.id}:%"))
    ).scalar_one()
    assert entries == 0  # no wallet was touched on the way in or out
