"""Temporary-parking tariff boundaries (fen): free minutes inclusive, started hours, a cap per 24 hours from entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anju.parking.tariff import Tariff, fee_fen, stay_minutes

# Pure computation (no database): runs once, in the SQLite pass (scripts/test.sh).
pytestmark = pytest.mark.db_agnostic

T = Tariff(free_minutes=30, per_hour_fen=500, day_cap_fen=3000)
IN = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)  # 23:30 China time: stays below cross midnight


@pytest.mark.parametrize(
    ("stay", "fen"),
    [
        (timedelta(minutes=30), 0),  # 以内: exactly the free minutes is free
        (timedelta(minutes=30, seconds=1), 500),  # a started minute counts
        (timedelta(minutes=60), 500),
        (timedelta(minutes=61), 1000),
        (timedelta(hours=5, minutes=59), 3000),  # 6 started hours = 3000: the cap
        (timedelta(hours=7), 3000),  # over the cap: capped
        (timedelta(hours=24), 3000),  # one full block
        (timedelta(hours=24, minutes=1), 3500),  # the next block starts: one started hour
        (timedelta(hours=50), 6000 + 1000),
    ],
)
def test_fee_boundaries(stay, fen):
    assert fee_fen(T, entered_at=IN, exited_at=IN + stay) == fen


def test_a_stay_across_midnight_is_one_block_not_two_days():
    # 23:30 -> 01:30 China time: two started hours, not two day caps.
    assert fee_fen(T, entered_at=IN, exited_at=IN + timedelta(hours=2)) == 1000


def test_clock_skew_never_gives_a_negative_stay():
    assert stay_minutes(IN, IN - timedelta(minutes=5)) == 0
    assert fee_fen(T, entered_at=IN, exited_at=IN - timedelta(minutes=5)) == 0
