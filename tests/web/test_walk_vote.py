"""Browser walk: resident_li votes on the phone page; committee_sun's vote page shows participation move.

Uses the shared live server; the open demo vote is the only row it changes (li's ballot).
"""

from __future__ import annotations

import re

import pytest

from anju.sim.governance_demo import OPEN_VOTE_TITLE
from tests.web.browser import DESKTOP, PHONE, shot, sign_in

pytestmark = pytest.mark.browser


def test_owner_votes_on_phone_and_committee_sees_participation_move(browser, live_server):
    from playwright.sync_api import expect

    committee = sign_in(browser, live_server, "committee_sun", DESKTOP)
    committee.goto("/console/votes")
    committee.get_by_role("link", name=OPEN_VOTE_TITLE).click()
    live = committee.get_by_test_id("gov-participation")
    expect(live).to_be_visible()
    before = int(live.get_attribute("data-owners") or "0")
    shot(committee, "committee_sun_vote_before")

    li = sign_in(browser, live_server, "resident_li", PHONE)
    li.get_by_test_id("h5-link-votes").click()
    expect(li).to_have_url(re.compile(r"/h5/votes$"))
    li.get_by_role("link", name=OPEN_VOTE_TITLE).first.click()
    li.get_by_test_id("gov-c1-yes").check()
    li.get_by_test_id("gov-c2-no").check()
    shot(li, "resident_li_vote_ballot")
    li.get_by_test_id("gov-cast").click()
    receipt = li.get_by_test_id("gov-receipt")
    expect(receipt).to_have_text(re.compile(r"^\s*[0-9a-f]{64}\s*$"))
    expect(li.get_by_test_id("gov-ballot-form")).to_have_count(0)
    code = receipt.inner_text().strip()
    shot(li, "resident_li_vote_receipt")

    # The committee page polls participation every few seconds; no reload.
    expect(committee.get_by_test_id("gov-participation")).to_have_attribute(
        "data-owners", str(before + 1), timeout=20_000
    )
    shot(committee, "committee_sun_vote_after")

    # The receipt checks out on the phone, and the owner's receipts list has it.
    li.goto("/h5/votes")
    expect(li.get_by_test_id("gov-h5-receipts")).to_contain_text(code)
    li.get_by_role("link", name=code).click()
    expect(li.get_by_test_id("gov-check")).to_have_class(re.compile("alert-ok"))
    li.context.close()
    committee.context.close()
