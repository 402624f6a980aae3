"""Cross-cutting column sets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from anju.core.db import UTCDateTime, utcnow


class TimestampedMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CompoundScopedMixin:
    """Every row belongs to one compound; scoping filters on this column (R11)."""

    @declared_attr
    def compound_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("compound.id", ondelete="RESTRICT"), index=True)
