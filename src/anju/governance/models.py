"""Governance tables: votes, their frozen agenda, the electorate snapshot, proxies, ballots and tally events.

Ballots and vote events are append-only and hash-chained per vote (the same digest
as core/audit.py; database triggers refuse UPDATE and DELETE, see the migration).
The electorate snapshot and proxies are append-only too: they are what a tally is
recomputed from (R-V15).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin
from anju.governance.enums import Channel, EventKind, MatterType, VoteState
from anju.registry.enums import AreaSource


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class Vote(CompoundScopedMixin, TimestampedMixin, Base):
    """One owners' meeting decision (业主大会表决)."""

    __tablename__ = "vote"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    matter_type: Mapped[MatterType] = mapped_column(_enum(MatterType))
    # R-V10: the house to be turned into business premises; the interested owners are its building's.
    subject_house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"))
    state: Mapped[VoteState] = mapped_column(_enum(VoteState), default=VoteState.draft, index=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    results_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    publication_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    # R-V9: deemed consent of unreturned ballots, only with the 议事规则 clause that allows it.
    deem_unreturned: Mapped[bool] = mapped_column(Boolean, default=False)
    deem_rule_clause: Mapped[str | None] = mapped_column(Text)
    announcement: Mapped[str | None] = mapped_column(Text)  # 公示 text / minutes
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class VoteItem(Base):
    """An agenda item; frozen once the vote is published (R-V11, R-V12)."""

    __tablename__ = "vote_item"
    __table_args__ = (UniqueConstraint("vote_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Elector(Base):
    """One owner in the electorate snapshot: a person (areas summed) or the developer (R-V5, R-V6)."""

    __tablename__ = "vote_elector"
    __table_args__ = (UniqueConstraint("vote_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))  # "person:42" | "developer"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    is_developer: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(String(128))
    area: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    house_count: Mapped[int] = mapped_column(Integer)


class ElectorHouse(Base):
    """An exclusive part in the snapshot, with the area and its source used (R-V7)."""

    __tablename__ = "vote_elector_house"
    __table_args__ = (UniqueConstraint("vote_id", "house_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_elector.id"), index=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"))
    house_label: Mapped[str] = mapped_column(String(32))
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    area_source: Mapped[AreaSource | None] = mapped_column(_enum(AreaSource))


class ElectorPerson(Base):
    """A person who may cast the elector's one ballot: the owner and co-owners (R-V5, R-V8)."""

    __tablename__ = "vote_elector_person"
    __table_args__ = (UniqueConstraint("vote_id", "elector_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_elector.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)


class VoteProxy(Base):
    """A recorded owner's proxy: the only way a tenant or other user votes (R-V8)."""

    __tablename__ = "vote_proxy"
    __table_args__ = (UniqueConstraint("vote_id", "elector_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_elector.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    document: Mapped[str] = mapped_column(String(255))  # 授权委托书 reference
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Ballot(Base):
    """One owner's ballot for one vote; append-only, hash-chained per vote. Its row_hash is the receipt."""

    __tablename__ = "vote_ballot"
    __table_args__ = (UniqueConstraint("vote_id", "elector_id"), UniqueConstraint("vote_id", "seq"))
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_elector.id"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    cast_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    cast_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("vote_proxy.id"))
    paper_ref: Mapped[str | None] = mapped_column(String(64))
    choices: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"1": "yes", "2": "abstain"}
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), index=True)


class VoteEvent(Base):
    """A state change of a vote with its evidence (electorate digest, tally); append-only, hash-chained."""

    __tablename__ = "vote_event"
    __table_args__ = (UniqueConstraint("vote_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class PaperRequest(Base):
    """An owner asked for a paper ballot (R-V16); staff then enter it, marked as paper."""

    __tablename__ = "vote_paper_request"
    __table_args__ = (UniqueConstraint("vote_id", "elector_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), index=True)
    elector_id: Mapped[int] = mapped_column(ForeignKey("vote_elector.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MeetingRequest(Base):
    """An owner's request for an interim owners' meeting (R-V14); one per person per compound."""

    __tablename__ = "meeting_request"
    __table_args__ = (UniqueConstraint("compound_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
