"""Devices managed from the console (issue 11 item 6): edit a device's name, place and heartbeat, retire it.

Registration is `device_service.register` (its secret is shown once). A retired device stays on record with
its history; it is no longer active. Every change is in the change records."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from anju.core.audit import audited_update, record_change
from anju.core.auth import Principal
from anju.core.errors import Conflict, NotFound
from anju.core.schemas import InSchema
from anju.devices.models import Device
from anju.devices.permissions import DevicesPerm


class DeviceEdit(InSchema):
    name: str = Field(min_length=1, max_length=64)
    location: str | None = Field(None, max_length=128)
    plan_x: int | None = Field(None, ge=-100_000, le=100_000)
    plan_y: int | None = Field(None, ge=-100_000, le=100_000)
    heartbeat_seconds: int = Field(60, ge=5, le=86400)


def _snapshot(d: Device) -> dict[str, Any]:
    return {
        "name": d.name,
        "location": d.location,
        "plan_x": d.plan_x,
        "plan_y": d.plan_y,
        "heartbeat_seconds": d.heartbeat_seconds,
        "active": d.active,
    }


class DeviceAdminService:
    def get(self, session: Session, *, by: Principal, device_id: int) -> Device:
        by.require(DevicesPerm.manage)
        d = session.get(Device, device_id)
        if d is None or not by.in_scope(d.compound_id):
            raise NotFound(f"device {device_id} not found", zh="未找到该设备")
        return d

    def record_registration(self, session: Session, *, by: Principal, device: Device) -> None:
        record_change(
            session,
            user_id=by.user_id,
            compound_id=device.compound_id,
            entity="device",
            entity_id=device.id,
            action="create",
            before=None,
            after={"device_key": device.device_key, "type": device.device_type.value, **_snapshot(device)},
        )

    def update(self, session: Session, *, by: Principal, device: Device, data: DeviceEdit) -> Device:
        by.require(DevicesPerm.manage)
        if not device.active:
            raise Conflict("a retired device cannot be edited", zh="设备已停用，不能修改")
        with audited_update(session, device, user_id=by.user_id, entity="device", snapshot=_snapshot):
            for name, value in data.model_dump().items():
                setattr(device, name, value)
        return device

    def retire(self, session: Session, *, by: Principal, device: Device, reason: str | None) -> Device:
        by.require(DevicesPerm.manage)
        if not device.active:
            raise Conflict("the device is already retired", zh="设备已停用")
        with audited_update(
            session,
            device,
            user_id=by.user_id,
            entity="device",
            snapshot=_snapshot,
            action="retire",
            note={"reason": reason},
        ):
            device.active = False
        return device


device_admin_service = DeviceAdminService()
