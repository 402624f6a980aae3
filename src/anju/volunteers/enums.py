"""Volunteer enumerations (stored as strings)."""

from enum import StrEnum


class ActivityKind(StrEnum):
    patrol = "patrol"  # 邻里守望 patrol shift
    event = "event"  # a community event needing hands
    drill = "drill"  # helping at a fire drill or 安全小课堂


class PointsKind(StrEnum):
    earned = "earned"  # hours served
    redeemed = "redeemed"  # exchanged for a reward
