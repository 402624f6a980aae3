"""Volunteer enumerations (stored as strings)."""

from enum import StrEnum


class ActivityKind(StrEnum):
    patrol = "patrol"  # 邻里守望 patrol shift
    event = "event"  # a community event needing hands
    drill = "drill"  # helping at a fire drill or 安全小课堂


class PointsKind(StrEnum):
    earned = "earned"  # hours served
    redeemed = "redeemed"  # exchanged for a reward


class CommitteeRole(StrEnum):
    chair = "chair"  # 主任
    vice_chair = "vice_chair"  # 副主任
    secretary = "secretary"  # 秘书
    member = "member"  # 委员


class EducationAudience(StrEnum):
    """Who a safety-education campaign is for, drawn from the registry (tags, birth dates, occupancy)."""

    everyone = "everyone"
    elderly = "elderly"  # 60 and over, or tagged elderly living alone: anti-fraud (防诈骗)
    children = "children"  # minors and the adults of their households (children and parents)
    tenants = "tenants"  # tenants and floating population (migrant workers)


class BookingStatus(StrEnum):
    """A resident's seat at a safety-education event."""

    booked = "booked"
    cancelled = "cancelled"
