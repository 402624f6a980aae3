"""Tables of the analytics domain: the stored periodic security reports (安全管理工作总结)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class SecurityReport(CompoundScopedMixin, Base):
    """One report per compound and period; its figures are fixed when generated, the rectification plan is not."""

    __tablename__ = "security_report"
    __table_args__ = (UniqueConstraint("compound_id", "period_kind", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(8))  # week | month | quarter
    period_start: Mapped[date] = mapped_column(Date)  # China date, first day
    period_end: Mapped[date] = mapped_column(Date)  # China date, first day after the period
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    generated_by: Mapped[str] = mapped_column(String(8), default="job")  # job | user
    rectification: Mapped[str | None] = mapped_column(Text)  # the plan staff write (整改计划)
    rectification_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    rectification_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
