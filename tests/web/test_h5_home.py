"""The resident H5 home (issue 18 item 8): services first — a ticker of unread notices, one tap to open my usual
door, a tile for everything a resident has with its count (read through each domain's service), a bottom tab bar,
and my household and privacy tools one tap away under 我的."""

from __future__ import annotations

import re

from anju.core.db import utcnow
from anju.volunteers.education import education_service
from anju.volunteers.enums import EducationAudience
from anju.volunteers.schemas import CampaignIn

TILES = (
    "access",
    "repairs",
    "bills",
    "parking",
    "charging",
    "volunteers",
    "notices",
    "votes",
    "surveys",
    "decoration",
    "education",
)


def test_home_reaches_everything_with_counts_ticker_door_and_tabs(client, web_login, session, ids, persona):
    education_service.publish(
        session,
        who=persona("manager_wang").who,
        data=CampaignIn(compound_id=ids["A"], audience=EducationAudience.everyone, title="燃气安全", body="用完关阀。"),
        now=utcnow(),
    )
    session.flush()
    web_login("resident_li")
    html = client.get("/h5").text
    for key in TILES:
        assert f'data-testid="h5-link-{key}"' in html, key
    badge = re.search(r'data-testid="badge-education">(\d+)<', html)
    assert badge is not None and int(badge.group(1)) >= 1
    assert 'data-testid="badge-bills"' in html  # the demo leaves resident_li unpaid bills
    ticker = html.split('data-testid="h5-ticker"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="ticker-item"' in ticker  # unread notice titles
    assert 'data-testid="h5-open-door"' in html and "/h5/access/doors/" in html
    assert 'data-testid="h5-tabbar"' in html and 'href="#mine"' in html
    mine = html.split('id="mine"', 1)[1]
    assert 'data-house="3-1-0802"' in mine and 'data-testid="export"' in mine  # privacy tools stay under 我的
