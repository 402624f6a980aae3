"""Emergency API schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field, field_validator

from anju.core.schemas import InSchema, Schema, aware_time
from anju.emergency.enums import PlanKind, Tier


class RoleIn(InSchema):
    role: str = Field(min_length=1, max_length=64)  # "指挥部", "疏散引导组"
    tier: Tier = Tier.property
    tasks: list[str] = Field(min_length=1, max_length=30)  # the ordered checklist
    due_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, v: list[str]) -> list[str]:
        out = [t.strip() for t in v]
        if any(not t or len(t) > 200 for t in out):
            raise ValueError("each task is 1..200 characters")
        return out


class CallEntry(InSchema):
    name: str = Field(min_length=1, max_length=64)  # "火警", "街道办值班室"
    phone: str = Field(min_length=3, max_length=32, pattern=r"^[0-9+\- ]+$")


class PlanCreate(InSchema):
    compound_id: int
    kind: PlanKind
    title: str = Field(min_length=1, max_length=128)
    level: int = Field(default=3, ge=1, le=5)
    roles: list[RoleIn] = Field(min_length=1, max_length=20)
    resources: list[str] = Field(default_factory=list, max_length=50)
    call_sheet: list[CallEntry] = Field(default_factory=list, max_length=30)
    drill_every_days: int = Field(default=91, ge=7, le=366)


class PlanRead(Schema):
    id: int
    compound_id: int
    kind: PlanKind
    title: str
    level: int
    version: int
    roles: list[dict[str, object]]
    resources: list[str]
    call_sheet: list[dict[str, object]]
    drill_every_days: int
    approved_at: datetime | None
    active: bool


class DrillCreate(InSchema):
    held_at: datetime
    participants: int = Field(default=0, ge=0, le=100_000)
    evacuation_seconds: int | None = Field(default=None, ge=0, le=24 * 3600)
    findings: str | None = Field(default=None, max_length=5000)
    building_id: int | None = None  # the building evacuated: its time is compared with the simulation
    _t = field_validator("held_at")(aware_time)


class DrillRead(Schema):
    id: int
    plan_id: int
    held_at: datetime
    participants: int
    evacuation_seconds: int | None
    findings: str | None
    building_id: int | None


class Activate(InSchema):
    alarm_id: int | None = None
    building_id: int | None = None
    level: int | None = Field(default=None, ge=1, le=5)
    exercise: bool = False  # a drill run of the same flow: no broadcast reaches residents
    message: str | None = Field(default=None, max_length=2000)


class TaskRead(Schema):
    id: int
    tier: Tier
    role: str
    position: int
    title: str
    due_at: datetime
    done_at: datetime | None
    done_by: int | None


class IncidentRead(Schema):
    id: int
    compound_id: int
    plan_id: int
    alarm_id: int | None
    building_id: int | None
    level: int
    exercise: bool
    title: str
    status: str
    notice_id: int | None
    declared_at: datetime
    closed_at: datetime | None
    review: str | None


class DrawRead(Schema):
    resource: str
    supply_id: int | None
    asked: int
    drawn: int


class IncidentDetail(IncidentRead):
    tasks: list[TaskRead]
    draws: list[DrawRead] = []
    evacuation_seconds: int | None = None  # the estimate made for the incident's building


class CloseIncident(InSchema):
    review: str = Field(min_length=1, max_length=10_000)  # the after-action review


class SupplyCreate(InSchema):
    compound_id: int
    store: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    unit_label: str = Field(default="", max_length=16)
    quantity: int = Field(ge=0, le=1_000_000)
    min_quantity: int = Field(default=0, ge=0, le=1_000_000)
    expires_on: date | None = None


class SupplyUpdate(InSchema):
    """An inspection or a renewal: the counted quantity, a new expiry; the check date is today."""

    quantity: int | None = Field(default=None, ge=0, le=1_000_000)
    min_quantity: int | None = Field(default=None, ge=0, le=1_000_000)
    expires_on: date | None = None


class Draw(InSchema):
    quantity: int = Field(ge=1, le=1_000_000)


class SupplyRead(Schema):
    id: int
    compound_id: int
    store: str
    name: str
    unit_label: str
    quantity: int
    min_quantity: int
    expires_on: date | None
    checked_on: date | None
    state: str  # ok | short | expiring | expired


class FloorPlanIn(InSchema):
    """A building's typical floor for the evacuation simulation: a template, or "custom" with its geometry
    ({"outline": [[x, y]…], "exits": [{"key", "name", "area", "width"}…], "spawn": [[[x, y]…]…]}, metres)."""

    template: str = Field(default="slab", pattern=r"^(slab|tower|walkup|custom)$")
    geometry: dict[str, Any] | None = None
    people_per_floor: int = Field(default=24, ge=1, le=500)
    elderly_percent: int = Field(default=10, ge=0, le=100)


class Simulate(InSchema):
    blocked: list[str] = Field(default_factory=list, max_length=20)  # exit keys removed (a what-if)


class EvacuationRead(Schema):
    id: int
    building_id: int
    incident_id: int | None
    template: str
    floors: int
    people: int
    blocked: list[str]
    seconds: int
    floor_seconds: int
    result: dict[str, Any]
    created_at: datetime


class AssemblyPointIn(InSchema):
    """An evacuation assembly point on the compound's site plan (plan units) and how many people it holds."""

    compound_id: int
    name: str = Field(min_length=1, max_length=64)
    plan_x: float = Field(ge=0, le=100_000)
    plan_y: float = Field(ge=0, le=100_000)
    capacity: int = Field(ge=1, le=100_000)


class AssemblyPointRead(Schema):
    id: int
    compound_id: int
    name: str
    plan_x: float
    plan_y: float
    capacity: int


class ExitSourceIn(InSchema):
    """Bind a source that can report an exit obstructed to the exit: a building's exit (building_id + exit_key)
    or an assembly point; the source is a camera's analytics zone (camera_id + zone) or a device (device_id)."""

    compound_id: int
    building_id: int | None = None
    exit_key: str | None = Field(default=None, min_length=1, max_length=24)
    assembly_point_id: int | None = None
    camera_id: int | None = None
    zone: str | None = Field(default=None, min_length=1, max_length=64)
    device_id: int | None = None


class ExitSourceRead(Schema):
    id: int
    compound_id: int
    target_key: str
    source_key: str
    building_id: int | None
    exit_key: str | None
    assembly_point_id: int | None
    camera_id: int | None
    zone: str | None
    device_id: int | None


class LiveBlockRead(Schema):
    """An exit blocked now: the binding, and the open alarm that blocks it."""

    source_id: int
    target_key: str
    target_name: str  # "1号楼 · 东楼梯", "南广场集合点"
    source_name: str  # "北门摄像头 · 消防通道", "3号楼防火门磁"
    alarm_id: int
    alarm_kind: str
    alarm_title: str
    alarm_status: str
    source_cleared: bool  # the source reported normal again; the exit counts once a person closes the alarm


class SiteRouteRead(Schema):
    building_id: int
    building_name: str
    people: int
    building_seconds: float | None  # the building's own evacuation (None: not simulated yet)
    assembly_point_id: int | None
    assembly_point_name: str | None
    metres: float
    walk_seconds: float
    total_seconds: float | None
    over_capacity: bool
    route: list[list[float]]  # plan units, door to point
    blocked_exits: list[str] = []  # exit keys blocked now by open obstruction alarms (the run used has them shut)
    crowded_seconds: float | None = None  # with crowding on the shared paths and at the point (queueing model)


class AssemblyLoadRead(Schema):
    id: int
    name: str
    capacity: int
    people: int
    last_arrival_seconds: float | None
    buildings: list[str]
    crowded_last_arrival_seconds: float | None = None


class CompoundEvacuationRead(Schema):
    seconds: float | None  # the last person at an assembly point (None while a building is not simulated)
    metres_per_unit: float
    routes: list[SiteRouteRead]
    assembly_points: list[AssemblyLoadRead]
    unplaced_buildings: list[str]
    blocked_points: list[int] = []  # assembly points left out: an open obstruction alarm blocks the way in
    live_blocks: list[LiveBlockRead] = []
    crowded_seconds: float | None = None  # the same with crowding (see evacuation.crowd_delays)
    bottlenecks: list[list[float]] = []  # [x, y (plan units), longest wait s, persons through], worst first
