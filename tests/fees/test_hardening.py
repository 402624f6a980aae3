"""Issue 20: simulated payment in production (item 2), formula injection in the fees export (item 6),
year-0 billing periods and quarters (item 13)."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy import select

from anju.accounts.models import User
from anju.core.config import Settings, reset_settings
from anju.core.kit.china_time import china_date
from anju.fees.models import Bill, FeeItem, PaymentIntent, Refund
from tests.fees.helpers import CALLBACK, li_open_bill, signed
from tests.web.conftest import ORIGIN

STRONG_SECRET = "s3cret-for-tests-Zq8vN2wLx5Rt7Yb1Kc4Jm6Hp"
STRONG_DATA_KEY = "data-key-for-tests-Ua9Wf3Ge7Td1Sc5Rb2Qn4"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """ANJU_ENV=production with proper keys; crypto keys stay as derived at start (they are cached)."""
    monkeypatch.setenv("ANJU_ENV", "production")
    monkeypatch.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
    monkeypatch.delenv("ANJU_PAYMENT_PROVIDER", raising=False)
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


class TestSimulatedPaymentInProduction:
    def test_simulated_payment_in_production_cannot_mark_a_bill_paid(
        self, client, web_login, session, ids, monkeypatch
    ):
        web_login("resident_li")
        bill = li_open_bill(session, ids)
        start = client.post(f"/h5/bills/{bill.id}/pay", headers=ORIGIN, follow_redirects=False)
        checkout = start.headers["location"]  # an order opened while the simulator was still allowed
        monkeypatch.setenv("ANJU_ENV", "production")
        monkeypatch.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        monkeypatch.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
        reset_settings()
        try:
            r = client.post(checkout, data={"outcome": "pay"}, headers=ORIGIN, follow_redirects=False)
            assert r.status_code == 409, r.text
            assert client.get(checkout).status_code == 409
            intent = session.execute(
                select(PaymentIntent).where(PaymentIntent.order_no == checkout.rsplit("/", 1)[1])
            ).scalar_one()
            # Nor can anybody forge the simulator's signed notification (it was signed with the old key
            # or the new one: both refused).
            client.cookies.clear()  # the provider has no session
            for _ in range(2):
                body, headers = signed(intent.order_no, intent.amount_fen)
                assert client.post(CALLBACK, content=body, headers=headers).status_code == 401
            session.refresh(bill)
            assert bill.status == "open" and bill.paid_fen == 0
        finally:
            monkeypatch.undo()
            reset_settings()

    def test_simulated_payment_in_production_online_payment_is_off_with_a_reason(
        self, client, login, web_login, session, ids, production
    ):
        bill = li_open_bill(session, ids)
        r = client.post(f"/api/v1/fees/bills/{bill.id}/online-payments", headers=login("resident_li"))
        assert r.status_code == 409 and r.json()["error"]["code"] == "fees_online_payment_off"
        assert "counter" in r.json()["error"]["message"]["en"]
        web_login("resident_li")
        page = client.get("/h5/bills")
        assert page.status_code == 200 and 'data-testid="online-off"' in page.text
        assert 'data-testid="pay"' not in page.text
        assert client.post(f"/h5/bills/{bill.id}/pay", headers=ORIGIN).status_code == 409
        assert session.execute(select(PaymentIntent).where(PaymentIntent.bill_id == bill.id)).first() is None

    def test_simulated_payment_in_production_cannot_be_configured(self, monkeypatch):
        monkeypatch.setenv("ANJU_ENV", "production")
        monkeypatch.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        monkeypatch.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
        for name in ("sim", "SIM", " sim "):
            monkeypatch.setenv("ANJU_PAYMENT_PROVIDER", name)
            with pytest.raises(ValidationError, match="ANJU_PAYMENT_PROVIDER=sim"):
                Settings()
        monkeypatch.setenv("ANJU_PAYMENT_PROVIDER", "wechatpay")
        s = Settings()
        assert s.online_payment_provider == "wechatpay"

    def test_simulated_sms_in_production_cannot_be_configured_or_used(self, monkeypatch):
        from anju.notify.config import NotifySettings
        from anju.notify.providers import ChannelOff, phone_provider

        monkeypatch.setenv("ANJU_ENV", "production")
        monkeypatch.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
        monkeypatch.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
        reset_settings()
        try:
            monkeypatch.setenv("ANJU_NOTIFY_SMS_PROVIDER", "logging")
            with pytest.raises(ValidationError, match="logging"):
                NotifySettings()
            monkeypatch.delenv("ANJU_NOTIFY_SMS_PROVIDER")
            off = NotifySettings()
            assert off.phone_provider_name is None
            with pytest.raises(ChannelOff):
                phone_provider(off.phone_provider_name)
        finally:
            monkeypatch.undo()
            reset_settings()
        assert NotifySettings().phone_provider_name == "logging"  # development keeps the logging provider


def _sheet_rows(data: bytes, index: int) -> list[tuple]:
    ws = load_workbook(BytesIO(data)).worksheets[index]
    return [tuple(c for c in row) for row in ws.iter_rows()]


class TestFormulaInjection:
    @pytest.mark.parametrize("evil", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
    def test_formula_injection_fee_item_and_refund_reason_stay_text(self, client, login, session, ids, evil):
        bill = li_open_bill(session, ids)
        item = session.get(FeeItem, bill.item_id)
        item.name = evil
        bill.paid_fen, bill.status = bill.amount_fen, "paid"
        manager = session.execute(select(User.id).where(User.username == "manager_wang")).scalar_one()
        session.add(
            Refund(
                compound_id=bill.compound_id,
                bill_id=bill.id,
                amount_fen=1,
                reason=evil,
                receipt_no="F-T-1",
                user_id=manager,
            )
        )
        session.flush()
        r = client.get(
            f"/api/v1/fees/export.xlsx?compound_id={ids['A']}&period={bill.period}", headers=login("manager_wang")
        )
        assert r.status_code == 200, r.text
        cells = [c for sheet in (0, 1) for row in _sheet_rows(r.content, sheet) for c in row]
        # (XML reads a carriage return back as a newline: compare without the leading whitespace)
        planted = [c for c in cells if isinstance(c.value, str) and c.value.strip() == evil.strip()]
        assert len(planted) >= 2  # the item name on the bill row and the refund reason
        assert all(c.data_type == "s" for c in planted)
        assert not any(c.data_type == "f" for c in cells)

    def test_formula_injection_control_characters_do_not_break_the_export(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        session.get(FeeItem, bill.item_id).name = "物业\x01费\x1b"
        session.flush()
        r = client.get(
            f"/api/v1/fees/export.xlsx?compound_id={ids['A']}&period={bill.period}", headers=login("manager_wang")
        )
        assert r.status_code == 200, r.text
        values = [c.value for row in _sheet_rows(r.content, 0) for c in row]
        assert "物业\ufffd费\ufffd" in values

    def test_formula_injection_one_guard_for_fees_and_roster(self):
        from anju.core import sheets
        from anju.fees import export
        from anju.registry import roster

        assert export.sheets is sheets and roster.sheets is sheets
        assert sheets.csv_cell("=1+1") == "'=1+1" and sheets.csv_cell("a\x00b") == "a\ufffdb"
        assert sheets.clean_text("x\ud800y\x0b") == "x\ufffdy\ufffd"  # a lone surrogate cannot be encoded


class TestOutOfRangeDates:
    @pytest.mark.parametrize("period", ["0000-01", "0001-01", "9999-12", "1989-12", "٢٠٢٦-01", "2026-01\n"])
    def test_year_0_billing_period_is_a_4xx_with_a_reason(self, client, login, ids, period):
        h = login("manager_wang")
        r = client.post("/api/v1/fees/billing-runs", json={"compound_id": ids["A"], "period": period}, headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] in ("fees_bad_period", "invalid")  # service or schema, both with a reason
        if period[:4] in ("0000", "0001", "9999", "1989"):
            assert "year" in r.json()["error"]["message"]["en"]
        r = client.get("/api/v1/fees/export.xlsx", params={"compound_id": ids["A"], "period": period}, headers=h)
        assert r.status_code == 422
        r = client.post(
            "/api/v1/fees/reminders",
            json={"compound_id": ids["A"], "period": period, "deadline": "2099-01-01"},
            headers=h,
        )
        assert r.status_code == 422

    @pytest.mark.parametrize("quarter", ["0000Q1", "0000Q4", "9999Q4", "0001Q1"])
    def test_year_0_quarter_is_a_4xx_with_a_reason(self, client, login, ids, quarter):
        h = login("manager_wang")
        r = client.post(
            "/api/v1/fees/repair-fund-transfers", json={"compound_id": ids["A"], "quarter": quarter}, headers=h
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "fees_bad_quarter"

    def test_year_0_billing_period_on_the_console_is_a_4xx(self, client, web_login, session, ids):
        web_login("manager_wang")
        r = client.post(f"/console/fees/billing-run?compound_id={ids['A']}", data={"period": "0000-01"}, headers=ORIGIN)
        assert 400 <= r.status_code < 500
        assert session.execute(select(Bill).where(Bill.period == "0000-01")).first() is None


class TestRosterExport:
    """Issue 20 items 6/13: one person with a control character in their name broke the whole roster export."""

    @pytest.mark.parametrize("fmt", ["xlsx", "csv"])
    def test_formula_injection_roster_control_character_in_a_name(self, client, login, session, ids, fmt):
        from anju.registry.models import Person

        p = session.get(Person, ids["li_person"])
        p.name = "李\x01四\x1f"
        session.flush()
        r = client.get(
            "/api/v1/roster/export", params={"compound_id": ids["A"], "format": fmt}, headers=login("manager_wang")
        )
        assert r.status_code == 200, r.text
        if fmt == "xlsx":
            names = [row[0].value for row in load_workbook(BytesIO(r.content)).worksheets[0].iter_rows()]
        else:
            names = [line.split(",")[0] for line in r.content.decode("utf-8-sig").splitlines()]
        assert "李\ufffd四\ufffd" in names


class TestRemindersThroughTheOutbox:
    def test_seam_arrears_reminders_are_events_the_notices_domain_delivers(self, client, login, session, ids):
        """Issue 10 item 4: fees no longer calls the notices service for reminders."""
        from datetime import timedelta

        from anju.core.events import OutboxEvent
        from anju.fees.models import ArrearsReminder
        from anju.fees.service import previous_period
        from anju.notices.models import Notice
        from tests.conftest import run_worker_once
        from tests.fees.helpers import this_period

        period = previous_period(this_period())
        body = {"compound_id": ids["A"], "period": period, "deadline": (china_date() + timedelta(days=15)).isoformat()}
        r = client.post("/api/v1/fees/reminders", json=body, headers=login("manager_wang"))
        assert r.status_code == 200 and r.json()["reminded"] > 0
        reminders = session.execute(select(ArrearsReminder).where(ArrearsReminder.period == period)).scalars().all()
        assert reminders and all(x.notice_id is None for x in reminders)  # nothing delivered yet
        queued = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "fees.ArrearsReminderDue")).all()
        assert len(queued) == len(reminders)
        run_worker_once()
        for x in reminders:
            session.refresh(x)
            notice = session.get(Notice, x.notice_id)
            assert notice is not None and notice.kind == "arrears" and notice.target_id == x.house_id
        run_worker_once()  # nothing left, nothing posted twice
        titles = session.execute(select(Notice.id).where(Notice.kind == "arrears", Notice.title.startswith(period)))
        assert len(titles.all()) == len(reminders)


class TestNoUnhandled500:
    """Issue 20 item 13, the same class elsewhere in fees and notices: odd digits and unstorable text."""

    def test_unhandled_500_odd_digits_in_fees_pages(self, client, web_login, ids):
        web_login("manager_wang")
        for q in ("page=²", "page=" + "9" * 5000, "page=٣"):
            assert client.get(f"/console/fees?compound_id={ids['A']}&{q}").status_code == 200, q
        web_login("resident_li")
        for q in ("paid=²", "paid=" + "9" * 5000):
            assert client.get(f"/h5/bills?{q}").status_code == 200, q

    def test_unhandled_500_unpaired_surrogate_in_fees_and_notices_bodies(self, client, login, session, ids):
        bill = li_open_bill(session, ids)
        cases = [
            ("manager_wang", f"/api/v1/fees/bills/{bill.id}/refunds", {"amount": "1", "reason": "x\ud800y"}),
            (
                "manager_wang",
                "/api/v1/fees/items",
                {
                    "compound_id": ids["A"],
                    "code": "X\ud800",
                    "name": "n",
                    "kind": "property",
                    "basis": "per_area",
                    "rate": "1",
                    "filing_ref": "f",
                },
            ),
            (
                "manager_wang",
                "/api/v1/notices",
                {"compound_id": ids["A"], "kind": "general", "title": "t\ud800", "body": "b"},
            ),
            (
                "committee_sun",
                "/api/v1/surveys",
                {"compound_id": ids["A"], "title": "s", "questions": [{"kind": "text", "text": "\udfff"}]},
            ),
            (
                "manager_wang",
                "/api/v1/notices",
                {"compound_id": ids["A"], "kind": "general", "title": "t\x00", "body": "b"},
            ),
        ]
        import json

        for who, url, body in cases:
            raw = json.dumps(body)  # "\ud800" travels as the JSON escape, as an attacker would send it
            r = client.post(url, content=raw, headers={**login(who), "content-type": "application/json"})
            assert r.status_code == 422, (url, r.status_code, r.text[:200])


def test_simulated_sms_in_production_stops_the_start(monkeypatch):
    from anju.main import create_app
    from anju.notify.config import notify_settings

    monkeypatch.setenv("ANJU_ENV", "production")
    monkeypatch.setenv("ANJU_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("ANJU_DATA_KEY", STRONG_DATA_KEY)
    monkeypatch.setenv("ANJU_NOTIFY_SMS_PROVIDER", "logging")
    reset_settings()
    notify_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="ANJU_NOTIFY_SMS_PROVIDER"):
            create_app()
    finally:
        monkeypatch.undo()
        reset_settings()
        notify_settings.cache_clear()


def test_seam_fees_reaches_notices_only_through_events():
    """Issue 10 item 4: reminders and disclosures are outbox events; fees imports only notices' event contract."""
    import ast
    from pathlib import Path

    import anju.fees

    bad = []
    for f in Path(anju.fees.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad += [f"{f.name}: {n}" for n in names if n.startswith("anju.notices") and n != "anju.notices.events"]
    assert bad == []


def test_seam_disclosure_is_recorded_by_fees_and_posted_by_notices(client, login, session, ids):
    from anju.fees.models import FeeDisclosure
    from anju.notices.models import Notice
    from tests.conftest import run_worker_once

    r = client.post("/api/v1/fees/arrears/disclosure", json={"compound_id": ids["A"]}, headers=login("manager_wang"))
    assert r.status_code == 201 and r.json()["notice_id"] is None
    row = session.get(FeeDisclosure, r.json()["disclosure_id"])
    assert row.kind == "arrears" and row.compound_id == ids["A"]
    run_worker_once()
    session.refresh(row)
    notice = session.get(Notice, row.notice_id)
    assert notice.kind == "disclosure" and notice.title == row.title and notice.target_kind == "compound"


def test_receipt_id_oracle_someone_elses_and_a_missing_receipt_read_alike(client, web_login, login, session, ids):
    """The same class as the survey id oracle: a receipt page answered differently for another household's
    payment (fees_bill_not_found) and for no payment at all."""
    from anju.fees.models import Payment
    from tests.fees.helpers import other_open_bill

    bill = other_open_bill(session, ids)
    r = client.post(
        f"/api/v1/fees/bills/{bill.id}/counter-payments", json={"amount": "1.00"}, headers=login("staff_liu")
    )
    assert r.status_code == 201, r.text
    theirs = r.json()["id"]
    missing = (session.execute(select(Payment.id).order_by(Payment.id.desc())).scalars().first() or 0) + 1000
    web_login("resident_li")
    a = client.get(f"/h5/bills/receipts/{theirs}")
    b = client.get(f"/h5/bills/receipts/{missing}")
    assert a.status_code == b.status_code == 404
    assert a.text.replace(str(theirs), "N") == b.text.replace(str(missing), "N")


def test_unhandled_500_huge_amount_and_far_deadline(client, login, session, ids):
    bill = li_open_bill(session, ids)
    r = client.post(
        f"/api/v1/fees/bills/{bill.id}/counter-payments", json={"amount": "1e9999"}, headers=login("staff_liu")
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "fees_bad_amount"
    r = client.post(
        "/api/v1/fees/reminders",
        json={"compound_id": ids["A"], "period": "2026-01", "deadline": "9999-12-31"},
        headers=login("manager_wang"),
    )
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "deadline"
