"""Temporary parking fee (fen): free minutes, a rate per started hour, a cap per 24 hours from entry.

Rules, in integers:
- a stay of at most `free_minutes` (以内: the boundary is free) costs nothing;
- otherwise every started hour costs `per_hour_fen`, counted from entry (the free minutes are not deducted);
- each full 24 hours from entry costs at most `day_cap_fen`, and the part after the last full 24 hours is
  charged by started hours, again capped at `day_cap_fen`. A stay across midnight is one block, not two days:
  the cap runs on 24-hour blocks from entry, never on calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Tariff:
    free_minutes: int
    per_hour_fen: int
    day_cap_fen: int


def stay_minutes(entered_at: datetime, exited_at: datetime) -> int:
    """Minutes parked, any started minute counted (59 s is 1 minute, 60 s is 1 minute, 61 s is 2)."""
    seconds = max(int((exited_at - entered_at).total_seconds()), 0)
    return -(-seconds // 60)


def fee_fen(tariff: Tariff, *, entered_at: datetime, exited_at: datetime) -> int:
    """The fee for one stay, in fen."""
    minutes = stay_minutes(entered_at, exited_at)
    if minutes <= tariff.free_minutes:
        return 0
    full_days, rest = divmod(minutes, DAY_MINUTES)
    rest_fee = min(-(-rest // 60) * tariff.per_hour_fen, tariff.day_cap_fen)
    return full_days * tariff.day_cap_fen + rest_fee
