"""The deadline settings page (R-W1, R-W3): presets shown, a compound row saved through the API's validation."""

from __future__ import annotations

from sqlalchemy import select

from anju.workorders.models import SlaPolicy

ORIGIN = {"Origin": "http://testserver"}
PAGE = "/console/workorders/settings/sla"


def test_r_w1_sla_page_shows_the_grade_presets_and_saves_a_row(client, web_login, session, ids):
    web_login("manager_wang")
    r = client.get(PAGE)
    assert r.status_code == 200 and 'data-testid="sla-presets"' in r.text and ">30<" in r.text  # grade 1: 30 min
    r = client.post(
        PAGE,
        headers=ORIGIN,
        follow_redirects=False,
        data={
            "category": "lift",
            "priority": "emergency",
            "response_minutes": "15",
            "resolution_minutes": "120",
            "calendar": "24x7",
        },
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    client.post(
        PAGE,
        headers=ORIGIN,
        data={
            "category": "lift",
            "priority": "emergency",
            "response_minutes": "20",
            "resolution_minutes": "",
            "calendar": "24x7",
        },
    )
    rows = (
        session.execute(
            select(SlaPolicy).where(
                SlaPolicy.compound_id == ids["A"], SlaPolicy.category == "lift", SlaPolicy.priority == "emergency"
            )
        )
        .scalars()
        .all()
    )
    assert [(x.response_minutes, x.resolution_minutes) for x in rows] == [(20, None)]  # one row, updated
    assert 'data-sla="lift:emergency"' in client.get(PAGE).text


def test_sla_page_refuses_bad_values_and_technicians(client, web_login):
    web_login("manager_wang")
    for bad in (
        {"priority": "sometime"},
        {"response_minutes": "0"},
        {"response_minutes": "abc"},
        {"category": "DROP TABLE"},
    ):
        r = client.post(
            PAGE, headers=ORIGIN, follow_redirects=False, data={"category": "lift", "priority": "normal", **bad}
        )
        assert r.status_code == 303 and "err=" in r.headers["location"], bad
    web_login("grid_zhou")
    assert client.get(PAGE).status_code == 200  # may read
    assert 'data-testid="sla-form"' not in client.get(PAGE).text
    assert client.post(PAGE, headers=ORIGIN, data={"category": "lift", "priority": "normal"}).status_code == 403
