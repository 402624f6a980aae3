"""The learned and deadline silence rules (issue 16) on explicit clocks: a routine learned per household and hour,
the morning deadline, and the earliest rule winning. Pure computation: no database."""

from __future__ import annotations

from datetime import datetime

import pytest

from anju.care import rules
from anju.core.kit.china_time import CHINA_TZ

pytestmark = pytest.mark.db_agnostic


def cn(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ)


def routine(days: int, *, first_day: int = 1) -> list[datetime]:
    """Up at 07:00, a sign of life every hour until 21:00, then nothing until the morning."""
    return [cn(first_day + d, h) for d in range(days) for h in range(7, 22)]


class TestLearned:
    def test_too_little_history_keeps_the_fixed_rule(self):
        events = routine(5)
        assert rules.learned_limits(events, until=cn(6, 0)) is None
        assert rules.alarm_at(cn(5, 12), fixed_hours=24, limits=None) == cn(6, 12)

    def test_an_afternoon_silence_is_looked_into_within_hours_but_the_night_is_left_alone(self):
        events = routine(28)
        limits = rules.learned_limits(events, until=cn(29, 0))
        assert limits is not None and len(limits) == 24
        # after a 14:00 activity the next one always came within an hour: the floor (2 h) applies
        assert limits[14] == pytest.approx(rules.FLOOR_HOURS)
        fire = rules.learned_alarm_at(cn(29, 14), limits)
        assert cn(29, 16) <= fire <= cn(29, 17)
        # after the last activity of the evening (21:00) the next came at 07:00: the limit covers the night
        assert limits[21] >= 10 * rules.MARGIN - 1e-9
        assert rules.learned_alarm_at(cn(29, 21), limits) > cn(30, 7)

    def test_a_limit_never_exceeds_the_fixed_one(self):
        sparse = [cn(1 + 3 * d, 9) for d in range(9)]  # one passage every three days
        limits = rules.learned_limits(sparse, until=cn(28, 0), fixed_hours=24)
        assert limits is not None and max(limits) == 24

    def test_only_the_last_28_days_count(self):
        old = [cn(1, h) for h in (0, 3, 6, 9, 12, 15, 18)]  # a different routine, 29 days before
        recent = routine(10, first_day=20)
        assert rules.learned_limits(old + recent, until=cn(30, 0)) == rules.learned_limits(recent, until=cn(30, 0))


class TestDeadline:
    def test_nothing_since_last_night_alarms_at_the_deadline(self):
        assert rules.deadline_alarm_at(cn(10, 21), deadline_minute=9 * 60 + 30) == cn(11, 9, 30)
        assert rules.deadline_alarm_at(cn(11, 2), deadline_minute=9 * 60 + 30) == cn(11, 9, 30)  # up at night

    def test_up_this_morning_waits_for_tomorrows_deadline(self):
        assert rules.deadline_alarm_at(cn(11, 6, 10), deadline_minute=9 * 60 + 30) == cn(12, 9, 30)
        assert rules.deadline_alarm_at(cn(11, 10), deadline_minute=9 * 60 + 30) == cn(12, 9, 30)

    def test_the_earliest_rule_wins(self):
        last = cn(10, 21)
        assert rules.alarm_at(last, fixed_hours=24, deadline_minute=9 * 60 + 30) == cn(11, 9, 30)
        assert rules.alarm_at(last, fixed_hours=6, deadline_minute=9 * 60 + 30) == cn(11, 3)


def test_percentile_interpolates():
    assert rules.percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert rules.percentile([0, 10], 0.97) == pytest.approx(9.7)
