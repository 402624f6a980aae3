"""Temporary-parking tariff boundaries (fen): free minutes inclusive, started hours, a cap per 24 hours from entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anju.parking.tariff import Reduction, Tariff, fee_fen, stay_minutes

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


# Night rate 22:00-07:00 China time at 200 fen an hour; day 500; cap 3000 per 24 h; green plates 20 % off.
N = Tariff(
    free_minutes=30,
    per_hour_fen=500,
    day_cap_fen=3000,
    night_per_hour_fen=200,
    night_from_minute=22 * 60,
    night_until_minute=7 * 60,
    new_energy_percent_off=20,
)
EVENING = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)  # 21:00 China time


@pytest.mark.parametrize(
    ("entered", "stay", "fen"),
    [
        # 21:00-23:00: the hour starting 21:00 is a day hour, the one starting 22:00 a night hour.
        (EVENING, timedelta(hours=2), 500 + 200),
        # 21:59 -> two started hours: 21:59 (day), 22:59 (night).
        (EVENING + timedelta(minutes=59), timedelta(minutes=61), 500 + 200),
        # 06:00-08:00 China: 06:00 night, 07:00 day (night_until is exclusive).
        (datetime(2026, 12, 6, 22, 0, tzinfo=UTC), timedelta(hours=2), 200 + 500),
        # 21:00 -> 09:00 next day, across midnight: 1 day hour + 9 night hours + 2 day hours = 500+1800+1000,
        # capped at 3000 for the one 24-hour block (not two calendar days).
        (EVENING, timedelta(hours=12), 3000),
        # Exactly the free minutes at night is still free.
        (EVENING + timedelta(hours=2), timedelta(minutes=30), 0),
    ],
)
def test_night_hours_are_charged_at_the_night_rate(entered, stay, fen):
    assert fee_fen(N, entered_at=entered, exited_at=entered + stay) == fen


def test_night_rate_day_cap_across_midnight_runs_on_24_hour_blocks():
    # 21:00 -> 21:30 the next day: a full block (capped 3000) plus one started hour at 21:00 (day rate).
    assert fee_fen(N, entered_at=EVENING, exited_at=EVENING + timedelta(hours=24, minutes=30)) == 3000 + 500
    # Night hours only (22:00 -> 07:00, 9 h x 200 = 1800) stay below the cap.
    night = EVENING + timedelta(hours=1)
    assert fee_fen(N, entered_at=night, exited_at=night + timedelta(hours=9)) == 1800


def test_a_green_plate_pays_the_discounted_fee_rounded_half_up():
    t = Tariff(free_minutes=0, per_hour_fen=333, day_cap_fen=10_000, new_energy_percent_off=15)
    # 333 x 85 % = 283.05 -> 283; 666 x 85 % = 566.1 -> 566; 999 x 85 % = 849.15 -> 849
    for hours, fen in ((1, 283), (2, 566), (3, 849)):
        assert fee_fen(t, entered_at=IN, exited_at=IN + timedelta(hours=hours), new_energy=True) == fen
        assert fee_fen(t, entered_at=IN, exited_at=IN + timedelta(hours=hours)) == 333 * hours
    half = Tariff(free_minutes=0, per_hour_fen=101, day_cap_fen=10_000, new_energy_percent_off=50)
    assert fee_fen(half, entered_at=IN, exited_at=IN + timedelta(hours=1), new_energy=True) == 51  # 50.5 -> 51


def test_a_merchant_coupon_takes_minutes_off_first_and_fen_off_last_never_below_zero():
    # 2 h 30 min with a 2-hour coupon: 30 min chargeable = within the free minutes.
    assert fee_fen(T, entered_at=IN, exited_at=IN + timedelta(hours=2, minutes=30), coupon=Reduction(minutes=120)) == 0
    # 2 h 31 min with the same coupon: 31 min chargeable -> one started hour.
    assert (
        fee_fen(T, entered_at=IN, exited_at=IN + timedelta(hours=2, minutes=31), coupon=Reduction(minutes=120)) == 500
    )
    assert fee_fen(T, entered_at=IN, exited_at=IN + timedelta(hours=3), coupon=Reduction(fen=800)) == 700
    assert fee_fen(T, entered_at=IN, exited_at=IN + timedelta(hours=1), coupon=Reduction(fen=800)) == 0
