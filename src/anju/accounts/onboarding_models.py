"""Onboarding: one-time account links (invite, reset), phone codes, and residents' house claims."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class AccountLink(Base):
    """A one-time link that lets a user set their password (an invitation or a reset); only its SHA-256 is stored."""

    __tablename__ = "account_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "invite" | "reset"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PhoneCode(Base):
    """A one-time sign-in code sent by SMS; the phone is kept as its blind index, the code as a keyed digest."""

    __tablename__ = "phone_code"
    __table_args__ = (Index("ix_phone_code_phone_created", "phone_bidx", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    phone_bidx: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class HouseClaim(CompoundScopedMixin, Base):
    """A self-registered resident's claim to live in a house, until staff (or the owner) verify it."""

    __tablename__ = "house_claim"
    __table_args__ = (Index("ix_house_claim_compound_status", "compound_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # an OccupancyRole value
    lease_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | verified | rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_as: Mapped[str | None] = mapped_column(String(16))  # "staff" | "owner"
    reason: Mapped[str | None] = mapped_column(String(255))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
