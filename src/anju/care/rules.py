"""Silence rules beyond the fixed one (issue 16): learned per household and time of day, and the morning deadline.

Both are pure functions of the activity times (UTC datetimes of typed activity: door passages, sensor readings,
water and power deltas; never a keep-alive) so a fake clock tests them and the bench replays them.

- **Learned**: for each hour of the day (China time), the silences that began after an activity in that hour over
  the last 28 days; the limit is a high percentile of them times a margin, kept between a floor and the fixed
  limit. A person whose next sign of life usually comes within an hour in the afternoon is looked for after a
  few hours, not after a day; after the last activity of the evening the limit covers the night by itself.
  With fewer than MIN_DAYS days of history the fixed limit applies.
- **Deadline** ("not up by 09:30"): when nothing at all happened between the morning's start and the deadline,
  the alarm is raised at the deadline. It finds a fall in the night by the morning.

The rule in force is the earliest of the fixed limit, the learned limit and the deadline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from anju.core.kit.china_time import to_china

LEARN_DAYS = 28
MIN_DAYS = 7  # history needed before the learned limits replace the fixed one
PERCENTILE = 0.97
MARGIN = 1.3
FLOOR_HOURS = 2.0
MIN_SAMPLES = 6  # silences a slot needs; fewer: the slot borrows the whole day's percentile


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation (0 <= q <= 1) of a non-empty sequence."""
    xs = sorted(values)
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def slot_of(at: datetime) -> int:
    return to_china(at).hour


def learned_limits(
    events: Sequence[datetime],
    *,
    until: datetime,
    fixed_hours: float = 24.0,
    days: int = LEARN_DAYS,
    q: float = PERCENTILE,
    margin: float = MARGIN,
    floor_hours: float = FLOOR_HOURS,
) -> list[float] | None:
    """24 limits in hours (one per China-time hour in which the last activity fell), learned from the activity in
    the `days` before `until`; None when the history is shorter than MIN_DAYS days."""
    start = until - timedelta(days=days)
    window = sorted(e for e in events if start <= e < until)
    if not window or until - window[0] < timedelta(days=MIN_DAYS):
        return None
    gaps: list[list[float]] = [[] for _ in range(24)]
    for a, b in pairwise(window):
        gaps[slot_of(a)].append((b - a).total_seconds() / 3600)
    every = [g for slot in gaps for g in slot]
    if not every:
        return None
    overall = percentile(every, q)
    limits = []
    for slot in gaps:
        base = percentile(slot, q) if len(slot) >= MIN_SAMPLES else overall
        limits.append(min(max(base * margin, floor_hours), fixed_hours))
    return limits


def learned_alarm_at(last: datetime, limits: Sequence[float]) -> datetime:
    return last + timedelta(hours=limits[slot_of(last)])


def deadline_alarm_at(last: datetime, *, deadline_minute: int, morning_start_minute: int = 4 * 60) -> datetime:
    """The first deadline (China time) after `last` whose morning ([morning start, deadline)) had no activity:
    `last` came before that morning began."""
    local = to_china(last)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for d in range(3):
        base = day + timedelta(days=d)
        deadline = base + timedelta(minutes=deadline_minute)
        morning = base + timedelta(minutes=morning_start_minute)
        if local < morning and deadline > local:
            return deadline.astimezone(last.tzinfo)
    raise AssertionError("unreachable: a later morning always exists")


def alarm_at(
    last: datetime,
    *,
    fixed_hours: float,
    limits: Sequence[float] | None = None,
    deadline_minute: int | None = None,
) -> datetime:
    """When a silence that began at `last` raises its alarm: the earliest of the rules in force."""
    times = [last + timedelta(hours=fixed_hours)]
    if limits is not None:
        times.append(learned_alarm_at(last, limits))
    if deadline_minute is not None:
        times.append(deadline_alarm_at(last, deadline_minute=deadline_minute))
    return min(times)
