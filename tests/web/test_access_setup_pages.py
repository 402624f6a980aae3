"""Issue 11 item 6 in the console: register an access point (its place and site-plan point, face capability
and threshold), edit it, retire it, and register a terminal whose secret is shown once; every change in the
change records; another compound's point is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.access.models import AccessPoint, Terminal
from anju.accounts.service import account_service
from anju.core.audit import ObjectChange
from anju.core.errors import Unauthenticated
from tests.web.conftest import ORIGIN


def _actions(session: Session, entity: str, entity_id: int) -> list[str]:
    return [
        c.action
        for c in session.execute(
            select(ObjectChange)
            .where(ObjectChange.entity == entity, ObjectChange.entity_id == entity_id)
            .order_by(ObjectChange.id)
        ).scalars()
    ]


def test_access_setup_register_edit_terminal_secret_once_and_retire_with_change_records(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("manager_wang")
    page = client.get(f"/console/access-setup?compound_id={ids['A']}")
    assert page.status_code == 200 and 'data-testid="access-point-register"' in page.text
    form = {
        "name": "北门车库入口",
        "kind": "garage_door",
        "location_type": "garage",
        "location": "北门地库坡道",
        "plan_x": "410",
        "plan_y": "35",
        "face_capable": "true",
        "face_threshold": "0.6",
    }
    r = client.post(f"/console/access-setup?compound_id={ids['A']}", data=form, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    ap = session.execute(select(AccessPoint).where(AccessPoint.name == "北门车库入口")).scalar_one()
    assert (ap.compound_id, ap.location, ap.plan_x, ap.plan_y) == (ids["A"], "北门地库坡道", 410, 35)
    assert ap.face_capable and not ap.face_enabled and ap.face_threshold == 0.6
    listing = client.get(f"/console/access-setup?compound_id={ids['A']}")
    assert "北门车库入口" in listing.text and "车库门" in listing.text  # a label, never the enum value

    r = client.post(
        f"/console/access-setup/{ap.id}",
        data={
            "name": "北门车库",
            "location_type": "garage",
            "location": "北门坡道",
            "plan_x": "400",
            "plan_y": "40",
            "face_capable": "true",
            "face_threshold": "",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "ok=" in r.headers["location"]
    session.refresh(ap)
    assert (ap.name, ap.location, ap.plan_x, ap.face_threshold) == ("北门车库", "北门坡道", 400, None)

    r = client.post(f"/console/access-setup/{ap.id}/terminals", data={"name": "北门车库控制器"}, headers=ORIGIN)
    assert r.status_code == 200 and 'data-testid="terminal-secret"' in r.text
    terminal = session.execute(select(Terminal).where(Terminal.name == "北门车库控制器")).scalar_one()
    secret = r.text.split('data-testid="terminal-secret">', 1)[1].split("<", 1)[0]
    assert terminal.key_id in r.text and len(secret) >= 16
    assert account_service.authenticate_device(session, key_id=terminal.key_id, secret=secret)
    with pytest.raises(Unauthenticated):
        account_service.authenticate_device(session, key_id=terminal.key_id, secret=secret + "x")
    again = client.get(f"/console/access-setup?point={ap.id}&compound_id={ids['A']}")
    assert terminal.key_id in again.text and secret not in again.text  # the secret is shown once
    assert secret not in str(r.url) and all(secret not in str(h.url) for h in r.history)  # never in a URL

    r = client.post(
        f"/console/access-setup/{ap.id}/retire", data={"reason": "改建"}, headers=ORIGIN, follow_redirects=False
    )
    assert "ok=" in r.headers["location"]
    session.refresh(ap)
    assert ap.active is False
    r = client.post(
        f"/console/access-setup/{ap.id}/retire", data={"reason": "again"}, headers=ORIGIN, follow_redirects=False
    )
    assert "err=" in r.headers["location"]  # already retired
    r = client.post(
        f"/console/access-setup/{ap.id}/terminals", data={"name": "第二台"}, headers=ORIGIN, follow_redirects=False
    )
    assert "err=" in r.headers["location"]  # no terminal for a retired point
    assert _actions(session, "access_point", ap.id) == ["create", "update", "retire"]
    assert _actions(session, "access_terminal", terminal.id) == ["create"]


def test_access_setup_refuses_face_camera_in_a_toilet_and_a_bad_threshold(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("manager_wang")
    base = {"name": "卫生间门", "kind": "unit_door", "location_type": "toilet", "face_capable": "true"}
    r = client.post(f"/console/access-setup?compound_id={ids['A']}", data=base, headers=ORIGIN)
    assert r.status_code == 422 and 'data-testid="access-setup-error"' in r.text  # R-F9
    for bad in ("abc", "nan", "1.5"):
        r = client.post(
            f"/console/access-setup?compound_id={ids['A']}",
            data={"name": "南门", "kind": "gate_pedestrian", "location_type": "entrance", "face_threshold": bad},
            headers=ORIGIN,
        )
        assert r.status_code == 422, bad
    assert session.execute(select(AccessPoint).where(AccessPoint.name.in_(["卫生间门", "南门"]))).first() is None


def test_access_setup_staff_forbidden_and_other_compound_point_not_found(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    other = AccessPoint(compound_id=ids["B"], name="B区大门", kind="gate_pedestrian", location_type="entrance")
    session.add(other)
    session.flush()
    web_login("staff_liu")
    assert client.get("/console/access-setup").status_code == 403
    web_login("manager_wang")
    assert client.get(f"/console/access-setup?point={other.id}").status_code == 404
    for path in (
        f"/console/access-setup/{other.id}",
        f"/console/access-setup/{other.id}/retire",
        f"/console/access-setup/{other.id}/terminals",
    ):
        r = client.post(path, data={"name": "x", "reason": "x"}, headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 404, path
    session.refresh(other)
    assert other.active and other.name == "B区大门"
