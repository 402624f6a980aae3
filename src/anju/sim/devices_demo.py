"""The demo compound's devices: deterministic keys, places and secrets (the simulator drives them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.crypto import encrypt
from anju.devices.enums import DeviceType
from anju.devices.models import Device
from anju.devices.service import SECRET_CONTEXT
from anju.registry.models import Building, Compound, Unit

# Heartbeat intervals by type (seconds): life-safety sensors report more often.
HEARTBEAT = {
    DeviceType.smoke_detector: 60,
    DeviceType.gas_detector: 60,
    DeviceType.lift_controller: 30,
    DeviceType.water_pump: 30,
    DeviceType.water_tank: 60,
    DeviceType.ebike_charger: 30,
    DeviceType.sos_button: 300,
    DeviceType.water_leak: 120,
    DeviceType.manhole_cover: 300,
}


def demo_secret(device_key: str) -> str:
    """Demo only: secrets derived from the key so the simulator and docs can reproduce them."""
    return hashlib.sha256(f"anju-demo:{device_key}".encode()).hexdigest()[:32]


@dataclass
class _Spec:
    key: str
    name: str
    device_type: DeviceType
    location: str
    x: int
    y: int
    building_id: int | None = None
    unit_id: int | None = None
    floor: int | None = None
    vendor: str = "安居示范"
    capabilities: dict[str, Any] | None = None


def register_demo_devices(session: Session, *, compound_id: int) -> int:
    """Register smoke detectors on every floor of every unit, lifts, pumps, tanks, chargers… Caller commits."""
    code = session.execute(select(Compound.code).where(Compound.id == compound_id)).scalar_one()
    plan = session.execute(select(Compound.site_plan).where(Compound.id == compound_id)).scalar_one() or {}
    shapes = {s["building"]: s for s in plan.get("buildings", [])}
    specs: list[_Spec] = []
    buildings = (
        session.execute(select(Building).where(Building.compound_id == compound_id).order_by(Building.id))
        .scalars()
        .all()
    )
    units = session.execute(select(Unit).where(Unit.compound_id == compound_id).order_by(Unit.id)).scalars().all()
    for b in buildings:
        shape = shapes.get(b.number, {"x": b.plan_x or 0, "y": b.plan_y or 0, "w": 120, "h": 70})
        bx, by, bw, bh = shape["x"], shape["y"], shape.get("w", 120), shape.get("h", 70)
        b_units = [u for u in units if u.building_id == b.id]
        for k, u in enumerate(b_units):
            ux = bx + int(bw * (k + 1) / (len(b_units) + 1))
            for fl in range(1, u.floors + 1):
                specs.append(
                    _Spec(
                        f"{code}-SMK-{b.number}-{u.number}-{fl:02d}",
                        f"烟感 {b.number}-{u.number}-{fl}F",
                        DeviceType.smoke_detector,
                        f"{b.number}号楼{u.number}单元{fl}层前室",
                        ux,
                        by + bh - int(bh * fl / (u.floors + 1)),
                        b.id,
                        u.id,
                        fl,
                    )
                )
            specs.append(
                _Spec(
                    f"{code}-LIFT-{b.number}-{u.number}",
                    f"电梯 {b.number}-{u.number}",
                    DeviceType.lift_controller,
                    f"{b.number}号楼{u.number}单元电梯",
                    ux,
                    by + bh // 2,
                    b.id,
                    u.id,
                    None,
                    "安居电梯",
                )
            )
        specs.append(
            _Spec(
                f"{code}-GAS-{b.number}",
                f"燃气 {b.number}号楼",
                DeviceType.gas_detector,
                f"{b.number}号楼燃气表间",
                bx + 8,
                by + 8,
                b.id,
                None,
                1,
            )
        )
        specs.append(
            _Spec(
                f"{code}-DOOR-{b.number}",
                f"防火门 {b.number}号楼",
                DeviceType.door_magnet,
                f"{b.number}号楼首层防火门",
                bx + bw - 8,
                by + bh - 8,
                b.id,
                None,
                1,
            )
        )
    w, h = plan.get("width", 960), plan.get("height", 560)
    specs += [
        _Spec(f"{code}-PUMP-1", "1号生活水泵", DeviceType.water_pump, "泵房", 40, h - 30),
        _Spec(f"{code}-PUMP-2", "2号消防水泵", DeviceType.water_pump, "泵房", 60, h - 30),
        _Spec(f"{code}-LEAK-PUMP", "泵房漏水", DeviceType.water_leak, "泵房", 50, h - 20),
        _Spec(f"{code}-TANK-1", "生活水箱", DeviceType.water_tank, "泵房", 80, h - 30),
        _Spec(f"{code}-SOS-1", "一键求助 老年活动室", DeviceType.sos_button, "老年活动室", w - 60, 40),
        _Spec(f"{code}-SOS-2", "一键求助 地下车库", DeviceType.sos_button, "地下车库", w // 2, h - 20),
        _Spec(f"{code}-GATE-S", "南门道闸", DeviceType.barrier_gate, "南门", 400, 10),
        _Spec(f"{code}-ACC-S", "南门门禁", DeviceType.access_terminal, "南门", 420, 10),
        _Spec(f"{code}-CAM-S", "南门摄像机", DeviceType.camera, "南门", 440, 10),
        _Spec(f"{code}-MTR-W", "总水表", DeviceType.water_meter, "泵房", 100, h - 30),
        _Spec(f"{code}-MTR-P", "总电表", DeviceType.power_meter, "配电室", 120, h - 30),
    ]
    specs += [
        _Spec(f"{code}-MH-{i}", f"井盖 {i}", DeviceType.manhole_cover, f"{i}号井盖", 150 + i * 120, h - 50)
        for i in range(1, 5)
    ]
    specs += [
        _Spec(f"{code}-LIGHT-{i}", f"路灯 {i}", DeviceType.street_light, f"主路{i}号路灯", 100 + i * 140, 30)
        for i in range(1, 6)
    ]
    specs += [
        _Spec(
            f"{code}-CHG-{i}",
            f"充电桩 {i}",
            DeviceType.ebike_charger,
            "非机动车充电棚",
            w - 200 + i * 12,
            h - 40,
            capabilities={"auto_cutoff": True, "max_power_w": 1000},
        )
        for i in range(1, 9)
    ]
    session.add_all(
        Device(
            compound_id=compound_id,
            device_key=s.key,
            name=s.name,
            device_type=s.device_type,
            vendor=s.vendor,
            model=f"AJ-{s.device_type.value[:4].upper()}-1",
            building_id=s.building_id,
            unit_id=s.unit_id,
            floor=s.floor,
            location=s.location,
            plan_x=s.x,
            plan_y=s.y,
            heartbeat_seconds=HEARTBEAT.get(s.device_type, 120),
            capabilities=s.capabilities or {},
            secret_enc=encrypt(demo_secret(s.key), context=SECRET_CONTEXT),
        )
        for s in specs
    )
    session.flush()
    return len(specs)
