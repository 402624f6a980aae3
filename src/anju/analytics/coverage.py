"""Camera coverage of key positions (重点部位视频覆盖率), one figure of the security report's technical section.

Each compound lists its key positions (gates, lift lobbies, perimeter, bike garages, fire lanes, …), each with a
point on the site plan or not, and the cameras assigned to it (a camera is its device row, device type camera).
A key position is covered when an online camera of the compound covers it by either rule:

    in view:  the position's plan point lies in the camera's field-of-view sector (analytics/fov.py: distance ×
              the plan's metres per unit ≤ range, bearing within ±angle/2 of the direction; the camera's point,
              direction, angle and range are set on the video camera, read through the video service)
    assigned: the camera is explicitly assigned to the position (positions without plan coordinates, e.g. rooms)

    camera coverage = key positions covered by at least one online camera (assigned or in view) ÷ key positions × 100%

"Online" is the camera's device state when the figure is taken (the report takes it when it is generated; the
大屏 live). A compound with no key positions has no coverage figure ("no data"), not 0 or 100.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.analytics.fov import Sector, in_view
from anju.analytics.models import KeyPosition, KeyPositionCamera
from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import Principal
from anju.core.errors import Conflict, Invalid, NotFound
from anju.devices.service import device_facts
from anju.registry.service import compounds_by_id, house_service
from anju.registry.structure_schemas import metres_per_unit
from anju.video.service import video_service

KEY_POSITION_KINDS = ("gate", "lift_lobby", "perimeter", "bike_garage", "fire_lane", "garage", "plant_room", "other")
CAMERA = "camera"


@dataclass(frozen=True)
class PositionState:
    id: int
    kind: str
    name: str
    building_id: int | None
    plan_x: int | None
    plan_y: int | None
    cameras: list[int]  # device ids
    online: list[int]  # the assigned cameras online now
    in_view: list[int]  # online cameras whose field of view holds the position's plan point

    @property
    def covered(self) -> bool:
        return bool(self.online) or bool(self.in_view)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def position_states(session: Session, *, compound_id: int) -> list[PositionState]:
    """Every key position of a compound with its cameras and which of them are online (no permission check)."""
    positions = list(
        session.execute(
            select(KeyPosition).where(KeyPosition.compound_id == compound_id).order_by(KeyPosition.id)
        ).scalars()
    )
    if not positions:
        return []
    links = session.execute(
        select(KeyPositionCamera.key_position_id, KeyPositionCamera.device_id).where(
            KeyPositionCamera.key_position_id.in_([p.id for p in positions])
        )
    ).all()
    status = {d.id: d.status for d in device_facts(session, compound_ids=[compound_id]) if d.device_type == CAMERA}
    cams: dict[int, list[int]] = {}
    for pid, did in links:
        cams.setdefault(pid, []).append(did)
    sectors = online_sectors(session, compound_id=compound_id, online={d for d, st in status.items() if st == "online"})
    compound = next(iter(compounds_by_id(session, compound_ids=[compound_id])), None)
    scale = metres_per_unit(compound.site_plan if compound else None)

    def seen_by(p: KeyPosition) -> list[int]:
        if p.plan_x is None or p.plan_y is None:
            return []
        return sorted(d for d, sector in sectors if in_view(sector, p.plan_x, p.plan_y, scale=scale))

    return [
        PositionState(
            p.id,
            p.kind,
            p.name,
            p.building_id,
            p.plan_x,
            p.plan_y,
            sorted(cams.get(p.id, [])),
            sorted(d for d in cams.get(p.id, []) if status.get(d) == "online"),
            seen_by(p),
        )
        for p in positions
    ]


def online_sectors(session: Session, *, compound_id: int, online: set[int]) -> list[tuple[int, Sector]]:
    """(device id, sector) of the compound's online cameras that are placed: a point on the plan, a range and a
    direction (a 360° camera needs none)."""
    out = []
    for c in video_service.placements(session, compound_id=compound_id):
        if c.device_id not in online or c.plan_x is None or c.plan_y is None or c.range_m is None:
            continue
        if c.heading_deg is None and c.fov_deg < 360:
            continue
        out.append((c.device_id, Sector(c.plan_x, c.plan_y, c.heading_deg or 0, c.fov_deg, c.range_m)))
    return out


def coverage_figures(session: Session, *, compound_id: int) -> dict[str, object]:
    """The report's inputs: key positions, covered ones, the rate and the uncovered positions by kind."""
    states = position_states(session, compound_id=compound_id)
    covered = sum(1 for s in states if s.covered)
    uncovered: dict[str, int] = {}
    for s in states:
        if not s.covered:
            uncovered[s.kind] = uncovered.get(s.kind, 0) + 1
    return {
        "key_positions": len(states),
        "key_positions_covered": covered,
        "camera_coverage": _pct(covered, len(states)),
        "uncovered_by_kind": uncovered,
    }


class KeyPositionService:
    def _scope(self, who: Principal, compound_id: int) -> None:
        if not who.in_scope(compound_id):
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")

    def positions(self, session: Session, *, who: Principal, compound_id: int) -> list[PositionState]:
        who.require(AnalyticsPerm.read)
        self._scope(who, compound_id)
        return position_states(session, compound_id=compound_id)

    def _cameras(self, session: Session, compound_id: int, device_ids: list[int]) -> list[int]:
        cameras = {d.id for d in device_facts(session, compound_ids=[compound_id]) if d.device_type == CAMERA}
        wrong = sorted(set(device_ids) - cameras)
        if wrong:
            raise Invalid(
                f"not cameras of this compound: {wrong}",
                zh="只能指派本小区的摄像机",
                fields=[
                    {
                        "field": "camera_device_ids",
                        "message": {"zh": "须为本小区摄像机的设备编号", "en": "device ids of this compound's cameras"},
                    }
                ],
            )
        return sorted(set(device_ids))

    def create(
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int,
        kind: str,
        name: str,
        building_id: int | None = None,
        plan_x: int | None = None,
        plan_y: int | None = None,
        camera_device_ids: list[int] | None = None,
    ) -> PositionState:
        """A key position of the compound, with the cameras that watch it (cameras of the same compound only)."""
        who.require(AnalyticsPerm.report_write)
        self._scope(who, compound_id)
        if kind not in KEY_POSITION_KINDS:
            raise Invalid(f"unknown key position kind {kind!r}", zh="未知的重点部位类型")
        if building_id is not None and building_id not in {
            b.id for b in house_service.buildings(session, compound_id=compound_id)
        }:
            raise Invalid(f"building {building_id} is not in this compound", zh="楼栋不属于本小区")
        devices = self._cameras(session, compound_id, camera_device_ids or [])
        row = KeyPosition(
            compound_id=compound_id, kind=kind, name=name, building_id=building_id, plan_x=plan_x, plan_y=plan_y
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise Conflict(f"key position {name!r} exists", zh="该重点部位名称已存在") from None
        session.add_all(KeyPositionCamera(key_position_id=row.id, device_id=d) for d in devices)
        session.flush()
        return self._state(session, row)

    def _get(self, session: Session, who: Principal, position_id: int) -> KeyPosition:
        row = session.get(KeyPosition, position_id)
        if row is None or not who.in_scope(row.compound_id):
            raise NotFound(f"key position {position_id} not found", zh="未找到该重点部位")
        return row

    def _state(self, session: Session, row: KeyPosition) -> PositionState:
        return next(s for s in position_states(session, compound_id=row.compound_id) if s.id == row.id)

    def assign(
        self, session: Session, *, who: Principal, position_id: int, camera_device_ids: list[int]
    ) -> PositionState:
        """Replace the cameras that watch a key position (an empty list leaves it uncovered)."""
        who.require(AnalyticsPerm.report_write)
        row = self._get(session, who, position_id)
        devices = self._cameras(session, row.compound_id, camera_device_ids)
        session.execute(delete(KeyPositionCamera).where(KeyPositionCamera.key_position_id == row.id))
        session.add_all(KeyPositionCamera(key_position_id=row.id, device_id=d) for d in devices)
        session.flush()
        return self._state(session, row)

    def remove(self, session: Session, *, who: Principal, position_id: int) -> None:
        who.require(AnalyticsPerm.report_write)
        row = self._get(session, who, position_id)
        session.execute(delete(KeyPositionCamera).where(KeyPositionCamera.key_position_id == row.id))
        session.delete(row)
        session.flush()


key_position_service = KeyPositionService()
