"""Silence rule on the household simulator (issue 16): detection delay and false alarms per household per day.

    .venv/bin/python bench/bench_care_silence.py [households] [days]

The fixed rule (N hours without typed activity, alarm held to the end of the 22:00-07:00 night window) is
replayed with the service's own decision (`first_alarm_at`) over every gap between activity events. An alarm
before an emergency, or in a home where there is none, is false; a visit away for days is a false alarm unless
it was registered (away registration is not built yet, so every one counts here). Baseline: the same rule
without the night window, measured in the same run.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from itertools import pairwise

from anju.care.service import first_alarm_at
from anju.sim.household_sim import Household, simulate

QUIET = (22 * 60, 7 * 60)


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


if __name__ == "__main__":
    main()
