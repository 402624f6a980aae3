"""The fees pages: resident H5 bills and the simulated checkout, receipts, the common-income ledger;
the staff fees console with counter payments, billing runs and the arrears aggregate."""

from __future__ import annotations

import re
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from anju.fees.models import Bill, Payment
from tests.fees.helpers import ledger_state, li_open_bill, other_open_bill
from tests.web.conftest import ORIGIN


class TestResidentBills:
    def test_resident_sees_own_bills_and_the_common_income_ledger(self, client, web_login, session, ids):
        web_login("resident_li")
        r = client.get("/h5/bills")
        assert r.status_code == 200
        houses = set(re.findall(r"· (\d+-\d+-\d+)</span>", r.text))
        assert houses == {"3-1-0802"}
        assert 'data-testid="ledger"' in r.text and "电梯轿厢广告" in r.text
        assert "公共收益台账" in r.text

    def test_pay_through_the_simulated_checkout(self, client, web_login, session, ids):
        web_login("resident_li")
        bill = li_open_bill(session, ids)
        start = client.post(f"/h5/bills/{bill.id}/pay", headers=ORIGIN, follow_redirects=False)
        assert start.status_code == 303 and start.headers["location"].startswith("/h5/bills/pay/")
        page = client.get(start.headers["location"])
        assert page.status_code == 200 and "确认支付" in page.text
        done = client.post(start.headers["location"], data={"outcome": "pay"}, headers=ORIGIN, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/h5/bills?paid={bill.id}"
        after = client.get(done.headers["location"])
        assert f'data-bill="{bill.id}" data-status="paid"' in after.text and "支付成功" in after.text
        payment = session.execute(select(Payment).where(Payment.bill_id == bill.id)).scalar_one()
        receipt = client.get(f"/h5/bills/receipts/{payment.id}")
        assert receipt.status_code == 200 and payment.receipt_no in receipt.text
        # The order is settled: confirming again pays nothing more.
        again = client.post(start.headers["location"], data={"outcome": "pay"}, headers=ORIGIN)
        assert again.status_code == 200 and str(again.url).endswith("/h5/bills")
        assert len(session.execute(select(Payment).where(Payment.bill_id == bill.id)).all()) == 1

    def test_someone_elses_bill_cannot_be_paid_or_its_receipt_read(self, client, web_login, session, ids):
        web_login("resident_li")
        bill = other_open_bill(session, ids)
        before = ledger_state(session, bill.id)
        r = client.post(f"/h5/bills/{bill.id}/pay", headers=ORIGIN)
        assert r.status_code == 404 and "账单不存在" in r.text
        assert ledger_state(session, bill.id) == before
        paid = session.execute(select(Payment.id)).scalars().first()
        if paid is not None and session.get(Payment, paid).bill_id not in {
            b.id for b in session.execute(select(Bill).where(Bill.house_id == ids["li_house"])).scalars()
        }:
            assert client.get(f"/h5/bills/receipts/{paid}").status_code == 404

    def test_staff_cannot_open_the_resident_page(self, client, web_login):
        web_login("manager_wang")
        assert client.get("/h5/bills").status_code == 403


class TestFeesConsole:
    def test_console_lists_bills_with_arrears_aggregate(self, client, web_login, ids):
        web_login("manager_wang")
        r = client.get("/console/fees")
        assert r.status_code == 200
        assert 'data-testid="bills-table"' in r.text and 'data-testid="arrears"' in r.text
        assert set(re.findall(r'data-compound="(\d+)"', r.text)) == {str(ids["A"])}

    def test_staff_collects_at_the_counter(self, client, web_login, session, ids):
        web_login("staff_liu")
        bill = other_open_bill(session, ids)
        r = client.post(
            f"/console/fees/bills/{bill.id}/counter",
            headers=ORIGIN,
            follow_redirects=False,
            data={"amount": f"{bill.amount_fen / 100:.2f}", "channel": "counter_cash"},
        )
        assert r.status_code == 303, r.text
        session.expire_all()
        assert session.get(Bill, bill.id).status == "paid"

    def test_counter_refuses_bad_amounts_with_a_reason(self, client, web_login, session, ids):
        web_login("staff_liu")
        bill = other_open_bill(session, ids)
        before = ledger_state(session, bill.id)
        for amount in ("-1", "abc"):
            r = client.post(
                f"/console/fees/bills/{bill.id}/counter",
                headers=ORIGIN,
                data={"amount": amount, "channel": "counter_cash"},
            )
            assert r.status_code == 422 and "金额" in r.text
        assert ledger_state(session, bill.id) == before

    def test_staff_without_fees_manage_cannot_run_billing(self, client, web_login):
        web_login("staff_liu")
        page = client.get("/console/fees").text
        assert 'data-testid="billing-run"' not in page
        assert client.post("/console/fees/billing-run", data={"period": "2031-05"}, headers=ORIGIN).status_code == 403

    def test_outsider_never_sees_demo_compound_bills(self, client, web_login, ids):
        web_login("outsider_zhao")
        r = client.get(f"/console/fees?compound_id={ids['A']}")
        assert r.status_code == 200
        assert str(ids["A"]) not in set(re.findall(r'data-compound="(\d+)"', r.text))
        assert "示范小区" not in r.text

    def test_guards_and_residents_are_refused(self, client, web_login):
        for who in ("guard_chen", "resident_li", "committee_sun"):
            web_login(who)
            assert client.get("/console/fees").status_code == 403, who

    def test_excel_export_holds_bills_and_payments(self, client, web_login, session, ids):
        web_login("manager_wang")
        period = (
            session.execute(select(Bill.period).where(Bill.compound_id == ids["A"]).order_by(Bill.period))
            .scalars()
            .first()
        )
        r = client.get(f"/api/v1/fees/export.xlsx?compound_id={ids['A']}&period={period}")
        assert r.status_code == 200
        wb = load_workbook(BytesIO(r.content))
        bills, pays = wb.worksheets
        n_bills = len(session.execute(select(Bill.id).where(Bill.compound_id == ids["A"], Bill.period == period)).all())
        assert bills.max_row - 1 == n_bills
        assert pays.max_row > 1  # last month is mostly paid in the demo


PAGES = {
    "resident_li": ("/h5/bills", "/h5/notices"),
    "manager_wang": ("/console/fees", "/console/notices"),
    "committee_sun": ("/console/notices",),
}


class TestBothLanguages:
    def test_every_string_is_translated(self, client, web_login):
        raw_key = re.compile(r"\b(?:fees|notices)\.[a-z_]+\.[a-z_]+\b")
        for lang in ("zh-CN", "en"):
            for who, pages in PAGES.items():
                web_login(who)
                client.cookies.set("anju_lang", lang)
                for path in pages:
                    html = client.get(path).text
                    assert not raw_key.findall(html.replace("/api/v1/fees/export.xlsx", "")), (lang, path)
        web_login("resident_li")
        client.cookies.set("anju_lang", "en")
        assert "Common-income ledger" in client.get("/h5/bills").text
