"""Theft hot-spot prediction: which place × hour-of-week cells to watch next week (places and times, never people).

The model is deliberately simple and explainable: every past incident votes for its own cell and, with half weight,
for the same place one hour earlier and later (thieves do not keep to the minute); the vote fades with age by a
half-life (recent patterns matter more: a near-repeat effect, cf. Mohler et al. 2015, without the self-exciting
fit); a small place prior (the place's share of all incidents, spread over the week) breaks ties between cells
with no incident of their own. A cell's score is the expected number of weighted incidents; the top k are shown.

`backtest` replays history week by week: fit on everything before a held-out week, rank, and count how many of
that week's incidents fell in the top k cells (hit rate) and how concentrated they were (PAI, Chainey 2008:
hit rate ÷ share of cells flagged). Two baselines are measured in the same run: uniform (any k cells: hit rate
k/N, PAI 1 by definition) and naive "last 4 weeks' counts".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from anju.core.kit.china_time import to_china

HOURS_OF_WEEK = 168
HALF_LIFE_DAYS = 28.0
NEIGHBOUR_WEIGHT = 0.5
PRIOR_WEIGHT = 0.05

# Alarm kinds the theft layer counts (raised by intrusion detectors, door contacts and guards' reports).
THEFT_KINDS = frozenset({"theft", "intrusion", "perimeter_intrusion", "door_forced", "burglary"})


@dataclass(frozen=True)
class Incident:
    place: str  # "b:12" (building 12) or "p:<source>" when no building is known
    at: datetime  # aware
    count: int = 1  # several incidents at the same place and time (an hourly rollup's cell)


@dataclass(frozen=True)
class Cell:
    place: str
    hour_of_week: int  # 0 = Monday 00:00-01:00 China time
    score: float
    recent: int  # incidents in this exact cell over the fitted history (the "why" shown to users)


def hour_of_week(at: datetime) -> int:
    """0..167, Monday 00:00 China time = 0."""
    local = to_china(at)
    return local.weekday() * 24 + local.hour


@dataclass
class Weights:
    """The model's sums before ranking: per cell the recency weight (neighbour votes included, no prior) and the
    incident count, per place its weight and count, all at the reference instant `at`. Sums of disjoint incident
    sets add up, and moving the reference by d days multiplies every weight by exp(-decay·d): the cached model
    (analytics.hotspot_cache) rests on both."""

    at: datetime
    cell: dict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))
    exact: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    place: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    place_n: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def weigh(
    incidents: Iterable[Incident], *, at: datetime, half_life_days: float = HALF_LIFE_DAYS, sign: int = 1
) -> Weights:
    """The sums of `incidents` at `at` (incidents after `at` are skipped, as in rank_cells); `sign` -1 subtracts."""
    w = Weights(at)
    add(w, incidents, half_life_days=half_life_days, sign=sign, skip_future=True)
    return w


def add(
    w: Weights,
    incidents: Iterable[Incident],
    *,
    half_life_days: float = HALF_LIFE_DAYS,
    sign: int = 1,
    skip_future: bool = False,
) -> None:
    decay = math.log(2) / half_life_days
    for inc in incidents:
        age = (w.at - inc.at).total_seconds() / 86400
        if age < 0 and skip_future:
            continue  # the future is not evidence
        v = sign * inc.count * math.exp(-decay * age)
        h = hour_of_week(inc.at)
        w.cell[(inc.place, h)] += v
        w.cell[(inc.place, (h - 1) % HOURS_OF_WEEK)] += NEIGHBOUR_WEIGHT * v
        w.cell[(inc.place, (h + 1) % HOURS_OF_WEEK)] += NEIGHBOUR_WEIGHT * v
        w.exact[(inc.place, h)] += sign * inc.count
        w.place[inc.place] += v
        w.place_n[inc.place] += sign * inc.count


def rank(w: Weights, *, scale: float = 1.0) -> list[Cell]:
    """Every cell with a positive score, best first (ties by place, then hour, so the order is stable); `scale`
    multiplies every weight (a model weighed at an earlier reference, brought forward)."""
    score: dict[tuple[str, int], float] = defaultdict(float)
    for key, v in w.cell.items():
        if w.place_n.get(key[0], 0) > 0:  # a place whose incidents all left the window is gone
            score[key] += v * scale
    live = {p: v * scale for p, v in w.place.items() if w.place_n.get(p, 0) > 0}
    if live:
        for place, v in live.items():
            prior = PRIOR_WEIGHT * v / HOURS_OF_WEEK
            for h in range(HOURS_OF_WEEK):
                score[(place, h)] += prior
    cells = [Cell(p, h, round(s, 4), w.exact.get((p, h), 0)) for (p, h), s in score.items() if s > 0]
    cells.sort(key=lambda c: (-c.score, c.place, c.hour_of_week))
    return cells


def rank_cells(
    incidents: Iterable[Incident],
    *,
    now: datetime,
    half_life_days: float = HALF_LIFE_DAYS,
) -> list[Cell]:
    """Every cell with a positive score, best first (ties by place, then hour, so the order is stable)."""
    return rank(weigh(incidents, at=now, half_life_days=half_life_days))


def last_weeks_counts(incidents: Iterable[Incident], *, now: datetime, weeks: int = 4) -> list[Cell]:
    """The naive baseline: raw counts per cell over the last `weeks` weeks, best first."""
    since = now - timedelta(weeks=weeks)
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for inc in incidents:
        if since <= inc.at < now:
            counts[(inc.place, hour_of_week(inc.at))] += 1
    cells = [Cell(p, h, float(n), n) for (p, h), n in counts.items()]
    cells.sort(key=lambda c: (-c.score, c.place, c.hour_of_week))
    return cells


@dataclass(frozen=True)
class Backtest:
    weeks: int
    test_incidents: int
    cells_total: int
    k: int
    hit_rate: float | None  # model
    pai: float | None
    naive_hit_rate: float | None
    naive_pai: float | None
    uniform_hit_rate: float  # k / N, the expected hit rate of any k cells picked without looking


def backtest(
    incidents: Sequence[Incident],
    *,
    places: Sequence[str],
    test_weeks: Sequence[datetime],
    k: int,
    half_life_days: float = HALF_LIFE_DAYS,
) -> Backtest:
    """Fit before each held-out week (a week starting at each `test_weeks` instant), flag k cells, score hits."""
    n_cells = max(1, len(set(places)) * HOURS_OF_WEEK)
    hits = naive_hits = tested = 0
    for start in test_weeks:
        end = start + timedelta(weeks=1)
        past = [i for i in incidents if i.at < start]
        held = [i for i in incidents if start <= i.at < end]
        if not held:
            continue
        top = {(c.place, c.hour_of_week) for c in rank_cells(past, now=start, half_life_days=half_life_days)[:k]}
        naive = {(c.place, c.hour_of_week) for c in last_weeks_counts(past, now=start)[:k]}
        for i in held:
            cell = (i.place, hour_of_week(i.at))
            hits += cell in top
            naive_hits += cell in naive
        tested += len(held)
    share = k / n_cells
    rate = hits / tested if tested else None
    naive_rate = naive_hits / tested if tested else None
    return Backtest(
        weeks=len(test_weeks),
        test_incidents=tested,
        cells_total=n_cells,
        k=k,
        hit_rate=rate,
        pai=rate / share if rate is not None else None,
        naive_hit_rate=naive_rate,
        naive_pai=naive_rate / share if naive_rate is not None else None,
        uniform_hit_rate=share,
    )
