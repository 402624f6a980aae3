"""Payments: the simulated online provider's signed callback (idempotent on its transaction id,
also under concurrency), the staffed counter (R-M7), refunds never above what was paid (R-M5),
and bad input refused with a reason while the ledger stays unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from anju.core.db import transaction
from anju.fees.models import Bill, Payment, PaymentIntent
from anju.fees.providers import simulated_provider
from anju.fees.service import fee_service
from tests.conftest import principal_of
from tests.core.databases import dedicated_database
from tests.core.job_race import race
from tests.fees.helpers import (
    CALLBACK,
    ledger_state,
    li_open_bill,
    other_open_bill,
    payments_of,
    signed,
)


def _open_order(client, login, bill_id: int) -> dict:
    r = client.post(f"/api/v1/fees/bills/{bill_id}/online-payments", headers=login("resident_li"))
    assert r.status_code == 201, r.text
    return r.json()


class TestOnlineProvider:
    def test_resident_pays_own_bill_through_the_signed_callback(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        order = _open_order(client, login, bill.id)
        assert order["amount_fen"] == bill.amount_fen and order["checkout_url"].endswith(order["order_no"])
        body, headers = signed(order["order_no"], order["amount_fen"], txn_id="SIMTXN0001")
        r = client.post(CALLBACK, content=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["receipt_no"]
        session.expire_all()
        assert session.get(Bill, bill.id).status == "paid"
        receipts = client.get(f"/api/v1/fees/bills/{bill.id}/payments", headers=login("resident_li")).json()
        assert [p["provider_txn"] for p in receipts] == ["SIMTXN0001"]

    def test_a_replayed_callback_pays_once(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        order = _open_order(client, login, bill.id)
        body, headers = signed(order["order_no"], order["amount_fen"], txn_id="SIMTXN-REPLAY")
        first = client.post(CALLBACK, content=body, headers=headers).json()
        for _ in range(3):
            again = client.post(CALLBACK, content=body, headers=headers)
            assert again.status_code == 200 and again.json()["payment_id"] == first["payment_id"]
        session.expire_all()
        assert len(payments_of(session, bill.id)) == 1
        assert session.get(Bill, bill.id).paid_fen == bill.amount_fen

    def test_a_forged_or_tampered_callback_is_refused(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        order = _open_order(client, login, bill.id)
        before = ledger_state(session, bill.id)
        body, headers = signed(order["order_no"], order["amount_fen"])
        tampered = body.replace(b'"SUCCESS"', b'"SUCCESS" ')
        assert client.post(CALLBACK, content=tampered, headers=headers).status_code == 401
        assert client.post(CALLBACK, content=body, headers={"X-Anju-Pay-Signature": "00" * 32}).status_code == 401
        assert client.post(CALLBACK, content=body).status_code == 401
        unknown = client.post("/api/v1/fees/providers/other/callback", content=body, headers=headers)
        assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "fees_provider_unauthenticated"
        assert ledger_state(session, bill.id) == before

    def test_an_amount_that_does_not_match_the_order_is_refused(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        order = _open_order(client, login, bill.id)
        before = ledger_state(session, bill.id)
        body, headers = signed(order["order_no"], order["amount_fen"] - 1)
        assert client.post(CALLBACK, content=body, headers=headers).status_code == 409
        assert ledger_state(session, bill.id) == before

    def test_a_failed_payment_leaves_the_bill_open(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        order = _open_order(client, login, bill.id)
        body, headers = signed(order["order_no"], order["amount_fen"], success=False)
        r = client.post(CALLBACK, content=body, headers=headers)
        assert r.status_code == 200 and r.json()["payment_id"] is None
        assert ledger_state(session, bill.id)[2] == "open"

    def test_paying_someone_elses_bill_is_404_and_changes_nothing(self, client, login, session, ids):
        bill = other_open_bill(session, ids)
        before = ledger_state(session, bill.id)
        r = client.post(f"/api/v1/fees/bills/{bill.id}/online-payments", headers=login("resident_li"))
        assert r.status_code == 404 and r.json()["error"]["code"] == "fees_bill_not_found"
        assert ledger_state(session, bill.id) == before

    def test_paying_a_paid_bill_is_refused(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        order = _open_order(client, login, bill.id)
        body, headers = signed(order["order_no"], order["amount_fen"])
        client.post(CALLBACK, content=body, headers=headers)
        r = client.post(f"/api/v1/fees/bills/{bill.id}/online-payments", headers=login("resident_li"))
        assert r.status_code == 409 and r.json()["error"]["code"] == "fees_bill_paid"
        counter = client.post(
            f"/api/v1/fees/bills/{bill.id}/counter-payments", json={"amount": "1.00"}, headers=login("staff_liu")
        )
        assert counter.status_code == 409
        assert len(payments_of(session, bill.id)) == 1


class TestRM7Counter:
    def test_r_m7_staff_take_cash_at_the_counter_with_a_receipt(self, client, login, session, ids):
        bill = other_open_bill(session, ids)
        part = client.post(
            f"/api/v1/fees/bills/{bill.id}/counter-payments",
            json={"amount": "1.00", "channel": "counter_cash"},
            headers=login("staff_liu"),
        )
        assert part.status_code == 201, part.text
        assert part.json()["receipt_no"].startswith("R") and part.json()["channel"] == "counter_cash"
        rest = (bill.amount_fen - 100) / 100
        r = client.post(
            f"/api/v1/fees/bills/{bill.id}/counter-payments",
            json={"amount": f"{rest:.2f}", "channel": "counter_assisted"},
            headers=login("staff_liu"),
        )
        assert r.status_code == 201
        session.expire_all()
        assert session.get(Bill, bill.id).status == "paid"

    def test_r_m7_the_counter_channel_is_always_offered(self):
        from anju.fees.enums import COUNTER_CHANNELS, PayChannel

        assert PayChannel.counter_cash in COUNTER_CHANNELS

    @pytest.mark.parametrize("amount", ["-5", "0", "abc", "", "1.001", "1e3x", "Infinity"])
    def test_negative_or_non_numeric_amounts_are_refused(self, client, login, session, ids, amount):
        bill = other_open_bill(session, ids)
        before = ledger_state(session, bill.id)
        r = client.post(
            f"/api/v1/fees/bills/{bill.id}/counter-payments", json={"amount": amount}, headers=login("staff_liu")
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "fees_bad_amount"
        assert r.json()["error"]["message"]["zh"] and r.json()["error"]["message"]["en"]
        assert ledger_state(session, bill.id) == before

    def test_more_than_is_due_is_refused(self, client, login, session, ids):
        bill = other_open_bill(session, ids)
        before = ledger_state(session, bill.id)
        r = client.post(
            f"/api/v1/fees/bills/{bill.id}/counter-payments",
            json={"amount": f"{bill.amount_fen / 100 + 1:.2f}"},
            headers=login("staff_liu"),
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "fees_overpayment"
        assert ledger_state(session, bill.id) == before

    def test_residents_and_guards_cannot_take_counter_payments(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        for who in ("resident_li", "guard_chen", "committee_sun"):
            r = client.post(f"/api/v1/fees/bills/{bill.id}/counter-payments", json={"amount": "1"}, headers=login(who))
            assert r.status_code == 403, who


class TestRefunds:
    def _paid(self, client, login, session, ids) -> Bill:
        bill = other_open_bill(session, ids)
        client.post(
            f"/api/v1/fees/bills/{bill.id}/counter-payments",
            json={"amount": f"{bill.amount_fen / 100:.2f}"},
            headers=login("staff_liu"),
        )
        session.expire_all()
        return session.get(Bill, bill.id)

    def test_r_m5_refunds_are_bounded_by_what_was_paid(self, client, login, session, ids):
        bill = self._paid(client, login, session, ids)
        url = f"/api/v1/fees/bills/{bill.id}/refunds"
        half = bill.amount_fen // 2
        ok = client.post(
            url, json={"amount": f"{half / 100:.2f}", "reason": "多收：面积更正"}, headers=login("manager_wang")
        )
        assert ok.status_code == 201, ok.text
        before = ledger_state(session, bill.id)
        over = client.post(
            url,
            json={"amount": f"{(bill.amount_fen - half + 1) / 100:.2f}", "reason": "再退"},
            headers=login("manager_wang"),
        )
        assert over.status_code == 409 and over.json()["error"]["code"] == "fees_refund_too_large"
        assert ledger_state(session, bill.id) == before
        rest = client.post(
            url,
            json={"amount": f"{(bill.amount_fen - half) / 100:.2f}", "reason": "预收未服务月份"},
            headers=login("manager_wang"),
        )
        assert rest.status_code == 201
        session.expire_all()
        assert session.get(Bill, bill.id).refunded_fen == bill.amount_fen

    def test_refund_of_an_unpaid_bill_is_refused(self, client, login, session, ids):
        bill = other_open_bill(session, ids)
        r = client.post(
            f"/api/v1/fees/bills/{bill.id}/refunds",
            json={"amount": "0.01", "reason": "测试"},
            headers=login("manager_wang"),
        )
        assert r.status_code == 409

    def test_cashiers_cannot_refund(self, client, login, session, ids):
        bill = self._paid(client, login, session, ids)
        r = client.post(
            f"/api/v1/fees/bills/{bill.id}/refunds", json={"amount": "1", "reason": "x" * 3}, headers=login("staff_liu")
        )
        assert r.status_code == 403


class TestScope:
    def test_outsider_never_sees_demo_compound_bills(self, client, login, session, ids):
        r = client.get("/api/v1/fees/bills", headers=login("outsider_zhao"))
        assert r.status_code == 200 and all(b["compound_id"] == ids["B"] for b in r.json()["items"])
        bill = li_open_bill(session, ids)
        assert client.get(f"/api/v1/fees/bills/{bill.id}", headers=login("outsider_zhao")).status_code == 404
        assert (
            client.get(f"/api/v1/fees/bills?compound_id={ids['A']}", headers=login("outsider_zhao")).json()["total"]
            == 0
        )
        assert (
            client.get(f"/api/v1/fees/export.xlsx?compound_id={ids['A']}", headers=login("outsider_zhao")).status_code
            == 404
        )
        r = client.post(
            f"/api/v1/fees/bills/{bill.id}/counter-payments", json={"amount": "1"}, headers=login("outsider_zhao")
        )
        assert r.status_code == 404


def _callback(body: bytes, sig: str, out: list[object]) -> None:
    try:
        with transaction() as s:
            p = fee_service.handle_callback(s, provider="sim", body=body, signature=sig)
            out.append(p.id if p else None)
    except Exception as exc:  # noqa: BLE001 - asserted below
        out.append(exc)


def test_concurrent_replays_of_one_callback_pay_once(tmp_path):
    with dedicated_database(tmp_path, "fees_callback_race", seed=True):
        with transaction() as s:
            li = principal_of(s, "resident_li")
            bill = (
                s.execute(select(Bill).where(Bill.house_id.in_(li.house_ids), Bill.status == "open").order_by(Bill.id))
                .scalars()
                .first()
            )
            intent = fee_service.open_online(s, by=li, bill_id=bill.id)
            order_no, amount, bill_id = intent.order_no, intent.amount_fen, bill.id
        body, sig = simulated_provider.notification(order_no=order_no, amount_fen=amount, txn_id="RACE-TXN-1")
        out: list[object] = []
        race(4, lambda _: _callback(body, sig, out))
        with transaction() as s:
            pays = s.execute(select(Payment).where(Payment.bill_id == bill_id)).scalars().all()
            b = s.get(Bill, bill_id)
            status = s.execute(select(PaymentIntent.status).where(PaymentIntent.order_no == order_no)).scalar_one()
        assert len(pays) == 1 and b.paid_fen == amount and b.status == "paid" and status == "succeeded"
        ok = [x for x in out if isinstance(x, int)]
        assert ok and set(ok) == {pays[0].id}


def _counter(bill_id: int, amount: str, out: list[object]) -> None:
    with transaction() as s:
        who = principal_of(s, "staff_liu")
    try:
        with transaction() as s:
            out.append(fee_service.counter_payment(s, by=who, bill_id=bill_id, amount=amount).id)
    except Exception as exc:  # noqa: BLE001 - asserted below
        out.append(exc)


def test_two_cashiers_paying_one_bill_at_once_pay_it_once(tmp_path):
    with dedicated_database(tmp_path, "fees_counter_race", seed=True):
        with transaction() as s:
            bill = (
                s.execute(select(Bill).where(Bill.status == "open", Bill.payer_kind == "owner").order_by(Bill.id))
                .scalars()
                .first()
            )
            bill_id, amount = bill.id, f"{bill.amount_fen / 100:.2f}"
        out: list[object] = []
        race(2, lambda _: _counter(bill_id, amount, out))
        with transaction() as s:
            pays = s.execute(select(Payment).where(Payment.bill_id == bill_id)).scalars().all()
            b = s.get(Bill, bill_id)
        assert len(pays) == 1 and b.paid_fen == b.amount_fen and b.status == "paid"
        assert len([x for x in out if isinstance(x, int)]) == 1
