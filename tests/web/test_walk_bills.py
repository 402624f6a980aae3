"""Playwright walk: resident_li pays a bill on the phone page through the simulated provider,
the bill shows paid, and the staff fees console shows it paid too."""

from __future__ import annotations

import re

import pytest

from tests.web.browser import DESKTOP, PHONE, shot, sign_in

pytestmark = pytest.mark.browser


def test_resident_pays_a_bill_and_staff_console_shows_it(browser, live_server):
    phone = sign_in(browser, live_server, "resident_li", PHONE)
    phone.goto("/h5")
    phone.click('[data-testid="h5-link-bills"]')
    phone.wait_for_url(re.compile(r"/h5/bills$"))
    open_bill = phone.locator('li.fees-bill[data-status="open"]').first
    bill_id = open_bill.get_attribute("data-bill")
    assert bill_id
    owed_before = phone.inner_text('[data-testid="owed"]')
    shot(phone, "resident_li_bills")
    with phone.expect_navigation():
        open_bill.locator('[data-testid="pay"]').click()
    assert "/h5/bills/pay/" in phone.url
    assert phone.is_visible('[data-testid="checkout-amount"]')
    shot(phone, "resident_li_checkout")
    with phone.expect_navigation():
        phone.click('[data-testid="confirm-pay"]')
    assert phone.url.endswith(f"/h5/bills?paid={bill_id}")
    assert phone.is_visible('[data-testid="paid-ok"]')
    paid_row = phone.locator(f'li.fees-bill[data-bill="{bill_id}"]')
    assert paid_row.get_attribute("data-status") == "paid"
    assert paid_row.locator('[data-testid="bill-status"]').inner_text() == "已缴"
    assert phone.inner_text('[data-testid="owed"]') != owed_before
    receipt = paid_row.locator('[data-testid="receipt"]').first
    with phone.expect_navigation():
        receipt.click()
    assert phone.is_visible('[data-testid="receipt-card"]')
    shot(phone, "resident_li_receipt")
    phone.context.close()

    desk = sign_in(browser, live_server, "staff_liu", DESKTOP)
    desk.goto("/console/fees")
    period = desk.locator('select[name="period"]').input_value()
    desk.goto(f"/console/fees?period={period}&status=paid")
    row = desk.locator(f'tr[data-bill="{bill_id}"]')
    # The bill may sit on a later page of paid bills; page through until it shows.
    while row.count() == 0 and desk.locator("a:has-text('下一页')").count():
        with desk.expect_navigation():
            desk.click("a:has-text('下一页')")
        row = desk.locator(f'tr[data-bill="{bill_id}"]')
    assert row.count() == 1 and row.get_attribute("data-status") == "paid"
    shot(desk, "staff_liu_fees")
    desk.context.close()


def test_resident_reads_a_notice_and_the_committee_sees_the_receipt(browser, live_server):
    phone = sign_in(browser, live_server, "resident_li", PHONE)
    phone.goto("/h5/notices")
    unread = int(phone.inner_text('[data-testid="unread"]'))
    item = phone.locator("li.notice.notice-unread").first
    notice_id = item.get_attribute("data-notice")
    with phone.expect_navigation():
        item.locator('[data-testid="mark-read"]').click()
    assert int(phone.inner_text('[data-testid="unread"]')) == unread - 1
    shot(phone, "resident_li_notices")
    phone.context.close()

    desk = sign_in(browser, live_server, "committee_sun", DESKTOP)
    desk.goto("/console/notices")
    receipts = desk.locator(f'tr[data-notice="{notice_id}"] [data-testid="receipts"]').inner_text()
    read, delivered = (int(x) for x in receipts.split("/"))
    assert read >= 1 and delivered >= read
    shot(desk, "committee_sun_notices")
    desk.context.close()
