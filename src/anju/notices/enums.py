"""Notice and survey vocabularies (stored as short strings)."""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    general = "general"  # 通知公告
    outage = "outage"  # 计划停水/停电/停暖/停气
    emergency = "emergency"  # 紧急广播: always delivered, mutes ignored
    arrears = "arrears"  # a private fee reminder to one household
    disclosure = "disclosure"  # 公示 (fees, common income, arrears aggregates)


# Kinds delivered whatever the resident's preferences say.
ALWAYS_DELIVERED = frozenset({NoticeKind.emergency, NoticeKind.arrears})
# Kinds a resident may mute; "all" mutes every kind that is not always delivered.
MUTABLE = ("all", NoticeKind.general.value, NoticeKind.outage.value, NoticeKind.disclosure.value)


class TargetKind(StrEnum):
    compound = "compound"
    building = "building"
    unit = "unit"
    house = "house"


class Audience(StrEnum):
    """Which occupancy roles of the targeted houses receive it."""

    all = "all"
    owners = "owners"  # owners and co-owners
    tenants = "tenants"


class OutageKind(StrEnum):
    water = "water"
    power = "power"
    heat = "heat"
    gas = "gas"
    lift = "lift"
    other = "other"


class QuestionKind(StrEnum):
    single = "single"  # one of the options
    multiple = "multiple"  # any of the options (at least one)
    rating = "rating"  # 1..5
    text = "text"


class RespondentUnit(StrEnum):
    household = "household"  # one answer per house
    person = "person"  # one answer per resident


class SurveyStatus(StrEnum):
    open = "open"
    closed = "closed"
