"""A charging session paid on its own that ends early (a fault, the pile's own cut-off, a power cut that outlasts
it) is refunded for its unused part through the payment provider's refund call (issue 18 item 4): recorded once in
the refund ledger with the session's end, sent after the commit, and refunded once however the request, the send or
the provider call is retried — a crash after the provider paid, two workers at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from anju.charging.enums import PayMethod, StartMode
from anju.charging.service import charging_service
from anju.core.db import utcnow
from anju.core.errors import AppError
from anju.devices.enums import DeviceType
from anju.fees.models import ProviderRefund
from anju.fees.provider_refunds import provider_refund_service
from anju.fees.providers import simulated_provider
from tests.devices.helpers import make_device, msg, push


@pytest.fixture
def pile(client, session, ids):
    device_id, key, secret = make_device(session, ids["A"], DeviceType.ebike_charger, location="5号楼车棚 3号插座")
    assert push(client, key, secret, [msg({"state": "idle", "power_w": 0, "temp_c": 21.0})]).status_code == 202
    return {"id": device_id, "key": key, "secret": secret}


def _paid_session(client, session, pile, li, t0):
    s = charging_service.start(
        session,
        who=li,
        device_key=pile["key"],
        mode=StartMode.duration,
        hours=2,
        now=t0,
        pay=PayMethod.single,
        request_key=uuid.uuid4().hex[:12],
    )
    assert push(client, pile["key"], pile["secret"], [msg({"state": "charging"}, at=t0)]).status_code == 202
    charging_service.tick(session, now=t0 + timedelta(seconds=5))
    return s


def _refunds(session, source):
    return session.execute(select(ProviderRefund).where(ProviderRefund.source_key == source)).scalars().all()


def test_r_m5_a_fault_refunds_the_unused_prepaid_part_through_the_provider_once(
    client, session, ids, pile, persona, web_login
):
    li = persona("resident_li").who
    t0 = utcnow() - timedelta(hours=1)
    s = _paid_session(client, session, pile, li, t0)
    assert (s.pay_method, s.prepaid_fen) == ("single", 100)
    at = t0 + timedelta(minutes=30)
    assert (
        push(client, pile["key"], pile["secret"], [msg({"state": "fault", "temp_c": 78.0}, at=at)]).status_code == 202
    )
    charging_service.tick(session, now=at)
    session.refresh(s)
    assert (s.status, s.end_reason, s.charged_fen, s.refunded_fen) == ("ended", "fault", 25, 75)
    # Retries of the end: the resident's stop, the next tick, the request itself again — one refund owed.
    charging_service.stop(session, who=li, session_id=s.id, now=at + timedelta(minutes=1))
    charging_service.tick(session, now=at + timedelta(minutes=1))
    again = provider_refund_service.request(
        session,
        compound_id=s.compound_id,
        source_key=f"charging:{s.id}:refund",
        txn_id=s.pay_ref,
        amount_fen=75,
        user_id=s.user_id,
        reason="retry",
    )
    [row] = _refunds(session, f"charging:{s.id}:refund")
    assert again is not None and again.id == row.id
    assert (row.status, row.amount_fen, row.txn_id, row.provider) == ("pending", 75, s.pay_ref, "sim")
    assert "设备故障" in row.reason
    assert simulated_provider.refunded(s.pay_ref) == []  # nothing sent inside the session's transaction
    web_login("resident_li")
    page = client.get(f"/h5/charging/session/{s.id}")
    assert "0.75 元正在原路退回" in page.text and row.refund_no in page.text
    # The job sends it after the commit; a second run finds nothing to send.
    first = provider_refund_service.send_due(now=at + timedelta(minutes=2))
    second = provider_refund_service.send_due(now=at + timedelta(minutes=3))
    assert (first["done"], second["claimed"]) == (1, 0)
    session.refresh(row)
    [paid_back] = simulated_provider.refunded(s.pay_ref)
    assert (row.status, row.provider_refund_id, paid_back.amount_fen) == ("done", paid_back.refund_id, 75)
    assert "0.75 元已原路退回" in client.get(f"/h5/charging/session/{s.id}").text


def test_a_crash_after_the_provider_paid_is_retried_with_the_same_refund_number(client, session, ids, pile, persona):
    li = persona("resident_li").who
    t0 = utcnow() - timedelta(hours=1)
    s = _paid_session(client, session, pile, li, t0)
    at = t0 + timedelta(minutes=12)
    # The pile switches itself off (over-temperature): the session ends early.
    assert push(client, pile["key"], pile["secret"], [msg({"state": "idle", "temp_c": 71.0}, at=at)]).status_code == 202
    charging_service.tick(session, now=at)
    session.refresh(s)
    assert (s.end_reason, s.refunded_fen) == ("device_cut", 90)
    [row] = _refunds(session, f"charging:{s.id}:refund")
    # A worker claimed it and the provider paid, then the worker died before recording it (its lease ran out).
    simulated_provider.refund(refund_no=row.refund_no, txn_id=row.txn_id, amount_fen=row.amount_fen)
    session.execute(update(ProviderRefund).where(ProviderRefund.id == row.id).values(attempts=1, claimed_until=at))
    session.flush()
    # While the lease runs nobody else sends it; after it, the retry asks with the same number: one refund.
    assert provider_refund_service.send_due(now=at - timedelta(seconds=1))["claimed"] == 0
    assert provider_refund_service.send_due(now=at + timedelta(minutes=1))["done"] == 1
    session.refresh(row)
    assert row.status == "done" and row.attempts == 2
    assert [r.amount_fen for r in simulated_provider.refunded(s.pay_ref)] == [90]
    # The provider refuses the same number for another amount.
    with pytest.raises(AppError) as e:
        simulated_provider.refund(refund_no=row.refund_no, txn_id=row.txn_id, amount_fen=91)
    assert e.value.status_code == 409


def test_nothing_unused_nothing_refunded_and_wallet_sessions_stay_in_the_wallet(client, session, ids, pile, persona):
    li = persona("resident_li").who
    t0 = utcnow() - timedelta(hours=1)
    s = _paid_session(client, session, pile, li, t0)
    charging_service.tick(session, now=s.ends_at + timedelta(seconds=1))  # the whole paid time used
    session.refresh(s)
    assert (s.end_reason, s.refunded_fen) == ("time_up", 0)
    assert _refunds(session, f"charging:{s.id}:refund") == []


def test_two_workers_sending_at_once_refund_once(tmp_path):
    """Separate connections on a committed database (SQLite and PostgreSQL): the lease's compare-and-set lets one
    worker call the provider; the other finds nothing to claim."""
    from anju.accounts.models import User
    from anju.core import db as core_db
    from anju.registry.models import Compound
    from tests.core.databases import dedicated_database

    with dedicated_database(tmp_path, "refund_race", seed=True):
        txn = "S-race-" + uuid.uuid4().hex[:10]
        with core_db.new_session() as s:
            a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
            li = s.execute(select(User.id).where(User.username == "resident_li")).scalar_one()
            for n in range(3):
                provider_refund_service.request(
                    s,
                    compound_id=a,
                    source_key=f"race:{txn}:{n}",
                    txn_id=txn,
                    amount_fen=10 + n,
                    user_id=li,
                    reason="race",
                )
            s.commit()
        barrier = threading.Barrier(2)
        tallies: list[dict[str, int]] = []

        def work() -> None:
            barrier.wait()
            tallies.append(provider_refund_service.send_due())

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sum(t["claimed"] for t in tallies) == 3 and sum(t["done"] for t in tallies) == 3, tallies
        assert sorted(r.amount_fen for r in simulated_provider.refunded(txn)) == [10, 11, 12]
        with core_db.new_session() as s:
            done = s.execute(
                select(func.count()).where(ProviderRefund.txn_id == txn, ProviderRefund.status == "done")
            ).scalar_one()
            assert done == 3
