"""Temporary parking fee (fen): free minutes, a rate per started hour (a night rate for hours that start at
night), a cap per 24 hours from entry, a new-energy discount and merchant coupons.

Rules, in integers:
- merchant coupon minutes come off the stay first (a shop gives 2 hours: a 2 h 20 min stay is charged as 20 min);
- a stay of at most `free_minutes` (以内: the boundary is free) costs nothing;
- otherwise every started hour costs `per_hour_fen`, or `night_per_hour_fen` when that hour starts inside the
  night window (China time, e.g. 22:00-07:00), counted from entry (the free minutes are not deducted);
- each full 24 hours from entry costs at most `day_cap_fen`, and the part after the last full 24 hours is
  charged by started hours, again capped at `day_cap_fen`. A stay across midnight is one block, not two days:
  the cap runs on 24-hour blocks from entry, never on calendar days;
- a new-energy (green plate) car pays `100 - new_energy_percent_off` per cent of that, rounded half up to fen
  (the one rounding rule, core.kit.money.fen_of);
- a merchant coupon in fen comes off last; the fee is never below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from anju.core.kit.china_time import to_china
from anju.core.kit.money import fen_of

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Tariff:
    free_minutes: int
    per_hour_fen: int
    day_cap_fen: int
    night_per_hour_fen: int | None = None  # None: the day rate all night
    night_from_minute: int = 22 * 60  # China time, minutes after midnight
    night_until_minute: int = 7 * 60
    new_energy_percent_off: int = 0


@dataclass(frozen=True)
class Reduction:
    """What a merchant coupon takes off a stay."""

    minutes: int = 0
    fen: int = 0


def stay_minutes(entered_at: datetime, exited_at: datetime) -> int:
    """Minutes parked, any started minute counted (59 s is 1 minute, 60 s is 1 minute, 61 s is 2)."""
    seconds = max(int((exited_at - entered_at).total_seconds()), 0)
    return -(-seconds // 60)


def is_night(tariff: Tariff, at: datetime) -> bool:
    """Whether `at` (any zone) falls in the tariff's night window, read on the China clock."""
    local = to_china(at)
    m = local.hour * 60 + local.minute
    lo, hi = tariff.night_from_minute, tariff.night_until_minute
    if lo == hi:
        return False
    return lo <= m < hi if lo < hi else (m >= lo or m < hi)


def _hour_rate(tariff: Tariff, start: datetime) -> int:
    if tariff.night_per_hour_fen is not None and is_night(tariff, start):
        return tariff.night_per_hour_fen
    return tariff.per_hour_fen


def fee_fen(
    tariff: Tariff,
    *,
    entered_at: datetime,
    exited_at: datetime,
    new_energy: bool = False,
    coupon: Reduction | None = None,
) -> int:
    """The fee for one stay, in fen."""
    coupon = coupon or Reduction()
    minutes = max(stay_minutes(entered_at, exited_at) - coupon.minutes, 0)
    if minutes <= tariff.free_minutes:
        return 0
    hours = -(-minutes // 60)
    total = 0
    for block in range(0, hours, 24):
        block_fee = sum(
            _hour_rate(tariff, entered_at + timedelta(hours=h)) for h in range(block, min(block + 24, hours))
        )
        total += min(block_fee, tariff.day_cap_fen)
    if new_energy and tariff.new_energy_percent_off:
        total = fen_of(Decimal(100 - tariff.new_energy_percent_off) / 100, Decimal(total))
    return max(total - coupon.fen, 0)
