"""notices: announcements with per-person delivery rows (read receipts), mutes, and surveys.

Anonymous surveys keep two unrelated tables: `survey_participation` (who has answered, to allow
one answer each) and `survey_response` (what was answered). A response has a random key, no
person, no house and no time, so no column joins it back to a participation row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class Notice(CompoundScopedMixin, Base):
    __tablename__ = "notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # NoticeKind
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    target_kind: Mapped[str] = mapped_column(String(12))  # TargetKind
    target_id: Mapped[int | None] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(12), default="all")  # Audience
    outage_kind: Mapped[str | None] = mapped_column(String(12))  # OutageKind
    outage_buildings: Mapped[list[int] | None] = mapped_column(JSON)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class NoticeDelivery(CompoundScopedMixin, Base):
    """The notice in one resident's inbox; `read_at` is the read receipt."""

    __tablename__ = "notice_delivery"
    __table_args__ = (
        UniqueConstraint("notice_id", "person_id"),
        Index("ix_notice_delivery_person_read", "person_id", "read_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NoticeMute(CompoundScopedMixin, Base):
    """A resident's preference not to receive a kind of notice ("all" or a NoticeKind)."""

    __tablename__ = "notice_mute"
    __table_args__ = (UniqueConstraint("person_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))


class Survey(CompoundScopedMixin, Base):
    __tablename__ = "survey"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    respondent_unit: Mapped[str] = mapped_column(String(12), default="household")  # RespondentUnit
    status: Mapped[str] = mapped_column(String(8), default="open")  # SurveyStatus
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SurveyQuestion(Base):
    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # QuestionKind
    text: Mapped[str] = mapped_column(String(255))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)


class SurveyParticipation(CompoundScopedMixin, Base):
    """Who has answered: one row per household or person (the unique key), never what they said."""

    __tablename__ = "survey_participation"
    __table_args__ = (UniqueConstraint("survey_id", "respondent_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    respondent_key: Mapped[str] = mapped_column(String(32))  # "house:12" or "person:5"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SurveyResponse(Base):
    """What was answered. Anonymous: random key, building only (for results by building), no time."""

    __tablename__ = "survey_response"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random hex, not a sequence
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # None when anonymous
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"))  # None when anonymous
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # {question_id: choice index | rating | text}


class AnnualEvaluation(CompoundScopedMixin, Base):
    """A compound's yearly satisfaction evaluation (issue 18 item 7): its standard survey, and the third-party
    assessor the aggregates were handed to. One per compound and year (the unique key)."""

    __tablename__ = "annual_evaluation"
    __table_args__ = (UniqueConstraint("compound_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    assessor: Mapped[str | None] = mapped_column(String(64))  # the third-party evaluation body
    assessor_ref: Mapped[str | None] = mapped_column(String(128))  # its contract or report number
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
