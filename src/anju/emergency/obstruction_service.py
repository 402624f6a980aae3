"""Live blocked exits (issue 16): the sources that can report an evacuation exit obstructed, bound to the exit.

A building's exit (a stairwell or ground-floor door of its floor plan) or an assembly point (the way into it:
a compound gate, a fire lane) can be bound to
- a video analytics zone: a camera's zone under the left-object (遗留物) or fire-lane (消防通道占用) detector;
- a device: a fire-door or door sensor, an access terminal or barrier gate on the evacuation route.

While an alarm of the bound source is open in the alarm centre (not resolved, not a false alarm), the evacuation
estimate treats the exit as blocked; once a person closes the alarm the exit counts again. A source that reports
normal again (cleared by the device) still blocks until a person has closed the alarm: someone must have seen that
the way is clear. Alarms are read through the alarm centre's service, never its tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.alarms.service import OpenSourceAlarm, open_alarms_of_sources
from anju.core.auth import Principal
from anju.devices.enums import DeviceType
from anju.emergency.exceptions import (
    AssemblyPointNotFound,
    BadExitSource,
    BadGeometry,
    ExitSourceExists,
    ExitSourceNotFound,
)
from anju.emergency.models import AssemblyPoint, ExitObstructionSource
from anju.emergency.permissions import EmergencyPerm
from anju.emergency.schemas import ExitSourceIn, LiveBlockRead

# Video detectors whose zones watch a way out (something left in it, a car parked on it).
VIDEO_KINDS = frozenset({"left_object", "fire_lane_parking"})
# Device alarm kinds that mean the way is obstructed or the door is not usable as designed.
DEVICE_KINDS = frozenset({"door_held_open", "evacuation_blocked", "fire_lane_blocked"})
DEVICE_TYPES = frozenset({DeviceType.door_magnet, DeviceType.access_terminal, DeviceType.barrier_gate})


def alarm_source(row: ExitObstructionSource) -> str:
    """The alarm centre's source string of a binding's alarms."""
    return f"video:camera:{row.camera_id}" if row.camera_id is not None else f"device:{row.device_id}"


def matches(row: ExitObstructionSource, alarm: OpenSourceAlarm) -> bool:
    """Whether an open alarm of the binding's source says the way is obstructed."""
    if alarm.source != alarm_source(row):
        return False
    if row.camera_id is not None:
        return alarm.kind in VIDEO_KINDS and alarm.zone == row.zone
    return alarm.kind in DEVICE_KINDS


@dataclass(frozen=True)
class LiveBlock:
    source: ExitObstructionSource
    alarm: OpenSourceAlarm


class ObstructionService:
    def sources(
        self, session: Session, *, by: Principal, compound_id: int, building_id: int | None = None
    ) -> list[ExitObstructionSource]:
        by.require(EmergencyPerm.read)
        if not by.in_scope(compound_id):
            return []
        return self._rows(session, compound_id=compound_id, building_id=building_id)

    def _rows(
        self, session: Session, *, compound_id: int, building_id: int | None = None
    ) -> list[ExitObstructionSource]:
        stmt = select(ExitObstructionSource).where(ExitObstructionSource.compound_id == compound_id)
        if building_id is not None:
            stmt = stmt.where(ExitObstructionSource.building_id == building_id)
        return list(session.execute(stmt.order_by(ExitObstructionSource.id)).scalars())

    def bind(self, session: Session, *, by: Principal, data: ExitSourceIn) -> ExitObstructionSource:
        """Bind a source to an exit or assembly point; refused (422) with the reason when the exit is not on the
        building's floor plan, the camera has no such obstruction zone, or the device cannot report one."""
        from anju.devices.service import device_service
        from anju.emergency.evacuation_service import evacuation_service
        from anju.video.service import video_service

        by.require(EmergencyPerm.manage)
        if not by.in_scope(data.compound_id):
            raise ExitSourceNotFound(f"compound {data.compound_id}")
        row = ExitObstructionSource(compound_id=data.compound_id, created_by=by.user_id)
        if (data.building_id is None) == (data.assembly_point_id is None):
            raise BadExitSource(
                "name either a building's exit or an assembly point", zh="请选择楼栋出口或集合点（二选一）"
            )
        if data.building_id is not None:
            b = evacuation_service.building(session, by=by, building_id=data.building_id)
            if b.compound_id != data.compound_id:
                raise BadExitSource("the building is not in this compound", zh="楼栋不属于该小区")
            keys = {e.key for e in evacuation_service.exits(session, building=b)}
            if data.exit_key not in keys:
                raise BadExitSource(
                    f"exit {data.exit_key!r} is not on the building's floor plan", zh="该出口不在楼栋的楼层平面中"
                )
            row.building_id, row.exit_key = b.id, data.exit_key
            row.target_key = f"exit:{b.id}:{data.exit_key}"
        else:
            point = session.get(AssemblyPoint, data.assembly_point_id)
            if point is None or point.compound_id != data.compound_id or not point.active:
                raise AssemblyPointNotFound(f"assembly point {data.assembly_point_id}")
            row.assembly_point_id = point.id
            row.target_key = f"point:{point.id}"
        if (data.camera_id is None) == (data.device_id is None):
            raise BadExitSource("name either a camera zone or a device", zh="请选择摄像头区域或设备（二选一）")
        if data.camera_id is not None:
            cam = video_service.get(session, by=by, camera_id=data.camera_id)
            if cam.compound_id != data.compound_id:
                raise BadExitSource("the camera is not in this compound", zh="摄像头不属于该小区")
            zones = {
                str(z.get("name"))
                for a in cam.analytics
                if a.get("detector") in VIDEO_KINDS
                for z in a.get("zones") or []
                if z.get("name")
            }
            if data.zone not in zones:
                raise BadExitSource(
                    f"the camera has no left-object or fire-lane zone named {data.zone!r}",
                    zh="该摄像头没有此名称的遗留物或消防通道占用检测区域",
                )
            row.camera_id, row.zone = cam.id, data.zone
            row.source_key = f"video:{cam.id}:{data.zone}"
        else:
            assert data.device_id is not None
            device = device_service.get(session, by=by, device_id=data.device_id)
            if device.compound_id != data.compound_id:
                raise BadExitSource("the device is not in this compound", zh="设备不属于该小区")
            if device.device_type not in DEVICE_TYPES:
                raise BadExitSource(
                    "only a door sensor, access terminal or barrier gate can report an exit obstructed",
                    zh="只有门磁、门禁终端或道闸能报告出口堵塞",
                )
            row.device_id = device.id
            row.source_key = f"device:{device.id}"
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise ExitSourceExists(f"{row.source_key} is already bound to {row.target_key}") from None
        return row

    def unbind(self, session: Session, *, by: Principal, source_id: int) -> None:
        by.require(EmergencyPerm.manage)
        row = session.get(ExitObstructionSource, source_id)
        if row is None or not by.in_scope(row.compound_id):
            raise ExitSourceNotFound(f"exit source {source_id}")
        session.delete(row)
        session.flush()

    def live(self, session: Session, *, compound_id: int) -> list[LiveBlock]:
        """Every binding of the compound with an open obstruction alarm now (one entry per binding and alarm)."""
        rows = self._rows(session, compound_id=compound_id)
        if not rows:
            return []
        alarms = open_alarms_of_sources(session, compound_id=compound_id, sources=[alarm_source(r) for r in rows])
        return [LiveBlock(r, a) for r in rows for a in alarms if matches(r, a)]

    def blocked_exits(self, session: Session, *, compound_id: int, building_id: int) -> dict[str, list[LiveBlock]]:
        """Exit key → the live blocks on it, for one building."""
        out: dict[str, list[LiveBlock]] = defaultdict(list)
        for lb in self.live(session, compound_id=compound_id):
            if lb.source.building_id == building_id and lb.source.exit_key:
                out[lb.source.exit_key].append(lb)
        return dict(out)

    def blocked_points(self, session: Session, *, compound_id: int) -> dict[int, list[LiveBlock]]:
        out: dict[int, list[LiveBlock]] = defaultdict(list)
        for lb in self.live(session, compound_id=compound_id):
            if lb.source.assembly_point_id is not None:
                out[lb.source.assembly_point_id].append(lb)
        return dict(out)

    def names(
        self, session: Session, *, by: Principal, rows: list[ExitObstructionSource]
    ) -> dict[int, tuple[str, str]]:
        """Binding id → (target name, source name) for people to read."""
        from anju.devices.service import device_service
        from anju.emergency.evacuation_service import evacuation_service
        from anju.video.service import video_service

        out: dict[int, tuple[str, str]] = {}
        exit_names: dict[int, dict[str, str]] = {}
        for r in rows:
            if r.building_id is not None:
                b = evacuation_service.building(session, by=by, building_id=r.building_id)
                if b.id not in exit_names:
                    try:
                        exit_names[b.id] = {e.key: e.name for e in evacuation_service.exits(session, building=b)}
                    except BadGeometry:
                        exit_names[b.id] = {}
                target = f"{b.name} · {exit_names[b.id].get(r.exit_key or '', r.exit_key or '')}"
            else:
                p = session.get(AssemblyPoint, r.assembly_point_id)
                target = p.name if p is not None else str(r.assembly_point_id)
            if r.camera_id is not None:
                source = f"{video_service.get(session, by=by, camera_id=r.camera_id).name} · {r.zone}"
            else:
                source = device_service.get(session, by=by, device_id=int(r.device_id or 0)).name
            out[r.id] = (target, source)
        return out

    def read_live(self, session: Session, *, by: Principal, blocks: list[LiveBlock]) -> list[LiveBlockRead]:
        names = self.names(session, by=by, rows=[b.source for b in blocks])
        return [
            LiveBlockRead(
                source_id=b.source.id,
                target_key=b.source.target_key,
                target_name=names[b.source.id][0],
                source_name=names[b.source.id][1],
                alarm_id=b.alarm.id,
                alarm_kind=b.alarm.kind,
                alarm_title=b.alarm.title,
                alarm_status=b.alarm.status,
                source_cleared=b.alarm.cleared_at is not None,
            )
            for b in blocks
        ]


obstruction_service = ObstructionService()


def source_choices(session: Session, *, by: Principal, compound_id: int) -> list[tuple[str, str]]:
    """What can be bound in a compound, as (value, label): its cameras' left-object and fire-lane zones
    ("video:<camera>:<zone>") and its door sensors, access terminals and barrier gates ("device:<id>")."""
    from anju.devices.service import device_facts
    from anju.video.service import video_service

    by.require(EmergencyPerm.read)
    if not by.in_scope(compound_id):
        return []
    out: list[tuple[str, str]] = []
    for cam in video_service.cameras(session, by=by):
        if cam.compound_id != compound_id:
            continue
        for a in cam.analytics:
            if a.get("detector") in VIDEO_KINDS:
                out += [(f"video:{cam.id}:{z['name']}", f"{cam.name} · {z['name']}") for z in a.get("zones") or []]
    types = {str(t) for t in DEVICE_TYPES}
    out += [
        (f"device:{d.id}", d.name) for d in device_facts(session, compound_ids=[compound_id]) if d.device_type in types
    ]
    return out


def parse_choice(compound_id: int, target: str, source: str) -> ExitSourceIn:
    """A binding from the page's two choices ("exit:<building>:<key>" | "point:<id>", "video:<camera>:<zone>" |
    "device:<id>"); ValueError when either is malformed."""
    data: dict[str, object] = {"compound_id": compound_id}
    kind, _, rest = target.partition(":")
    if kind == "exit":
        b, _, key = rest.partition(":")
        data |= {"building_id": int(b), "exit_key": key}
    elif kind == "point":
        data["assembly_point_id"] = int(rest)
    else:
        raise ValueError("bad target")
    kind, _, rest = source.partition(":")
    if kind == "video":
        cam, _, zone = rest.partition(":")
        data |= {"camera_id": int(cam), "zone": zone}
    elif kind == "device":
        data["device_id"] = int(rest)
    else:
        raise ValueError("bad source")
    return ExitSourceIn.model_validate(data)
