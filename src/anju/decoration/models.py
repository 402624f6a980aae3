"""Decoration tables: the application, its workers and its inspections."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin
from anju.decoration.enums import DecorationStatus, DepositStatus, InspectionKind


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class DecorationApplication(CompoundScopedMixin, TimestampedMixin, Base):
    """A 装修申请 of a house: dates, scope, contractor, workers' daily hours, deposit, decision and conditions."""

    __tablename__ = "decoration_application"
    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), index=True)
    applicant_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text)
    touches_load_bearing: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_consent: Mapped[bool] = mapped_column(Boolean, default=False)  # a tenant's written owner consent
    contractor: Mapped[str] = mapped_column(String(64))
    contractor_phone_enc: Mapped[str | None] = mapped_column(Text)
    contractor_phone_masked: Mapped[str | None] = mapped_column(String(32))
    daily_from: Mapped[time] = mapped_column(Time)  # China wall-clock hours workers may enter
    daily_until: Mapped[time] = mapped_column(Time)
    deposit_fen: Mapped[int] = mapped_column(Integer, default=0)
    deposit_status: Mapped[DepositStatus] = mapped_column(_enum(DepositStatus), default=DepositStatus.none)
    # The deductions asked for at the final inspection ([{"amount_fen", "reason"}]) and, once the fees ledger
    # has settled the deposit, what it kept and what it refunded.
    deposit_deductions: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    deposit_deducted_fen: Mapped[int] = mapped_column(Integer, default=0)
    deposit_refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[DecorationStatus] = mapped_column(
        _enum(DecorationStatus), default=DecorationStatus.submitted, index=True
    )
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)  # the approval's conditions (第15条)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reject_reason: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DecorationWorker(CompoundScopedMixin, Base):
    """A worker named on an application; their temporary pass exists only once it is approved."""

    __tablename__ = "decoration_worker"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("decoration_application.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    visitor_pass_id: Mapped[int | None] = mapped_column(Integer)  # the access domain's pass


class DecorationInspection(CompoundScopedMixin, Base):
    """A site inspection during the work or at completion; a failed one opens a work order."""

    __tablename__ = "decoration_inspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("decoration_application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InspectionKind] = mapped_column(_enum(InspectionKind))
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(500), default="")
    inspector_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    work_order_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
