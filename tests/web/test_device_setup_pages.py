"""Issue 11 item 6 in the console: register a device (its secret shown once), edit it, retire it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.audit import ObjectChange
from anju.core.crypto import decrypt
from anju.devices.models import Device
from tests.web.conftest import ORIGIN


def test_device_setup_register_shows_secret_once_then_edit_and_retire(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("manager_wang")
    page = client.get(f"/console/device-setup?compound_id={ids['A']}")
    assert page.status_code == 200 and 'data-testid="device-register"' in page.text
    form = {
        "device_key": "SMK-NEW-0001",
        "name": "新烟感",
        "device_type": "smoke_detector",
        "location": "3号楼1单元12层前室",
        "plan_x": "120",
        "plan_y": "80",
        "heartbeat_seconds": "120",
    }
    r = client.post(f"/console/device-setup?compound_id={ids['A']}", data=form, headers=ORIGIN)
    assert r.status_code == 200 and 'data-testid="device-secret"' in r.text
    device = session.execute(select(Device).where(Device.device_key == "SMK-NEW-0001")).scalar_one()
    secret = decrypt(device.secret_enc, context="device.secret")
    assert secret and secret in r.text
    assert (device.plan_x, device.plan_y, device.compound_id) == (120, 80, ids["A"])
    again = client.get(f"/console/device-setup?device={device.id}&compound_id={ids['A']}")
    assert secret not in again.text  # shown once

    r = client.post(f"/console/device-setup?compound_id={ids['A']}", data=form, headers=ORIGIN)
    assert r.status_code == 409 and 'data-testid="device-error"' in r.text  # the key is taken
    r = client.post(
        f"/console/device-setup?compound_id={ids['A']}",
        data={**form, "device_key": "CHG-NEW-1", "device_type": "ebike_charger"},
        headers=ORIGIN,
    )
    assert r.status_code == 422  # R-S2: a charger that does not cut off by itself is refused

    r = client.post(
        f"/console/device-setup/{device.id}",
        data={"name": "新烟感（前室）", "location": "前室", "plan_x": "130", "plan_y": "90", "heartbeat_seconds": "60"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "ok=" in r.headers["location"]
    session.refresh(device)
    assert (device.name, device.plan_x) == ("新烟感（前室）", 130)
    r = client.post(
        f"/console/device-setup/{device.id}/retire", data={"reason": "拆除"}, headers=ORIGIN, follow_redirects=False
    )
    assert "ok=" in r.headers["location"]
    session.refresh(device)
    assert device.active is False
    actions = [
        c.action
        for c in session.execute(
            select(ObjectChange)
            .where(ObjectChange.entity == "device", ObjectChange.entity_id == device.id)
            .order_by(ObjectChange.id)
        ).scalars()
    ]
    assert actions == ["create", "update", "retire"]


def test_device_setup_staff_forbidden_and_other_compound_not_found(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("staff_liu")
    assert client.get("/console/device-setup").status_code == 403
    other = session.execute(select(Device.id).where(Device.compound_id == ids["B"]).limit(1)).scalar()
    if other is not None:
        web_login("manager_wang")
        assert client.get(f"/console/device-setup?device={other}").status_code == 404
