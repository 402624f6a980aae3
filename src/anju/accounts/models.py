"""Users, their compound grants, sessions, login attempts and device credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import TimestampedMixin
from anju.core.rbac import Role


class User(TimestampedMixin, Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # Residents and committee members are people of one compound.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    # A temporary password (set by an admin or at creation) must be replaced at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Self-registered residents sign in with their phone and a one-time code (stored encrypted).
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_bidx: Mapped[str | None] = mapped_column(String(32), unique=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))


class UserCompound(Base):
    """A staff user's grant to one compound."""

    __tablename__ = "user_compound"
    __table_args__ = (UniqueConstraint("user_id", "compound_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)


class AuthSession(Base):
    """A web session or an API bearer token; only the token's SHA-256 is stored."""

    __tablename__ = "auth_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "web" | "api"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),  # the per-client-address throttle
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    success: Mapped[bool] = mapped_column()


class AttemptCounter(Base):
    """One row per throttled key ("pin:door:7", "login:user:li"): a lock to serialise attempts on
    the key, and a failure count in a fixed window that restarts when it has passed.

    Counting and checking happen on this row inside the caller's transaction (an upsert that
    locks it), so parallel attempts are evaluated one after another, never all against the
    same old count.
    """

    __tablename__ = "attempt_counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    alarmed: Mapped[bool] = mapped_column(default=False)  # an alarm was requested in this window


class DeviceCredential(TimestampedMixin, Base):
    """A device's own credential (key id + secret); devices never log in as users."""

    __tablename__ = "device_credential"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(64))
    device_kind: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
