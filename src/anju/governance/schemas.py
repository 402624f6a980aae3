"""Governance API schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from anju.core.schemas import InSchema, Schema
from anju.governance.enums import Channel, Choice, MatterType, VoteState

# Vote times stay well inside the calendar, so the 15-day notice (R-V11) and the 3-day 公示 (R-V13)
# can be added or subtracted without overflow, and every database stores them.
EARLIEST_VOTE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_VOTE_TIME = datetime(2200, 1, 1, tzinfo=UTC)


def vote_time(v: datetime) -> datetime:
    """A vote's opening or closing time: with a time zone, between 2000 and 2199 (issue 20, item 13)."""
    if v.tzinfo is None or v.utcoffset() is None:
        raise ValueError("give a time zone (e.g. +08:00) / 请带时区")
    try:
        at = v.astimezone(UTC)
    except (OverflowError, ValueError):
        at = None
    if at is None or not (EARLIEST_VOTE_TIME <= at < LATEST_VOTE_TIME):
        raise ValueError("a vote time must fall between the years 2000 and 2199 / 投票时间须在2000年至2199年之间")
    return v


class AgendaItemIn(InSchema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)


class VoteCreate(InSchema):
    compound_id: int
    title: str = Field(min_length=2, max_length=200)
    description: str = Field("", max_length=10000)
    matter_type: MatterType
    subject_house_id: int | None = None
    opens_at: datetime
    closes_at: datetime
    items: list[AgendaItemIn] = Field(min_length=1, max_length=30)

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return vote_time(v)


class AgendaUpdate(InSchema):
    items: list[AgendaItemIn] = Field(min_length=1, max_length=30)


class DeemRuleIn(InSchema):
    enabled: bool
    clause: str | None = Field(None, max_length=5000)


class BallotIn(InSchema):
    house_id: int
    choices: dict[str, Choice]


class PaperRequestIn(InSchema):
    house_id: int


class PaperBallotIn(BallotIn):
    paper_ref: str = Field(min_length=1, max_length=64)


class ProxyIn(InSchema):
    house_id: int
    person_id: int
    document: str = Field(min_length=2, max_length=255)


class AnnounceIn(InSchema):
    text: str = Field(min_length=2, max_length=20000)


class MeetingRequestIn(InSchema):
    reason: str = Field(min_length=2, max_length=500)


class AgendaItemRead(Schema):
    position: int
    title: str
    description: str


class VoteRead(Schema):
    id: int
    compound_id: int
    title: str
    description: str
    matter_type: MatterType
    threshold: str
    subject_house_id: int | None
    state: VoteState
    opens_at: datetime
    closes_at: datetime
    published_at: datetime | None
    closed_at: datetime | None
    announced_at: datetime | None
    results_due_at: datetime | None
    publication_overdue: bool
    deem_unreturned: bool
    deem_rule_clause: str | None
    announcement: str | None
    items: list[AgendaItemRead]


class ParticipationRead(Schema):
    vote_id: int
    state: VoteState
    total_owners: int
    total_area: Decimal
    owners: int
    area: Decimal
    owners_share: str  # exact fraction "p/q"
    area_share: str
    quorum_reached: bool


class ReceiptRead(Schema):
    vote_id: int
    receipt: str
    seq: int
    channel: Channel
    cast_at: datetime
    house_labels: list[str] = Field(default_factory=list)


class ReceiptCheck(Schema):
    receipt: str
    found: bool
    chain_intact: bool
    counted: bool  # included in the recorded tally (False while voting is still open)
    seq: int | None = None
    cast_at: datetime | None = None
    channel: Channel | None = None
    choices: dict[str, Any] | None = None  # only shown to the person who cast it


class ResultsRead(Schema):
    vote_id: int
    state: VoteState
    tallied_at: datetime | None
    announced_at: datetime | None
    ballots: int
    items: list[dict[str, Any]]


class VerifyRead(Schema):
    vote_id: int
    ok: bool
    ballots: int
    events: int
    tampered_ballots: list[int]
    tampered_events: list[int]
    electorate_intact: bool
    tally_matches: bool | None
    problems: list[str]
    recount: list[dict[str, Any]]


class ProxyRead(Schema):
    id: int
    elector_id: int
    person_id: int
    document: str
    recorded_at: datetime


class MeetingDuty(Schema):
    compound_id: int
    owners: int
    requesting: int
    duty_to_convene: bool
