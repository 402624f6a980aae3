"""The committee console and the resident H5 vote pages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from anju.governance.models import Ballot, Vote
from anju.sim.governance_demo import OPEN_VOTE_TITLE, PAST_VOTE_TITLE
from anju.web.render import CST

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def open_vote(session) -> int:
    return session.execute(select(Vote.id).where(Vote.title == OPEN_VOTE_TITLE)).scalar_one()


def test_committee_member_opens_the_console_pages(client, web_login, open_vote, session):
    web_login("committee_sun")
    r = client.get("/console/votes")
    assert r.status_code == 200 and OPEN_VOTE_TITLE in r.text and PAST_VOTE_TITLE in r.text
    r = client.get(f"/console/votes/{open_vote}")
    assert r.status_code == 200 and 'data-testid="gov-participation"' in r.text and "hx-get" in r.text
    frag = client.get(f"/console/votes/{open_vote}/participation")
    n = session.execute(select(Ballot).where(Ballot.vote_id == open_vote)).scalars().all()
    assert frag.status_code == 200 and f'data-owners="{len(n)}"' in frag.text
    past = session.execute(select(Vote.id).where(Vote.title == PAST_VOTE_TITLE)).scalar_one()
    r = client.get(f"/console/votes/{past}")
    assert 'data-testid="gov-results"' in r.text and 'data-testid="gov-announcement"' in r.text


@pytest.mark.parametrize(
    ("user", "status"), [("manager_wang", 200), ("guard_chen", 403), ("resident_li", 403), ("gov_street", 403)]
)
def test_console_votes_guard(client, web_login, user, status):
    web_login(user)
    assert client.get("/console/votes").status_code == status


def test_console_of_another_compound_is_404(client, web_login, open_vote):
    web_login("outsider_zhao")
    assert client.get(f"/console/votes/{open_vote}").status_code == 404


def test_set_up_form_refuses_a_short_notice_then_publishes(client, web_login, session):
    web_login("committee_sun")
    now = datetime.now(CST)
    fmt = "%Y-%m-%dT%H:%M"
    r = client.post(
        "/console/votes",
        headers=ORIGIN,
        data={
            "title": "选举第三届业主委员会",
            "matter_type": "elect_committee",
            "subject_house": "",
            "opens_at": (now + timedelta(days=5)).strftime(fmt),
            "closes_at": (now + timedelta(days=20)).strftime(fmt),
            "description": "",
            "item": ["选举委员 5 名", ""],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    r = client.post(url + "/publish", headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 422 and "15" in r.text
    r = client.post(url + "/agenda", headers=ORIGIN, data={"item": ["选举委员 7 名"]}, follow_redirects=False)
    assert r.status_code == 303
    assert "选举委员 7 名" in client.get(url).text


def test_resident_votes_on_the_phone_page_once(client, web_login, open_vote, ids):
    web_login("resident_li")
    r = client.get("/h5/votes")
    assert r.status_code == 200 and OPEN_VOTE_TITLE in r.text
    page = client.get(f"/h5/votes/{open_vote}")
    assert 'data-testid="gov-ballot-form"' in page.text
    r = client.post(
        f"/h5/votes/{open_vote}/ballot",
        headers=ORIGIN,
        data={"house_id": str(ids["li_house"]), "c1": "yes", "c2": "abstain"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "receipt=" in r.headers["location"]
    receipt = r.headers["location"].split("receipt=")[1]
    done = client.get(r.headers["location"])
    assert receipt in done.text and 'data-testid="gov-ballot-form"' not in done.text
    again = client.post(
        f"/h5/votes/{open_vote}/ballot",
        headers=ORIGIN,
        data={"house_id": str(ids["li_house"]), "c1": "no", "c2": "no"},
        follow_redirects=False,
    )
    assert again.status_code == 409 and 'data-testid="gov-error"' in again.text
    check = client.get(f"/h5/votes/{open_vote}?check={receipt}")
    assert 'data-testid="gov-check"' in check.text and "alert-ok" in check.text
    assert receipt in client.get("/h5/votes").text


def test_resident_ballot_missing_an_item_is_refused(client, web_login, open_vote, ids):
    web_login("resident_li")
    r = client.post(
        f"/h5/votes/{open_vote}/ballot",
        headers=ORIGIN,
        data={"house_id": str(ids["li_house"]), "c1": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 422 and 'data-testid="gov-error"' in r.text


def test_r_v16_resident_asks_for_a_paper_ballot_and_the_committee_sees_it(client, web_login, open_vote, ids):
    web_login("resident_li")
    r = client.post(
        f"/h5/votes/{open_vote}/paper", headers=ORIGIN, data={"house_id": str(ids["li_house"])}, follow_redirects=False
    )
    assert r.status_code == 303
    assert 'data-testid="gov-paper-requested"' in client.get(f"/h5/votes/{open_vote}").text
    web_login("committee_sun")
    page = client.get(f"/console/votes/{open_vote}").text
    assert 'data-testid="gov-paper-requests"' in page and "3-1-0802" in page
