"""Emergency tables: plans with roles and resources, drills, supply items, incidents and their role tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin


class EmergencyPlan(CompoundScopedMixin, TimestampedMixin, Base):
    """An approved plan for one kind of emergency: level, roles with ordered checklists, resources, call sheet."""

    __tablename__ = "emergency_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)  # PlanKind
    title: Mapped[str] = mapped_column(String(128))
    level: Mapped[int] = mapped_column(Integer, default=3)  # 1 (most severe) .. 5
    version: Mapped[int] = mapped_column(Integer, default=1)
    # [{"role": "疏散引导组", "tier": "property", "tasks": ["…", "…"], "due_minutes": 10}, …]
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    resources: Mapped[list[str]] = mapped_column(JSON, default=list)  # supply item names it draws on
    call_sheet: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"name": "火警", "phone": "119"}]
    drill_every_days: Mapped[int] = mapped_column(Integer, default=91)  # quarterly
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class EmergencyDrill(CompoundScopedMixin, Base):
    """A drill held under a plan, with its record."""

    __tablename__ = "emergency_drill"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("emergency_plan.id", ondelete="CASCADE"), index=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    participants: Mapped[int] = mapped_column(Integer, default=0)
    evacuation_seconds: Mapped[int | None] = mapped_column(Integer)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="SET NULL"))  # evacuated
    findings: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SupplyItem(CompoundScopedMixin, TimestampedMixin, Base):
    """One line of an emergency supply store: quantity (never below zero), minimum, expiry, last check."""

    __tablename__ = "emergency_supply"
    __table_args__ = (
        UniqueConstraint("compound_id", "store", "name"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store: Mapped[str] = mapped_column(String(64))  # "1号楼地下应急物资库"
    name: Mapped[str] = mapped_column(String(64))  # "灭火器"
    unit_label: Mapped[str] = mapped_column(String(16), default="")  # "具"
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    min_quantity: Mapped[int] = mapped_column(Integer, default=0)
    expires_on: Mapped[date | None] = mapped_column(Date)
    checked_on: Mapped[date | None] = mapped_column(Date)


class EmergencyIncident(CompoundScopedMixin, Base):
    """A declared emergency (or an exercise) under one plan; UNIQUE(plan, alarm): a plan is activated once."""

    __tablename__ = "emergency_incident"
    __table_args__ = (UniqueConstraint("plan_id", "alarm_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("emergency_plan.id"), index=True)
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarm.id", ondelete="SET NULL"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    level: Mapped[int] = mapped_column(Integer)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)  # a drill: nothing real reaches outsiders
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | closed
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="SET NULL"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review: Mapped[str | None] = mapped_column(Text)  # the after-action review


class EmergencyTask(CompoundScopedMixin, Base):
    """One checklist step of one role in an incident, with its tier, deadline and who did it."""

    __tablename__ = "emergency_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("emergency_incident.id", ondelete="CASCADE"), index=True)
    tier: Mapped[str] = mapped_column(String(16))  # Tier: community | property | resident
    role: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class EmergencyReminder(CompoundScopedMixin, Base):
    """A reminder already sent (a quarter without a drill, an expiring supply): UNIQUE(key), so once each."""

    __tablename__ = "emergency_reminder"
    __table_args__ = (UniqueConstraint("key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(96))  # drill:<plan>:2026Q4 | supply:<item>:<expires_on>
    kind: Mapped[str] = mapped_column(String(16))  # drill | supply
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BuildingFloorPlan(CompoundScopedMixin, TimestampedMixin, Base):
    """A building's typical floor for the evacuation simulation: a template by building type, or a drawn
    geometry (outline, exits, flats in metres), and how many people a floor holds."""

    __tablename__ = "emergency_floor_plan"
    __table_args__ = (UniqueConstraint("building_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(16), default="slab")  # slab | tower | walkup | custom
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # for "custom"
    people_per_floor: Mapped[int] = mapped_column(Integer, default=24)
    elderly_percent: Mapped[int] = mapped_column(Integer, default=10)  # slower walkers (0.8 m/s)


class EvacuationRun(CompoundScopedMixin, Base):
    """One evacuation simulation of a building (a what-if, or the estimate made when a plan is activated)."""

    __tablename__ = "emergency_evacuation"
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("emergency_incident.id", ondelete="SET NULL"), index=True
    )
    template: Mapped[str] = mapped_column(String(16))
    floors: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    blocked: Mapped[list[str]] = mapped_column(JSON, default=list)  # exit keys removed from the model
    seconds: Mapped[int] = mapped_column(Integer)  # the building's total evacuation time
    floor_seconds: Mapped[int] = mapped_column(Integer)  # one floor cleared to the stairwells
    # {"exits": [...], "stairs": [...], "hot": [[x, y, d]…], "heat": [[cx, cy, d]…], "outline": …, "exit_areas": …}
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SupplyDraw(CompoundScopedMixin, Base):
    """Supplies taken out when a plan is activated: what the plan asked, what the store had (never below zero)."""

    __tablename__ = "emergency_draw"
    __table_args__ = (UniqueConstraint("incident_id", "resource"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("emergency_incident.id", ondelete="CASCADE"), index=True)
    supply_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_supply.id", ondelete="SET NULL"))
    resource: Mapped[str] = mapped_column(String(64))  # the plan's resource name
    asked: Mapped[int] = mapped_column(Integer)
    drawn: Mapped[int] = mapped_column(Integer)  # ≤ asked: the store's quantity never goes below zero
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AssemblyPoint(CompoundScopedMixin, Base):
    """An evacuation assembly point (集合点) on the compound's site plan (plan units) and how many it holds."""

    __tablename__ = "emergency_assembly_point"
    __table_args__ = (UniqueConstraint("compound_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    plan_x: Mapped[float] = mapped_column(Float)
    plan_y: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)  # people it holds (about 0.5 m² each)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ExitObstructionSource(CompoundScopedMixin, Base):
    """A source that can report an evacuation exit obstructed, bound to the exit it blocks (issue 16).

    The target is a building's exit (its floor plan's exit key: a stairwell or a ground-floor door) or an
    assembly point (the way into it, e.g. a compound gate or a fire lane); the source is a video analytics zone
    (a camera's left-object or fire-lane zone) or a device (a fire-door or door sensor). While an alarm of the
    source is open in the alarm centre, the evacuation estimate treats the target as blocked."""

    __tablename__ = "emergency_exit_source"
    __table_args__ = (UniqueConstraint("compound_id", "target_key", "source_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    target_key: Mapped[str] = mapped_column(String(64))  # "exit:<building id>:<exit key>" | "point:<id>"
    source_key: Mapped[str] = mapped_column(String(96))  # "video:<camera id>:<zone>" | "device:<id>"
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), index=True)
    exit_key: Mapped[str | None] = mapped_column(String(24))
    assembly_point_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_assembly_point.id", ondelete="CASCADE"))
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("video_camera.id", ondelete="CASCADE"))
    zone: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
