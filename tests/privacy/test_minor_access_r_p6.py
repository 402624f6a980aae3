"""R-P6: unmasking a minor's data needs a second person's approval, bound to requester and person, and logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from anju.core.audit import PiiAccess
from anju.core.db import utcnow
from anju.core.kit.china_time import china_date
from anju.privacy.models import MinorAccessApproval
from anju.registry.models import Person


@pytest.fixture
def auth(login):
    return login


def _person(session, compound_id: int, *, minor: bool) -> Person:
    today = china_date()
    young, old = today.replace(year=today.year - 18) + timedelta(days=1), today.replace(year=today.year - 18)
    p = session.execute(
        select(Person)
        .where(Person.compound_id == compound_id, Person.phone_enc.is_not(None))
        .order_by(Person.id.desc())
        .limit(1)
    ).scalar_one()
    p.birth_date = young if minor else old  # one day short of 18, or 18 today
    session.flush()
    return p


def _reveal(client, headers, person_id):
    return client.post(
        f"/api/v1/people/{person_id}/reveal", json={"field": "phone", "reason": "联系监护人"}, headers=headers
    )


def test_r_p6_minor_reveal_is_refused_without_approval(client, session, auth, ids):
    child = _person(session, ids["A"], minor=True)
    r = _reveal(client, auth("manager_wang"), child.id)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "minor_approval_required"


def test_r_p6_eighteen_today_is_not_a_minor(client, session, auth, ids):
    adult = _person(session, ids["A"], minor=False)
    assert _reveal(client, auth("manager_wang"), adult.id).status_code == 200


def test_r_p6_approved_request_allows_the_requester_only_and_is_logged(client, session, auth, ids):
    child = _person(session, ids["A"], minor=True)
    r = client.post(
        "/api/v1/privacy/minor-access",
        json={"person_id": child.id, "reason": "学校紧急联系"},
        headers=auth("manager_wang"),
    )
    assert r.status_code == 201, r.text
    approval = r.json()
    # The requester cannot approve their own request.
    own = client.post(
        f"/api/v1/privacy/minor-access/{approval['id']}/decide", json={"approve": True}, headers=auth("manager_wang")
    )
    assert own.status_code == 403
    pending = client.get("/api/v1/privacy/minor-access", headers=auth("admin")).json()
    assert [p["id"] for p in pending] == [approval["id"]]
    ok = client.post(
        f"/api/v1/privacy/minor-access/{approval['id']}/decide",
        json={"approve": True, "note": "同意"},
        headers=auth("admin"),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = client.post(
        f"/api/v1/privacy/minor-access/{approval['id']}/decide", json={"approve": False}, headers=auth("admin")
    )
    assert again.status_code == 409

    assert _reveal(client, auth("manager_wang"), child.id).status_code == 200
    assert _reveal(client, auth("admin"), child.id).status_code == 403  # the approval is not the approver's
    logged = session.execute(select(PiiAccess.reason).where(PiiAccess.subject == f"person:{child.id}")).scalars().all()
    assert any(f"minor-access #{approval['id']}" in reason for reason in logged)


def test_r_p6_approval_expires(client, session, auth, ids):
    child = _person(session, ids["A"], minor=True)
    a = client.post(
        "/api/v1/privacy/minor-access",
        json={"person_id": child.id, "reason": "核对监护人"},
        headers=auth("manager_wang"),
    ).json()
    client.post(f"/api/v1/privacy/minor-access/{a['id']}/decide", json={"approve": True}, headers=auth("admin"))
    assert _reveal(client, auth("manager_wang"), child.id).status_code == 200
    row = session.get(MinorAccessApproval, a["id"])
    session.refresh(row)
    assert row.expires_at is not None and row.expires_at > utcnow() + timedelta(hours=23)
    row.expires_at = utcnow() - timedelta(seconds=1)  # the approval's time is up
    session.flush()
    assert _reveal(client, auth("manager_wang"), child.id).status_code == 403


def test_r_p6_bad_requests(client, session, auth, ids):
    child = _person(session, ids["A"], minor=True)
    assert (
        client.post(
            "/api/v1/privacy/minor-access", json={"person_id": child.id, "reason": "x"}, headers=auth("manager_wang")
        ).status_code
        == 422
    )  # reason too short
    assert (
        client.post(
            "/api/v1/privacy/minor-access",
            json={"person_id": child.id, "reason": "查看一下"},
            headers=auth("staff_liu"),
        ).status_code
        == 403
    )  # staff may not unmask at all
    assert (
        client.post(
            "/api/v1/privacy/minor-access",
            json={"person_id": child.id, "reason": "查看一下"},
            headers=auth("outsider_zhao"),
        ).status_code
        == 404
    )  # another compound
    adult = _person(session, ids["A"], minor=False)
    assert (
        client.post(
            "/api/v1/privacy/minor-access",
            json={"person_id": adult.id, "reason": "查看一下"},
            headers=auth("manager_wang"),
        ).status_code
        == 409
    )
