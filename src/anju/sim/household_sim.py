"""A deterministic simulator of elderly people living alone: the activity a home's sources would report.

No real dataset of such homes can be downloaded here, so the silence rule is measured on this. Each household
has its own routine (wake and bed times, meals, trips out, a motion sensor or only the door's access log), with
day-to-day noise, occasional long trips out, visits away for days (some registered, most not), and, for a share
of households, an emergency at a random time (a fall: no activity from then on). Times are UTC datetimes; the
routine is set in China time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from anju.core.kit.china_time import CHINA_TZ


@dataclass
class Household:
    id: int
    has_motion_sensor: bool
    events: list[datetime] = field(default_factory=list)  # typed activity: door passages and sensor readings
    away: list[tuple[datetime, datetime]] = field(default_factory=list)  # days away from home
    # passages out through the gate (the access log knows the direction): the person is out, not silent at home
    outs: set[datetime] = field(default_factory=set)
    emergency_at: datetime | None = None  # no activity after this moment


def _at(day: date, minutes: float) -> datetime:
    base = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)
    return (base + timedelta(minutes=minutes)).astimezone(CHINA_TZ)


def simulate(
    households: int = 500, days: int = 60, *, seed: int = 16, emergency_share: float = 0.2, start: date | None = None
) -> list[Household]:
    """`households` homes over `days` days; the same seed gives the same homes and events."""
    r = random.Random(seed)
    first = start or date(2026, 9, 1)
    out: list[Household] = []
    for hid in range(households):
        h = Household(id=hid, has_motion_sensor=r.random() < 0.6)
        wake, bed = r.gauss(6.5 * 60, 40), r.gauss(21.5 * 60, 45)
        outings = r.uniform(0.3, 1.5)  # trips out per day
        emergency_day = r.randrange(5, days) if r.random() < emergency_share else None
        away_until = -1
        for d in range(days):
            day = first + timedelta(days=d)
            if d <= away_until:
                continue
            if r.random() < 0.01:  # a visit to family for 2-5 days: a door passage out, nothing until back
                stay = r.randint(2, 5)
                leave = _at(day, r.gauss(9 * 60, 60))
                back = _at(day + timedelta(days=stay), r.gauss(16 * 60, 90))
                h.events += [leave, back]
                h.outs.add(leave)
                h.away.append((leave, back))
                away_until = d + stay
                continue
            up, down = wake + r.gauss(0, 25), bed + r.gauss(0, 30)
            # trips out: a passage out and one back; nothing at home in between
            trips: list[tuple[float, float]] = []
            for _ in range(int(outings) + (1 if r.random() < outings % 1 else 0)):
                go = r.uniform(up + 60, down - 120)
                length = r.expovariate(1 / 90) if r.random() > 0.05 else r.uniform(6 * 60, 10 * 60)  # rare long day
                trips.append((go, min(go + 20 + length, down - 10)))
                h.events += [_at(day, go), _at(day, go + 20 + length)]
                h.outs.add(_at(day, go))
            if h.has_motion_sensor:  # readings while awake and at home, a reading every 10-60 minutes
                t: float = up
                while t < down:
                    if not any(a <= t <= b for a, b in trips):
                        h.events.append(_at(day, t))
                    t += r.uniform(10, 60)
                if r.random() < 0.3:  # a night trip to the bathroom
                    h.events.append(_at(day, 24 * 60 + r.uniform(60, 240)))
        if emergency_day is not None:
            h.emergency_at = _at(first + timedelta(days=emergency_day), r.uniform(0, 24 * 60))
            h.events = [e for e in h.events if e < h.emergency_at]
            h.outs = {e for e in h.outs if e < h.emergency_at}
        h.events.sort()
        out.append(h)
    return out


def first_day(households: list[Household]) -> datetime:
    return min(e for h in households for e in h.events[:1])
