"""Notice and survey API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from anju.core.schemas import aware_time
from anju.core.text import storable
from anju.notices.enums import (
    Audience,
    NoticeKind,
    OutageKind,
    QuestionKind,
    RespondentUnit,
    TargetKind,
)


def _all_storable(value: Any) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(_all_storable(k) and _all_storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_all_storable(v) for v in value)
    return True


class StorableBody(BaseModel):
    """A request body whose text can be stored and shown: NUL and unpaired surrogates ("\\ud800") are a 422."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if not _all_storable(value):
            raise ValueError("text contains a NUL character or an unpaired surrogate")
        return value


class NoticeCreate(StorableBody):
    compound_id: int
    kind: NoticeKind = NoticeKind.general
    title: str = Field(min_length=1, max_length=128)
    body: str = Field(min_length=1, max_length=5000)
    target_kind: TargetKind = TargetKind.compound
    target_id: int | None = None
    audience: Audience = Audience.all
    outage_kind: OutageKind | None = None
    outage_buildings: list[int] | None = Field(default=None, max_length=200)
    window_start: datetime | None = None
    window_end: datetime | None = None

    _times = field_validator("window_start", "window_end")(aware_time)


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    compound_id: int
    kind: str
    title: str
    body: str
    target_kind: str
    target_id: int | None
    audience: str
    outage_kind: str | None
    outage_buildings: list[int] | None
    window_start: datetime | None
    window_end: datetime | None
    recipients: int
    published_at: datetime


class NoticeWithReceipts(NoticeRead):
    read: int


class InboxItem(BaseModel):
    notice: NoticeRead
    read_at: datetime | None


class Inbox(BaseModel):
    unread: int
    items: list[InboxItem]


class MutesBody(StorableBody):
    kinds: list[str] = Field(max_length=8)


class QuestionIn(StorableBody):
    kind: QuestionKind
    text: str = Field(min_length=1, max_length=255)
    options: list[str] = Field(default_factory=list, max_length=20)


class SurveyCreate(StorableBody):
    compound_id: int
    title: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    anonymous: bool = False
    respondent_unit: RespondentUnit = RespondentUnit.household
    closes_at: datetime | None = None
    questions: list[QuestionIn] = Field(min_length=1, max_length=50)

    _times = field_validator("closes_at")(aware_time)


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    compound_id: int
    title: str
    description: str
    anonymous: bool
    respondent_unit: str
    status: str
    closes_at: datetime | None


class SurveyAnswerBody(StorableBody):
    house_id: int | None = None
    answers: dict[str, Any] = Field(max_length=50)  # question id -> option index | rating | text


class SurveyResults(BaseModel):
    survey: SurveyRead
    responses: int
    questions: list[dict[str, Any]]
    by_building: list[dict[str, Any]]
    min_group: int | None = Field(
        default=None, description="anonymous surveys: no group of fewer answers is shown (k-anonymity)"
    )
    merged_buildings: int = Field(default=0, description="buildings with too few answers, shown as one group")
    breakdown_suppressed: bool = Field(default=False, description="too few answers for any breakdown by building")
