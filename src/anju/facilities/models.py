"""Facility tables: equipment, maintenance plans with due dates, inspections with checklists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class Equipment(CompoundScopedMixin, Base):
    """A lift, pump, extinguisher, hydrant, fire-alarm panel or camera."""

    __tablename__ = "facility_equipment"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # lift|pump|extinguisher|hydrant|fire_panel|camera
    name: Mapped[str] = mapped_column(String(64))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    location: Mapped[str | None] = mapped_column(String(128))
    extinguisher_type: Mapped[str | None] = mapped_column(String(12))  # water|powder|clean_agent|co2 (R-S6)
    manufactured_on: Mapped[date | None] = mapped_column(Date)
    crowded_location: Mapped[bool] = mapped_column(Boolean, default=False)  # half-monthly checks (R-S6)
    certificate_expires_on: Mapped[date | None] = mapped_column(Date)  # lifts: periodic inspection (R-W2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class MaintenancePlan(CompoundScopedMixin, Base):
    """A recurring duty for one piece of equipment or one building, with its next due date."""

    __tablename__ = "facility_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("facility_equipment.id", ondelete="CASCADE"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    kind: Mapped[str] = mapped_column(String(24))  # lift_maintenance, fire_check, fire_full_inspection, …
    interval_days: Mapped[int | None] = mapped_column(Integer)  # None: one-off (scrap, certificate)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    last_done_on: Mapped[date | None] = mapped_column(Date)
    open_order_id: Mapped[int | None] = mapped_column(Integer)  # the work order raised for the current due date


class Inspection(CompoundScopedMixin, Base):
    """A checklist run against a plan; failed items open work orders (kind inspection)."""

    __tablename__ = "facility_inspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("facility_plan.id", ondelete="CASCADE"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(Integer)
    inspector_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    supervisor_name: Mapped[str | None] = mapped_column(String(64))  # R-S4: inspector and supervisor sign
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"item": "…", "ok": true, "note": "…"}]
    failed: Mapped[int] = mapped_column(Integer, default=0)
    order_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InspectionSignature(Base):
    """R-S4: who signed an inspection record and when, one row per role (inspector, supervisor).

    A monthly fire check is complete only with both; the supervisor is a different person from the inspector.
    """

    __tablename__ = "facility_inspection_signature"
    __table_args__ = (UniqueConstraint("inspection_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("facility_inspection.id", ondelete="CASCADE"), index=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    role: Mapped[str] = mapped_column(String(12))  # inspector | supervisor
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    name: Mapped[str] = mapped_column(String(64))  # as shown when signed
    note: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FireDutyShift(CompoundScopedMixin, Base):
    """R-S7: one shift of the fire control room (消防控制室值班) with the people on duty."""

    __tablename__ = "fire_duty_shift"
    __table_args__ = (Index("ix_fire_duty_shift_span", "compound_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    staff: Mapped[list[str]] = mapped_column(JSON)  # names of the operators on duty (certified 消防设施操作员)
    set_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FireDutyGap(CompoundScopedMixin, Base):
    """R-S7: a stretch of the coming week with nobody (uncovered) or one person (understaffed) on duty.

    The unique key makes the row the guard against duplicates: only the worker that inserts it raises the alarm.
    """

    __tablename__ = "fire_duty_gap"
    __table_args__ = (UniqueConstraint("compound_id", "kind", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # uncovered | understaffed
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    on_duty: Mapped[int] = mapped_column(Integer)  # people on duty during the gap (0 or 1)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the roster was fixed, or it passed
    alarm_key: Mapped[str] = mapped_column(String(128))
