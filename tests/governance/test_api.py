"""The votes API on the demo community: owners vote, bad input is refused with a reason and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from anju.governance.models import Vote
from anju.sim.governance_demo import OPEN_VOTE_TITLE, PAST_VOTE_TITLE

CHOICES = {"1": "yes", "2": "no"}


@pytest.fixture
def open_vote(session) -> int:
    return session.execute(select(Vote.id).where(Vote.title == OPEN_VOTE_TITLE)).scalar_one()


@pytest.fixture
def past_vote(session) -> int:
    return session.execute(select(Vote.id).where(Vote.title == PAST_VOTE_TITLE)).scalar_one()


def _participation(client, login, vote_id):
    r = client.get(f"/api/v1/votes/{vote_id}/participation", headers=login("committee_sun"))
    assert r.status_code == 200
    return r.json()


def test_owner_votes_once_and_checks_the_receipt(client, login, ids, open_vote):
    before = _participation(client, login, open_vote)
    r = client.post(
        f"/api/v1/votes/{open_vote}/ballots",
        headers=login("resident_li"),
        json={"house_id": ids["li_house"], "choices": CHOICES},
    )
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt"]
    assert r.json()["house_labels"] == ["3-1-0802"]
    after = _participation(client, login, open_vote)
    assert after["owners"] == before["owners"] + 1
    check = client.get(f"/api/v1/votes/{open_vote}/receipts/{receipt}", headers=login("resident_li")).json()
    assert check["found"] and check["chain_intact"] and not check["counted"]  # still open: not tallied yet
    assert check["choices"] == CHOICES
    mine = client.get("/api/v1/votes/my-ballots", headers=login("resident_li")).json()
    assert receipt in [m["receipt"] for m in mine]


def test_bad_ballots_are_refused_with_reasons_and_change_nothing(client, login, ids, session, open_vote):
    li = login("resident_li")
    url = f"/api/v1/votes/{open_vote}/ballots"
    assert client.post(url, headers=li, json={"house_id": ids["li_house"], "choices": CHOICES}).status_code == 201
    before = _participation(client, login, open_vote)
    twice = client.post(url, headers=li, json={"house_id": ids["li_house"], "choices": CHOICES})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "vote_already_voted"
    other = session.execute(select(Vote.compound_id).where(Vote.id == open_vote)).scalar_one()
    from anju.registry.models import House

    not_mine = (
        session.execute(
            select(House.id).where(House.compound_id == other, House.id != ids["li_house"], House.label != "3-1-0802")
        )
        .scalars()
        .first()
    )
    foreign = client.post(url, headers=li, json={"house_id": not_mine, "choices": CHOICES})
    assert foreign.status_code == 403 and foreign.json()["error"]["message"]["zh"]
    extra = client.post(url, headers=li, json={"house_id": ids["li_house"], "choices": {**CHOICES, "3": "yes"}})
    assert extra.status_code in (409, 422)
    paper = client.post(
        f"/api/v1/votes/{open_vote}/paper-ballots",
        headers=login("committee_sun"),
        json={"house_id": ids["li_house"], "choices": CHOICES, "paper_ref": "P-001"},
    )
    assert paper.status_code == 409 and "online" in paper.json()["error"]["message"]["en"]
    proxy_less = client.post(
        f"/api/v1/votes/{open_vote}/ballots",
        headers=login("committee_sun"),
        json={"house_id": ids["li_house"], "choices": CHOICES},
    )
    assert proxy_less.status_code in (403, 409)
    assert _participation(client, login, open_vote) == before


def test_agenda_edit_after_publication_is_refused(client, login, open_vote):
    r = client.put(
        f"/api/v1/votes/{open_vote}/agenda", headers=login("manager_wang"), json={"items": [{"title": "新增议题"}]}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "vote_agenda_frozen"
    items = client.get(f"/api/v1/votes/{open_vote}", headers=login("manager_wang")).json()["items"]
    assert [i["title"] for i in items] != ["新增议题"] and len(items) == 2


def test_r_v11_publishing_a_vote_that_opens_too_soon_is_refused(client, login, ids):
    now = datetime.now(UTC)
    r = client.post(
        "/api/v1/votes",
        headers=login("committee_sun"),
        json={
            "compound_id": ids["A"],
            "title": "选举业主委员会",
            "matter_type": "elect_committee",
            "opens_at": (now + timedelta(days=10)).isoformat(),
            "closes_at": (now + timedelta(days=20)).isoformat(),
            "items": [{"title": "选举第三届业主委员会"}],
        },
    )
    assert r.status_code == 201, r.text
    vote_id = r.json()["id"]
    pub = client.post(f"/api/v1/votes/{vote_id}/publish", headers=login("committee_sun"))
    assert pub.status_code == 422 and pub.json()["error"]["code"] == "vote_notice_too_short"
    assert client.get(f"/api/v1/votes/{vote_id}", headers=login("committee_sun")).json()["state"] == "draft"


def test_scope_and_roles(client, login, open_vote, past_vote):
    assert client.get(f"/api/v1/votes/{open_vote}", headers=login("outsider_zhao")).status_code == 404
    assert (
        client.post(
            f"/api/v1/votes/{open_vote}/ballots",
            headers=login("manager_wang"),
            json={"house_id": 1, "choices": CHOICES},
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/v1/votes/{open_vote}/agenda", headers=login("resident_li"), json={"items": [{"title": "x"}]}
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/votes/{open_vote}/verify", headers=login("resident_li")).status_code == 403


def test_past_vote_results_and_verification(client, login, past_vote):
    res = client.get(f"/api/v1/votes/{past_vote}/results", headers=login("resident_li"))
    assert res.status_code == 200 and res.json()["state"] == "announced"
    assert {i["official"] for i in res.json()["items"]} <= {"passed", "rejected", "invalid_quorum"}
    v = client.get(f"/api/v1/votes/{past_vote}/verify", headers=login("committee_sun")).json()
    assert v["ok"] and v["tally_matches"] and v["tampered_ballots"] == []


@pytest.mark.parametrize(
    ("opens_at", "closes_at"),
    [
        ("0001-01-01T00:00:00+08:00", "0001-01-20T00:00:00+08:00"),  # UTC is before year 1
        ("0001-01-10T00:00:00+00:00", "0001-02-10T00:00:00+00:00"),  # 15 days' notice before it is year 0
        ("9999-12-20T00:00:00+00:00", "9999-12-31T23:59:59+00:00"),  # 3 days' 公示 after it is year 10000
        ("9999-12-31T23:59:59-08:00", "9999-12-31T23:59:59-09:00"),  # UTC is after year 9999
        ("2027-01-01T00:00:00", "2027-01-20T00:00:00"),  # naive
    ],
)
def test_vote_times_at_the_edge_of_the_datetime_range_are_refused_with_a_reason(
    client, login, ids, opens_at, closes_at
):
    r = client.post(
        "/api/v1/votes",
        headers=login("committee_sun"),
        json={
            "compound_id": ids["A"],
            "title": "边界时间",
            "matter_type": "elect_committee",
            "opens_at": opens_at,
            "closes_at": closes_at,
            "items": [{"title": "x"}],
        },
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["fields"] and error["message"]["en"]
