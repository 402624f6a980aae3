"""The demo compound's surveillance cameras on its site plan, and its key positions (重点部位).

Each camera is placed where one would be on this plan: the gate cameras inside each gate looking at it, four
perimeter cameras in the corners looking along the fence, a 360° camera at every lift lobby, one on the central
plaza, one at the car-park ramp, one at the fire-pump room door and one over the e-bike charging shed. Ranges are
metres (the plan's scale, 0.5 m per unit by default). The key positions sit on the same plan; all but one are in
an online camera's view once the simulator reports the cameras online. The power room (配电室) is deliberately in
no camera's view, so the demo shows an uncovered key position and its rectification path.

Everything is derived from the plan (its size, buildings and gates), so it is deterministic. Cameras are registered
through the video service like a manager would (the same checks as the API) and left inactive: they have no stream
(their addresses are in the documentation range, 192.0.2.0/24), so `anju video-worker` does not open them; their
devices report through the simulator. Device secrets are derived from the keys like every other demo device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

GATE_INSET = 30  # plan units between a gate and its camera


@dataclass(frozen=True)
class CameraSpot:
    key: str  # device key suffix (the compound's code is put in front)
    name: str
    location: str
    x: int
    y: int
    heading_deg: int | None  # None for a 360° camera
    fov_deg: int
    range_m: float
    building: str | None = None  # building number


@dataclass(frozen=True)
class PositionSpot:
    name: str
    kind: str  # analytics.coverage.KEY_POSITION_KINDS
    x: int
    y: int
    covered: bool  # what the demo intends: in an online camera's view or deliberately not
    building: str | None = None


UNCOVERED = "配电室"  # the key position the demo leaves out of every camera's view


def _inward(gx: float, gy: float, w: float, h: float) -> tuple[int, int, int]:
    """The unit step into the plan from a gate on its edge, and the heading from there back to the gate."""
    if gy <= 0:
        return 0, 1, 0  # north edge: step south, look north
    if gy >= h:
        return 0, -1, 180
    if gx >= w:
        return -1, 0, 90  # east edge: step west, look east
    if gx <= 0:
        return 1, 0, 270
    return 0, 1, 0


def _plaza(plan: dict[str, Any]) -> tuple[int, int]:
    """The central plaza: between the first two rows of buildings (below the only row), mid-plan."""
    rows = sorted({(int(s["y"]), int(s["h"])) for s in plan.get("buildings", []) if isinstance(s, dict)})
    top_bottom = rows[0][0] + rows[0][1] if rows else int(plan["height"]) // 3
    next_top = next((y for y, _ in rows if y > top_bottom), top_bottom + 90)
    return int(plan["width"]) // 2, (top_bottom + next_top) // 2


def footage_placement(key: str, plan: dict[str, Any], units: dict[str, int]) -> CameraSpot | None:
    """Where the video demo's footage cameras (anju.sim.video_demo) sit: the plaza camera on the plaza's east side
    looking west, the stairwell camera in building 2's first unit looking north up its stairs."""
    if key == "CAM-PLAZA":
        px, py = _plaza(plan)
        return CameraSpot(key, "中心广场", "中心广场东侧", px + 40, py, 270, 90, 25.0)
    shape = next((s for s in plan.get("buildings", []) if isinstance(s, dict) and str(s["building"]) == "2"), None)
    if key == "CAM-STAIR-2" and shape is not None:
        x = int(shape["x"]) + int(shape["w"] / (units.get("2", 1) + 1))
        y = int(shape["y"]) + int(shape["h"]) // 2 + 10
        return CameraSpot(key, "2号楼一层楼道", "2号楼一单元一层楼道", x, y, 0, 90, 8.0, "2")
    return None


def layout(plan: dict[str, Any], units: dict[str, int]) -> tuple[list[CameraSpot], list[PositionSpot]]:
    """Cameras and key positions for a site plan with width, height, buildings (x, y, w, h) and gates, and the
    number of units of each building (by its number)."""
    w, h = int(plan["width"]), int(plan["height"])
    shapes = [s for s in plan.get("buildings", []) if isinstance(s, dict)]
    cams: list[CameraSpot] = []
    spots: list[PositionSpot] = []
    for k, g in enumerate(plan.get("gates", [])):
        dx, dy, heading = _inward(g["x"], g["y"], w, h)
        cx = min(max(int(g["x"]) + dx * GATE_INSET, 0), w)
        cy = min(max(int(g["y"]) + dy * GATE_INSET, 0), h)
        cams.append(CameraSpot(f"GATE-{k + 1}", f"{g['name']}入口", f"{g['name']}内侧", cx, cy, heading, 90, 30.0))
        spots.append(PositionSpot(g["name"], "gate", int(g["x"]), int(g["y"]), covered=True))
    # The perimeter: one camera in each corner looking along a fence (clockwise), 60°, 40 m.
    for key, name, x, y, heading in (
        ("FENCE-NW", "西北角围墙", 10, 10, 180),
        ("FENCE-NE", "东北角围墙", w - 10, 10, 270),
        ("FENCE-SE", "东南角围墙", w - 10, h - 10, 0),
        ("FENCE-SW", "西南角围墙", 10, h - 10, 90),
    ):
        cams.append(CameraSpot(key, name, f"{name}立杆", x, y, heading, 60, 40.0))
    spots.append(PositionSpot("西侧围墙北段", "perimeter", 0, 60, covered=True))
    # Lift lobbies: a 360° dome at each unit's lift (where the lift controller sits on the plan), 6 m.
    for s in shapes:
        b = str(s["building"])
        n = units.get(b, 1)
        for u in range(1, n + 1):
            ux = int(s["x"]) + int(s["w"] * u / (n + 1))  # as the demo places the lift controllers
            uy = int(s["y"]) + int(s["h"]) // 2
            cams.append(
                CameraSpot(
                    f"LIFT-{b}-{u}", f"{b}号楼{u}单元电梯厅", f"{b}号楼{u}单元首层电梯厅", ux, uy, None, 360, 6.0, b
                )
            )
    if shapes:
        first = shapes[0]
        b = str(first["building"])
        ux = int(first["x"]) + int(first["w"] / (units.get(b, 1) + 1))
        uy = int(first["y"]) + int(first["h"]) // 2 + 6
        spots.append(PositionSpot(f"{b}号楼1单元电梯厅", "lift_lobby", ux, uy, covered=True, building=b))
    px, py = _plaza(plan)
    cams.append(CameraSpot("PLAZA-W", "中心广场", "中心广场西侧灯杆", px - 40, py, 90, 90, 25.0))
    spots.append(PositionSpot("中心广场", "other", px, py, covered=True))
    # The car-park ramp by the south-east road, the plant rooms in the south-west corner, the charging shed.
    cams.append(CameraSpot("GARAGE", "地下车库入口", "地下车库坡道上方", w // 2, h - 60, 180, 70, 30.0))
    spots.append(PositionSpot("地下车库入口", "garage", w // 2, h - 20, covered=True))
    cams.append(CameraSpot("PUMP", "消防泵房门口", "泵房门口", 60, h - 70, 180, 60, 25.0))
    spots.append(PositionSpot("消防泵房", "plant_room", 60, h - 30, covered=True))
    spots.append(PositionSpot(UNCOVERED, "plant_room", 140, h - 30, covered=False))
    cams.append(CameraSpot("EBIKE", "非机动车充电棚", "充电棚北侧", w - 150, h - 80, 180, 90, 25.0))
    spots.append(PositionSpot("非机动车充电棚", "bike_garage", w - 150, h - 40, covered=True))
    return cams, spots


def units_by_building(session: Session, compound_id: int) -> dict[str, int]:
    """How many units each building of the compound has, by building number."""
    from anju.registry.models import Building, Unit

    units: dict[str, int] = {}
    for number in session.execute(
        select(Building.number).join(Unit, Unit.building_id == Building.id).where(Building.compound_id == compound_id)
    ).scalars():
        units[number] = units.get(number, 0) + 1
    return units


def build_camera_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> int:
    """Register the placed cameras and the key positions of compound `compound_id`; returns how many cameras.
    Caller commits."""
    del li_person_id, committee_person_id  # the seeding interface of every demo; this one names no resident
    from anju.analytics.coverage import key_position_service
    from anju.core.crypto import encrypt
    from anju.devices.models import Device
    from anju.devices.service import SECRET_CONTEXT
    from anju.registry.models import Building, Compound
    from anju.sim.devices_demo import demo_secret
    from anju.sim.video_demo import _principal
    from anju.video.schemas import CameraCreate
    from anju.video.service import video_service

    code, plan = session.execute(select(Compound.code, Compound.site_plan).where(Compound.id == compound_id)).one()
    if not plan or not plan.get("width") or not plan.get("height"):
        return 0
    buildings = dict(
        session.execute(select(Building.number, Building.id).where(Building.compound_id == compound_id)).tuples().all()
    )
    wang = _principal(session, "manager_wang")
    cams, spots = layout(plan, units_by_building(session, compound_id))
    for n, c in enumerate(cams, start=1):
        key = f"{code}-VC-{c.key}"
        cam = video_service.register(
            session,
            by=wang,
            data=CameraCreate(
                compound_id=compound_id,
                device_key=key,
                name=c.name,
                url=f"rtsp://192.0.2.{n}:554/Streaming/Channels/101",
                building_id=buildings.get(c.building) if c.building else None,
                location=c.location,
                plan_x=c.x,
                plan_y=c.y,
                heading_deg=c.heading_deg,
                fov_deg=c.fov_deg,
                range_m=c.range_m,
                public_area=True,
                retention_days=30,
                signage_installed=True,
            ),
        )
        device, secret = session.get(Device, cam.device_id), encrypt(demo_secret(key), context=SECRET_CONTEXT)
        assert device is not None and secret is not None
        device.secret_enc = secret  # reproducible, like every other demo device's
    for p in spots:
        key_position_service.create(
            session,
            who=wang,
            compound_id=compound_id,
            kind=p.kind,
            name=p.name,
            building_id=buildings.get(p.building) if p.building else None,
            plan_x=p.x,
            plan_y=p.y,
        )
    session.flush()
    return len(cams)
