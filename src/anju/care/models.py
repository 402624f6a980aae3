"""Care tables: the care archive, ordered contacts, separate consents (R-E2), silence episodes, visits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin


class CareProfile(CompoundScopedMixin, TimestampedMixin, Base):
    """One person in the care archive: why (living alone, special hardship, disability) and how to reach them."""

    __tablename__ = "care_profile"
    __table_args__ = (UniqueConstraint("person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"), index=True)
    living_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    special_hardship: Mapped[bool] = mapped_column(Boolean, default=False)  # 特殊困难 (R-E1)
    disability: Mapped[str] = mapped_column(String(16), default="none")  # Disability
    channel: Mapped[str] = mapped_column(String(16), default="sms")  # Channel
    # Sensitive personal data (health): AES-GCM ciphertext only, read under consent (R-E2).
    health_notes_enc: Mapped[str | None] = mapped_column(Text)
    # Silence rule: alarm after this many hours without a door opening or an activity reading.
    silence_hours: Mapped[int] = mapped_column(Integer, default=24)
    # Night window (China time, minutes after midnight): no silence alarm is raised inside it.
    quiet_start_minute: Mapped[int] = mapped_column(Integer, default=22 * 60)
    quiet_end_minute: Mapped[int] = mapped_column(Integer, default=7 * 60)
    # The deadline rule ("not up by 09:30", minutes after midnight China time): nothing since before the morning
    # (04:00) by then raises the alarm too. None: the hours rule only.
    deadline_minute: Mapped[int | None] = mapped_column(Integer)
    # The learned rule's 24 hourly limits (hours, comma-separated), computed once a China day from this home's
    # typed activity of the last 28 days; None: too little history (cold start), the fixed rule applies.
    learned_limits: Mapped[str | None] = mapped_column(String(240))
    learned_on: Mapped[date | None] = mapped_column(Date)
    # The newest typed activity seen (an access passage; device readings are read at check time).
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_activity_source: Mapped[str | None] = mapped_column(String(48))
    visitor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # the grid worker who visits
    # 外出报备: away from home in this period (no silence alarm); its end counts as the start of a new silence.
    away_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CareContact(Base):
    """A guardian or emergency contact of a care profile, in calling order (the phone lives in the registry)."""

    __tablename__ = "care_contact"
    __table_args__ = (UniqueConstraint("profile_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("care_profile.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("emergency_contact.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    guardian: Mapped[bool] = mapped_column(Boolean, default=False)


class CareConsent(CompoundScopedMixin, Base):
    """R-E2: the separate consent for health, fall or location data; withdrawal is a new state, not a delete."""

    __tablename__ = "care_consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("care_profile.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # ConsentScope
    given_by: Mapped[str] = mapped_column(String(16), default="self")  # self | guardian
    variant: Mapped[str] = mapped_column(String(16), default="standard")  # ConsentVariant (R-E3)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CareSilenceEpisode(CompoundScopedMixin, Base):
    """One silence: no activity since `since`. UNIQUE(profile, since): one alarm per episode, whatever retries."""

    __tablename__ = "care_silence_episode"
    __table_args__ = (UniqueConstraint("profile_id", "since"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("care_profile.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    silent_hours: Mapped[int] = mapped_column(Integer)
    # R-E2: raised without the location/fall consent; the person or guardian is told afterwards.
    consent_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The ladder's end: who answered (LadderRung) and the outcome (VisitOutcome), the label fed back to the rules.
    answered_by: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CareLadderStep(CompoundScopedMixin, Base):
    """One rung of a silence episode's escalation ladder: a durable timer, fired or cancelled once (compare-and-set).

    Written when the episode opens (self-check, alarm, contacts in order, neighbour, grid worker, visit order);
    UNIQUE(episode, rung), so two workers never write or fire a rung twice and a restarted worker resumes."""

    __tablename__ = "care_ladder_step"
    __table_args__ = (UniqueConstraint("episode_id", "rung"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("care_silence_episode.id", ondelete="CASCADE"), index=True)
    rung: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # LadderRung
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_contact.id", ondelete="SET NULL"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | fired | cancelled
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fired_by: Mapped[str | None] = mapped_column(String(64))


class CareVisit(CompoundScopedMixin, TimestampedMixin, Base):
    """A planned or done visit (weekly round, monthly contact, or after an alarm) and its outcome."""

    __tablename__ = "care_visit"
    __table_args__ = (UniqueConstraint("plan_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("care_profile.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # VisitKind
    plan_key: Mapped[str] = mapped_column(String(64))  # weekly:<profile>:<iso week> | alarm:<episode> | …
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("care_silence_episode.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the SLA of an alarm visit
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id", ondelete="SET NULL"))  # its work order
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | done
    outcome: Mapped[str | None] = mapped_column(String(16))  # VisitOutcome
    note: Mapped[str | None] = mapped_column(Text)
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    visited_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
