"""Notification tables: the in-app inbox, external deliveries (their log) and webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.ids import BigId


class Notification(Base):
    """An in-app inbox message for a user (staff or resident account).

    On PostgreSQL the table is RANGE-partitioned by month of `created_at` (issue 19, `anju.core.partitions`; primary
    key (id, created_at) there, created by the migration); whole months past `ANJU_NOTIFY_INBOX_RETENTION_DAYS` are
    dropped, on SQLite the rows are deleted. Nothing refers to a notification's id but its own pages.
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # a global id (core.ids)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32))  # alarm | alarm_escalation | alarm_linkage
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    alarm_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One message over an external channel (sms, voice, webhook): the delivery log.

    The recipient is a reference ("person:12", "contact:7", "webhook:3"), never a phone
    number: the sender decrypts the phone at send time and audits that read.
    """

    __tablename__ = "notify_delivery"
    __table_args__ = (Index("ix_notify_delivery_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(12))  # sms | voice | webhook
    recipient_ref: Mapped[str] = mapped_column(String(64))
    recipient_masked: Mapped[str | None] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(64))  # "alarm linkage", "alarm escalation"
    alarm_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # title/body or the webhook JSON
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued|sending|sent|retrying|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEndpoint(Base):
    """A compound's webhook receiver; payloads are signed with HMAC-SHA256 under its secret."""

    __tablename__ = "notify_webhook"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret_enc: Mapped[str] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every alarm kind
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
