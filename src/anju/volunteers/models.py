"""Volunteer tables: volunteers, activities (patrol shifts, events), sign-ups with attendance, points, rewards;
the residents' safety committee (members, meetings, decisions); safety-education campaigns with read and quiz."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class Volunteer(CompoundScopedMixin, Base):
    """A resident registered as a volunteer in one compound; `points` is the balance of their ledger."""

    __tablename__ = "volunteer"
    __table_args__ = (
        UniqueConstraint("compound_id", "user_id"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # 急救, 消防, 电工, 外语 …
    availability: Mapped[str] = mapped_column(String(128), default="")  # "周末上午", "工作日晚上"
    points: Mapped[int] = mapped_column(Integer, default=0)
    minutes_served: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolunteerActivity(CompoundScopedMixin, Base):
    """A patrol shift (邻里守望) or an event: when, where, how many, and points per hour served."""

    __tablename__ = "volunteer_activity"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # ActivityKind
    title: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(64), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    signed_up: Mapped[int] = mapped_column(Integer, default=0)  # moved by compare-and-set: never past capacity
    points_per_hour: Mapped[int] = mapped_column(Integer, default=10)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolunteerSignup(CompoundScopedMixin, Base):
    """A volunteer on an activity, with their own check-in and check-out (the hours served)."""

    __tablename__ = "volunteer_signup"
    __table_args__ = (UniqueConstraint("activity_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("volunteer_activity.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolunteerReward(CompoundScopedMixin, Base):
    """Something points can be exchanged for (a 物业费 voucher, a gift), with its stock."""

    __tablename__ = "volunteer_reward"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    cost_points: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PointsEntry(CompoundScopedMixin, Base):
    """One line of a volunteer's points ledger: earned for a sign-up, or redeemed for a reward (what for)."""

    __tablename__ = "volunteer_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # PointsKind
    amount: Mapped[int] = mapped_column(Integer)  # + earned, - redeemed
    reason: Mapped[str] = mapped_column(String(128))
    source_key: Mapped[str] = mapped_column(String(48), unique=True)  # "signup:12", "redeem:<token>"
    reward_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_reward.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- the residents' safety committee (issue 18 item 5) ---------------------------------------------------------
class CommitteeMember(CompoundScopedMixin, Base):
    """A member of the compound's residents' safety committee (居民安全委员会) with a role; `left_on` ends it."""

    __tablename__ = "safety_committee_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(12))  # CommitteeRole
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommitteeMeeting(CompoundScopedMixin, Base):
    """A meeting of the safety committee: when, where, who attended, and the minutes."""

    __tablename__ = "safety_committee_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(64))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    place: Mapped[str] = mapped_column(String(64), default="")
    attendee_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # CommitteeMember ids
    minutes: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommitteeDecision(CompoundScopedMixin, Base):
    """A decision taken at a meeting; `notice_id` once it was published to residents as a notice (once)."""

    __tablename__ = "safety_committee_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("safety_committee_meeting.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    notice_id: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- safety education (issue 18 item 6) ------------------------------------------------------------------------
class EducationCampaign(CompoundScopedMixin, Base):
    """A safety-education campaign for one audience; its quiz is a list of {q, options, answer}.

    `audience_size` is how many residents the audience had when it was published (the coverage denominator).
    """

    __tablename__ = "education_campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(12))  # EducationAudience
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    title: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str] = mapped_column(String(255), default="")
    video_url: Mapped[str] = mapped_column(String(255), default="")
    quiz: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    audience_size: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class EducationTarget(CompoundScopedMixin, Base):
    """A resident the campaign was meant for, with their read and their quiz score (answered once)."""

    __tablename__ = "education_target"
    __table_args__ = (UniqueConstraint("campaign_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("education_campaign.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quiz_score: Mapped[int | None] = mapped_column(Integer)
    quiz_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EducationEvent(CompoundScopedMixin, Base):
    """A safety-education event (安全小课堂, a drill open to residents) for one audience, optionally one building.

    `booked` counts the live bookings and moves only by compare-and-set, never past `capacity`.
    """

    __tablename__ = "education_event"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(12))  # EducationAudience
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    title: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    booking_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EducationBooking(CompoundScopedMixin, Base):
    """A resident's seat at an event: booked or cancelled (the row stays, a new booking reuses it), the check-in
    code they show at the door (unique within the event), and when staff checked them in."""

    __tablename__ = "education_booking"
    __table_args__ = (UniqueConstraint("event_id", "person_id"), UniqueConstraint("event_id", "code"))
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("education_event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(12))  # BookingStatus
    code: Mapped[str] = mapped_column(String(8))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
