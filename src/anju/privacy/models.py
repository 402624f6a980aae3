"""Record of processing, data-subject requests and consents (PIPL)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin


class ProcessingRecord(TimestampedMixin, Base):
    """One declared personal-data field: purpose, legal basis, sensitivity, retention (R-P1)."""

    __tablename__ = "processing_record"
    __table_args__ = (UniqueConstraint("field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(64))  # "person.phone"
    category: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(255))
    legal_basis: Mapped[str] = mapped_column(String(128))
    sensitivity: Mapped[str] = mapped_column(String(16))  # normal | sensitive
    retention: Mapped[str] = mapped_column(String(128))
    retention_days: Mapped[int | None] = mapped_column(Integer)
    needs_separate_consent: Mapped[bool] = mapped_column(default=False)


class PrivacyRequest(CompoundScopedMixin, TimestampedMixin, Base):
    """A data-subject request tracked against its deadline (R-P2)."""

    __tablename__ = "privacy_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(16))  # access|correct|delete|withdraw|close|explain
    detail: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open|done|refused
    due_on: Mapped[date] = mapped_column(Date, index=True)
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolution: Mapped[str | None] = mapped_column(Text)  # a refusal records its reason


class Consent(CompoundScopedMixin, Base):
    """A separate consent for one purpose; withdrawal is a new state, not a delete."""

    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))  # "face", "publish_name", "health"
    notice_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    given_by: Mapped[str] = mapped_column(String(16), default="self")  # self | guardian
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MinorAccessApproval(CompoundScopedMixin, Base):
    """A staff member's request to see one minor's unmasked data, and a second person's decision (R-P6).

    The requester never approves their own request. An approval is good for one
    requester, one person and a limited time; every reveal under it is still
    written to the PII access log.
    """

    __tablename__ = "minor_access_approval"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="requested", index=True)  # requested|approved|rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
