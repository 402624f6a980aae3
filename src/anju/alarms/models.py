"""Alarm centre tables: alarms, their append-only history, escalation timers, per-compound policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.alarms.enums import AlarmAction, AlarmSeverity, AlarmStatus
from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.ids import BigId
from anju.core.mixins import CompoundScopedMixin


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class Alarm(CompoundScopedMixin, Base):
    """One alarm from any source. Facts never change; status moves only through transitions (R-A8)."""

    __tablename__ = "alarm"
    __table_args__ = (
        # One open aggregation slot per key: concurrent raisers of the same key meet here.
        UniqueConstraint("compound_id", "dedupe_slot"),
        Index("ix_alarm_compound_status", "compound_id", "status"),
        # A compound's alarms in a time range (the open hour the 大屏 reads raw, the rollup's recomputes; issue 19).
        Index("ix_alarm_compound_occurred_at", "compound_id", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[AlarmSeverity] = mapped_column(_enum(AlarmSeverity))
    source: Mapped[str] = mapped_column(String(64), index=True)  # "device:42"
    dedupe_key: Mapped[str] = mapped_column(String(128), index=True)
    # = dedupe_key while repeats may still aggregate into this alarm; NULL once closed or stale.
    dedupe_slot: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(255))  # as raised (zh); shown through title_key when set
    # A message key and its parameters: the title in the reader's language (issue 17 item 4).
    title_key: Mapped[str | None] = mapped_column(String(64))
    title_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[AlarmStatus] = mapped_column(_enum(AlarmStatus))
    building_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    floor: Mapped[int | None] = mapped_column(Integer)
    house_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[int | None] = mapped_column(Integer, index=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_by: Mapped[str] = mapped_column(String(16), default="automation")  # automation | user
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())  # source time of the first occurrence
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    cleared_by_device: Mapped[bool] = mapped_column(default=False)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_to: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(32))  # AlarmOutcome, set when closed
    # The closed alarm of the same device and rule this one follows (a recurrence after closure).
    previous_alarm_id: Mapped[int | None] = mapped_column(Integer)


class AlarmTransition(Base):
    """Append-only history of an alarm: creation, repeats, clears and every human transition.

    On PostgreSQL the table is RANGE-partitioned by month of `at` (issue 19, `anju.core.partitions`; primary key
    (id, at) there, created by the migration, the append-only triggers on the parent and so on every partition);
    whole months past `ANJU_ALARMS_HISTORY_RETENTION_DAYS` are dropped. Nothing refers to a transition's id.
    """

    __tablename__ = "alarm_transition"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # a global id (core.ids)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id"), index=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[AlarmAction] = mapped_column(_enum(AlarmAction))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: automation
    reason: Mapped[str | None] = mapped_column(String(500))  # a person's note
    # What the system wrote: a message key and parameters, rendered in the reader's language.
    reason_key: Mapped[str | None] = mapped_column(String(64))
    reason_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlarmEscalation(Base):
    """A timer: step N of an alarm's escalation chain, due at due_at, fired or cancelled once (CAS)."""

    __tablename__ = "alarm_escalation"
    __table_args__ = (UniqueConstraint("alarm_id", "step"), Index("ix_alarm_escalation_due", "status", "due_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id"), index=True)
    compound_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    target: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"roles": ["guard"]} or {"users": [3, 4]}
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | fired | cancelled
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fired_by: Mapped[str | None] = mapped_column(String(64))


class AlarmPolicy(Base):
    """A compound's escalation chain / window / linkage for a kind and severity ("*" matches any)."""

    __tablename__ = "alarm_policy"
    __table_args__ = (UniqueConstraint("compound_id", "kind", "severity"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="*")
    severity: Mapped[str] = mapped_column(String(16), default="*")
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"chain": [...], "window_seconds": …, "linkage": [...]}
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AlarmHourly(Base):
    """Alarms per compound, hour of occurrence, kind, severity, outcome ("open" until closed) and place (issue 19).

    place: "b:<building id>", else "p:<source>" (the hot-spot model's places). Kept by `anju.alarms.rollups`."""

    __tablename__ = "alarm_hourly"
    compound_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)  # UTC hour start of occurred_at
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32), primary_key=True)
    place: Mapped[str] = mapped_column(String(72), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
