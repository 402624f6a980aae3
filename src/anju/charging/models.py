"""Charging tables: a compound's tariff, sessions, residents' charging cards, and the intake cursor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class ChargingTariff(CompoundScopedMixin, Base):
    """What a compound charges (fen per hour), the cap of an "until full" session, and whether the takings
    are the owners' common income (R-M3: the piles stand on common ground)."""

    __tablename__ = "charging_tariff"
    __table_args__ = (UniqueConstraint("compound_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fen_per_hour: Mapped[int] = mapped_column(Integer)
    full_max_minutes: Mapped[int] = mapped_column(Integer, default=480)
    to_common_income: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_ref: Mapped[str] = mapped_column(String(128), default="")  # the price filing or owners' resolution
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ChargingSession(CompoundScopedMixin, Base):
    """One charge on one socket (a device of type ebike_charger).

    `live_device_id` is the socket's id while the session is live and NULL after: its unique key is the
    arbiter between two residents scanning the same socket at once. Money: `prepaid_fen` was debited from
    the wallet at the start; at the end `charged_fen` is kept for the minutes used and the rest credited back.
    """

    __tablename__ = "charging_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    live_device_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    via: Mapped[str] = mapped_column(String(8))  # StartVia
    mode: Mapped[str] = mapped_column(String(12))  # StartMode
    planned_minutes: Mapped[int] = mapped_column(Integer)
    fen_per_hour: Mapped[int] = mapped_column(Integer)  # the tariff when it started
    status: Mapped[str] = mapped_column(String(12), index=True)  # SessionStatus
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # moves on by any power cut
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the pile reported it is charging
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    resumes: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(16))  # EndReason
    energy_wh: Mapped[int | None] = mapped_column(Integer)
    prepaid_fen: Mapped[int] = mapped_column(Integer)
    charged_fen: Mapped[int] = mapped_column(Integer, default=0)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    # PayMethod: "wallet" (prepaid balance) or "single" (this session paid on its own, refunded on its own)
    pay_method: Mapped[str] = mapped_column(String(8), default="wallet", server_default="wallet")
    pay_ref: Mapped[str | None] = mapped_column(String(40), unique=True)  # the provider's transaction (single)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChargingCard(CompoundScopedMixin, Base):
    """A charging card a resident registered: swiping it at a pile starts a session paid from their wallet."""

    __tablename__ = "charging_card"
    __table_args__ = (UniqueConstraint("compound_id", "card_uid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    card_uid: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChargingCursor(Base):
    """How far the charging job has read the piles' messages (one row; the leased job advances it)."""

    __tablename__ = "charging_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_message_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
