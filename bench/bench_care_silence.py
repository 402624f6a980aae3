"""Silence rule on the household simulator (issue 16): detection delay and false alarms per household per day.

    .venv/bin/python bench/bench_care_silence.py [households] [days]

The fixed rule (N hours without typed activity, alarm held to the end of the 22:00-07:00 night window) is
replayed with the service's own decision (`first_alarm_at`) over every gap between activity events. An alarm
before an emergency, or in a home where there is none, is false; a visit away for days is a false alarm unless
it was registered (away registration is not built yet, so every one counts here). Baseline: the same rule
without the night window, measured in the same run.

Then the learned and deadline rules (anju.care.rules) against the fixed rule, on homes simulated with 28 more
days of history, all rules scored on the same last `days` days (see `replay_rules`).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise

from anju.care import rules
from anju.care.service import first_alarm_at
from anju.core.kit.china_time import to_china
from anju.sim.household_sim import Household, simulate

QUIET = (22 * 60, 7 * 60)
DEADLINE = 9 * 60 + 30  # "not up by 09:30"


def replay(homes: list[Household], days: int, hours: int, quiet: tuple[int, int]) -> dict[str, float]:
    false_alarms, delays = 0, []
    for h in homes:
        start = h.events[0] if h.events else None
        if start is None:
            continue
        end = start + timedelta(days=days)
        points = [*h.events, end]
        for last, nxt in pairwise(points):
            fire = first_alarm_at(last, hours=hours, quiet_start_minute=quiet[0], quiet_end_minute=quiet[1])
            if fire >= nxt or fire >= end:
                continue  # activity came back first
            if h.emergency_at is not None and last <= h.emergency_at <= fire and nxt == end:
                delays.append((fire - h.emergency_at).total_seconds() / 3600)
            else:
                false_alarms += 1
    household_days = len(homes) * days
    return {
        "false_per_household_day": false_alarms / household_days,
        "median_delay_h": statistics.median(delays) if delays else float("nan"),
        "detected": len(delays),
        "emergencies": sum(1 for h in homes if h.emergency_at is not None),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    t0 = time.perf_counter()
    homes = simulate(n, days)
    sim_s = time.perf_counter() - t0
    print(f"households={n} days={days} events={sum(len(h.events) for h in homes)} simulate={sim_s:.2f}s")
    for hours in (12, 24):
        t0 = time.perf_counter()
        night = replay(homes, days, hours, QUIET)
        base = replay(homes, days, hours, (0, 0))
        took = time.perf_counter() - t0
        print(
            f"fixed {hours:>2} h + night window: false/household/day={night['false_per_household_day']:.4f} "
            f"median delay={night['median_delay_h']:.2f} h detected={night['detected']}/{night['emergencies']}"
        )
        ratio = (
            night["false_per_household_day"] / base["false_per_household_day"] if base["false_per_household_day"] else 0
        )
        print(
            f"fixed {hours:>2} h, no window (baseline): false/household/day={base['false_per_household_day']:.4f} "
            f"median delay={base['median_delay_h']:.2f} h  -> false-alarm ratio window/baseline={ratio:.2f} "
            f"({took:.2f}s)"
        )
    for label, group in (
        ("motion sensor", [h for h in homes if h.has_motion_sensor]),
        ("door log only", [h for h in homes if not h.has_motion_sensor]),
    ):
        res = replay(group, days, 24, QUIET)
        print(
            f"24 h + night window, {label} ({len(group)} homes): false/household/day="
            f"{res['false_per_household_day']:.4f} median delay={res['median_delay_h']:.2f} h"
        )


def replay_rules(n: int, days: int, warm: int = 28) -> None:
    """The learned and deadline rules (anju.care.rules) against the fixed rule on the same homes and days: the
    homes are simulated for `warm` extra days first (the learned rule's 28 days of history), and only the last
    `days` days are scored, for every rule alike. A passage out through the gate means the person is out: the
    learned rule then waits the fixed 24 h for their return instead of its at-home limit; the deadline rule
    needs an in-home sensor (motion), so it applies only to those homes."""
    homes = simulate(n, warm + days)
    first = min(h.events[0] for h in homes if h.events)
    start = to_china(first).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=warm)
    end = start + timedelta(days=days)
    cache: dict[tuple[int, object], list[float] | None] = {}

    def limits(h: Household, last: datetime) -> list[float] | None:
        key = (h.id, to_china(last).date())
        if key not in cache:
            midnight = to_china(last).replace(hour=0, minute=0, second=0, microsecond=0)
            cache[key] = rules.learned_limits(h.events, until=midnight)
        return cache[key]

    def fixed(h: Household, last: datetime) -> datetime:
        return first_alarm_at(last, hours=24, quiet_start_minute=QUIET[0], quiet_end_minute=QUIET[1])

    def learned(h: Household, last: datetime, deadline: bool = True) -> datetime:
        if last in h.outs:
            return last + timedelta(hours=24)
        dl = DEADLINE if deadline and h.has_motion_sensor else None
        return rules.alarm_at(last, fixed_hours=24, limits=limits(h, last), deadline_minute=dl)

    groups = (
        ("all homes", homes),
        ("motion sensor", [h for h in homes if h.has_motion_sensor]),
        ("door log only", [h for h in homes if not h.has_motion_sensor]),
    )
    print(f"rules scored on days {warm + 1}-{warm + days} of {warm + days} (the first {warm} are the history)")
    for label, group in groups:
        t0 = time.perf_counter()
        base = score(group, start, end, fixed)
        only = score(group, start, end, lambda h, last: learned(h, last, deadline=False))
        both = score(group, start, end, learned)
        took = time.perf_counter() - t0
        for name, res in (
            ("fixed 24 h + night (baseline)", base),
            ("learned", only),
            ("learned + deadline 09:30", both),
        ):
            ratio = (
                res["false_per_household_day"] / base["false_per_household_day"]
                if base["false_per_household_day"]
                else 0
            )
            print(
                f"  {label:14s} {name:30s} false/household/day={res['false_per_household_day']:.4f} "
                f"(x{ratio:.2f} baseline) median delay={res['median_delay_h']:.2f} h "
                f"detected={res['detected']}/{res['emergencies']}"
            )
        print(f"  ({took:.2f}s)")


def score(
    homes: list[Household], start: datetime, end: datetime, fire_at: Callable[[Household, datetime], datetime]
) -> dict[str, float]:
    """Every silence that starts before `end` and lasts into [start, end) is replayed under `fire_at`; homes
    whose emergency came before `start` are left out (they have nothing to score)."""
    false_alarms, delays, scored, emergencies = 0, [], 0, 0
    for h in homes:
        if h.emergency_at is not None and h.emergency_at < start:
            continue
        scored += 1
        emergencies += h.emergency_at is not None
        for last, nxt in pairwise([*h.events, end]):
            if nxt <= start:
                continue
            fire = fire_at(h, last)
            if fire >= nxt or fire >= end or fire < start:
                continue
            if h.emergency_at is not None and last <= h.emergency_at <= fire and nxt == end:
                delays.append((fire - h.emergency_at).total_seconds() / 3600)
            else:
                false_alarms += 1
    household_days = max(scored, 1) * (end - start).total_seconds() / 86400
    return {
        "false_per_household_day": false_alarms / household_days,
        "median_delay_h": statistics.median(delays) if delays else float("nan"),
        "detected": len(delays),
        "emergencies": emergencies,
    }


if __name__ == "__main__":
    main()
    replay_rules(int(sys.argv[1]) if len(sys.argv) > 1 else 500, int(sys.argv[2]) if len(sys.argv) > 2 else 60)
