"""The theft hot-spot model fitted once a China day per compound, so a map tile reads a few thousand cells instead of
half a year of incidents (issue 15: a tile stays ≤ 200 ms on years of history).

The leased job `analytics.hotspot_models` fits each compound's model at the day's China midnight t0 over the
incidents of [t0 - HOTSPOT_HISTORY, t0) and stores its sums (`hotspots.Weights`: per cell the recency weight and
the incident count, per place its weight and count) in `hotspot_cell`. A reader at `now` brings it forward exactly:

    sums(now) = sums(t0) - incidents of [t0 - H, now - H) (left the window) + incidents of [t0, now) (the day so far)

with every weight taken at t0 and then multiplied by exp(-decay · (now - t0)); `hotspots.rank` ranks them as
`rank_cells` ranks a fresh fit (the same cells and scores, up to the last bit of float rounding). The two corrections
are at most a day of incidents each, read from the alarm rollup and its raw open hour (`theft_incidents`).

A model is not used (the reader fits afresh, as before) when there is none for today, or when a theft-kind alarm
with an id above the model's `upto_alarm_id` occurred before t0 within the window (a late arrival, e.g. an offline
replay): the next job run fits the day again. The job fits a day only 5 minutes after its midnight, so alarms that
occurred before midnight have been committed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from anju.alarms.service import alarm_hour_counts, latest_theft_alarm_after, newest_alarm_id
from anju.analytics.hotspots import HALF_LIFE_DAYS, THEFT_KINDS, Incident, Weights, add, weigh
from anju.analytics.models import HotspotCell, HotspotModel
from anju.core.kit.china_time import china_datetime, to_china

HOTSPOT_HISTORY = timedelta(days=180)
SETTLE = timedelta(minutes=5)  # a day's model is fitted this long after its midnight
PLACE_ROW = -1  # hour_of_week of the row that holds a place's own weight and count
KEEP_DAYS = 2


def theft_incidents(session: Session, *, compound_ids: list[int], since: datetime, until: datetime) -> list[Incident]:
    """Theft-kind alarms per place and hour (a building when known, else the raising source), from the hourly
    rollup and the raw tail (issue 19); each hour's incidents are dated mid-hour (the model works in hours)."""
    cells: Counter[tuple[str, datetime]] = Counter()
    for c in alarm_hour_counts(session, compound_ids=compound_ids, since=since, until=until, kinds=THEFT_KINDS):
        cells[(c.place, c.hour)] += c.count  # one incident row per place and hour, whatever the kind or outcome
    return [Incident(place, min(hour + timedelta(minutes=30), until), n) for (place, hour), n in sorted(cells.items())]


def _left_window(session: Session, compound_id: int, since: datetime, until: datetime) -> list[Incident]:
    """The incidents of [since, until) dated as the fit at the day's midnight dated them (mid-hour, no cap)."""
    if until <= since:
        return []
    cells: Counter[tuple[str, datetime]] = Counter()
    for c in alarm_hour_counts(session, compound_ids=[compound_id], since=since, until=until, kinds=THEFT_KINDS):
        cells[(c.place, c.hour)] += c.count
    return [Incident(place, hour + timedelta(minutes=30), n) for (place, hour), n in sorted(cells.items())]


def day_start(now: datetime) -> datetime:
    """China midnight of `now`'s China day, UTC-aware."""
    return china_datetime(to_china(now).date())


def model_weights(session: Session, *, compound_id: int, now: datetime) -> tuple[Weights, float]:
    """The compound's model sums and the factor that brings them to `now`: `hotspots.rank(w, scale=f)` ranks the
    cells of the last HOTSPOT_HISTORY as `rank_cells(theft_incidents(…), now=now)` does."""
    t0 = day_start(now)
    model = session.execute(
        select(HotspotModel).where(HotspotModel.compound_id == compound_id, HotspotModel.day == to_china(now).date())
    ).scalar_one_or_none()
    if model is None or _late(session, model, compound_id, t0):
        fresh = theft_incidents(session, compound_ids=[compound_id], since=now - HOTSPOT_HISTORY, until=now)
        return weigh(fresh, at=now), 1.0
    w = Weights(t0)
    for place, hour, weight, exact in session.execute(
        select(HotspotCell.place, HotspotCell.hour_of_week, HotspotCell.weight, HotspotCell.exact).where(
            HotspotCell.model_id == model.id
        )
    ):
        if hour == PLACE_ROW:
            w.place[place] += weight
            w.place_n[place] += exact
        else:
            w.cell[(place, hour)] += weight
            w.exact[(place, hour)] += exact
    add(w, _left_window(session, compound_id, t0 - HOTSPOT_HISTORY, now - HOTSPOT_HISTORY), sign=-1)
    add(w, theft_incidents(session, compound_ids=[compound_id], since=t0, until=now))
    decay = math.log(2) / HALF_LIFE_DAYS
    return w, math.exp(-decay * (now - t0).total_seconds() / 86400)


def _late(session: Session, model: HotspotModel, compound_id: int, t0: datetime) -> bool:
    return latest_theft_alarm_after(
        session,
        compound_id=compound_id,
        after_id=model.upto_alarm_id,
        since=t0 - HOTSPOT_HISTORY,
        until=t0,
        kinds=THEFT_KINDS,
    )


def fit_day(session: Session, *, compound_id: int, day: date) -> HotspotModel:
    """Fit (again) the compound's model at `day`'s China midnight and store its sums (replacing that day's)."""
    t0 = china_datetime(day)
    upto = newest_alarm_id(session)
    w = weigh(
        theft_incidents(session, compound_ids=[compound_id], since=t0 - HOTSPOT_HISTORY, until=t0),
        at=t0,
    )
    session.execute(delete(HotspotModel).where(HotspotModel.compound_id == compound_id, HotspotModel.day == day))
    model = HotspotModel(compound_id=compound_id, day=day, upto_alarm_id=upto)
    session.add(model)
    session.flush()
    rows = [
        {"model_id": model.id, "place": p, "hour_of_week": h, "weight": v, "exact": w.exact.get((p, h), 0)}
        for (p, h), v in w.cell.items()
    ]
    rows += [
        {"model_id": model.id, "place": p, "hour_of_week": PLACE_ROW, "weight": v, "exact": w.place_n[p]}
        for p, v in w.place.items()
    ]
    for i in range(0, len(rows), 1000):
        session.execute(insert(HotspotCell), rows[i : i + 1000])
    return model


def refit(session: Session, *, compound_ids: Sequence[int], now: datetime) -> int:
    """The job's step: fit today's model of each compound that has none (or whose model a late alarm made stale);
    drop models older than KEEP_DAYS. Returns how many were fitted."""
    t0 = day_start(now)
    if now < t0 + SETTLE:
        return 0
    day = to_china(now).date()
    fitted = 0
    have = {
        m.compound_id: m
        for m in session.execute(
            select(HotspotModel).where(HotspotModel.day == day, HotspotModel.compound_id.in_(list(compound_ids)))
        ).scalars()
    }
    for cid in compound_ids:
        m = have.get(cid)
        if m is None or _late(session, m, cid, t0):
            fit_day(session, compound_id=cid, day=day)
            fitted += 1
    old = [
        i for (i,) in session.execute(select(HotspotModel.id).where(HotspotModel.day < day - timedelta(days=KEEP_DAYS)))
    ]
    if old:
        session.execute(delete(HotspotCell).where(HotspotCell.model_id.in_(old)))
        session.execute(delete(HotspotModel).where(HotspotModel.id.in_(old)))
    return fitted
