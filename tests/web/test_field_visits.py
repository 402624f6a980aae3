"""Issue 17: the grid worker's visit list on the phone (the care domain's planned visits, R-E1) — due visits with
overdue ones first, recording the outcome and a note, and the history of visits recorded."""

from __future__ import annotations

from sqlalchemy import select

from anju.care.models import CareVisit
from tests.web.conftest import ORIGIN


def _open_visit(session, user_id: int) -> CareVisit:
    v = (
        session.execute(
            select(CareVisit)
            .where(CareVisit.assigned_user_id == user_id, CareVisit.status == "open")
            .order_by(CareVisit.id)
        )
        .scalars()
        .first()
    )
    assert v is not None, "the demo plans this week's visits for the grid worker"
    return v


def test_r_e1_grid_worker_records_a_visit_from_the_phone(client, web_login, persona, session):
    web_login("grid_zhou")
    v = _open_visit(session, persona("grid_zhou").user_id)
    page = client.get("/field/visits")
    assert page.status_code == 200 and f'data-testid="visit-form-{v.id}"' in page.text
    assert 'href="/field/visits"' in page.text  # its tab
    r = client.post(
        f"/field/visits/{v.id}/record",
        data={"outcome": "fine", "note": "上门看望，精神很好"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"], r.headers["location"]
    session.refresh(v)
    assert v.status == "done" and v.outcome == "fine" and v.visited_by == persona("grid_zhou").user_id
    after = client.get("/field/visits").text
    assert f'data-testid="visit-form-{v.id}"' not in after
    history = after.split('data-testid="field-visits-done"', 1)[1]
    assert f'data-visit-id="{v.id}"' in history and "上门看望，精神很好" in history and "安好" in history
    # the same visit recorded again (a second tap, another device): refused, recorded once
    again = client.post(
        f"/field/visits/{v.id}/record", data={"outcome": "away"}, headers=ORIGIN, follow_redirects=False
    )
    assert "err=" in again.headers["location"]
    session.refresh(v)
    assert v.outcome == "fine"


def test_visit_without_an_outcome_records_nothing(client, web_login, persona, session):
    web_login("grid_zhou")
    v = _open_visit(session, persona("grid_zhou").user_id)
    r = client.post(f"/field/visits/{v.id}/record", data={"outcome": "sunny"}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "err=" in r.headers["location"]
    session.refresh(v)
    assert v.status == "open"


def test_visit_list_in_english_reads_labels(client, web_login):
    web_login("grid_zhou")
    client.cookies.set("anju_lang", "en")
    text = client.get("/field/visits").text
    assert "Visits to make" in text and "weekly" not in text.split("field-visits-due", 1)[1].split("</ul>", 1)[0]


def test_guards_and_technicians_have_no_visit_list(client, web_login):
    for user in ("guard_chen", "tech_ma"):
        web_login(user)
        assert client.get("/field/visits").status_code == 403, user
