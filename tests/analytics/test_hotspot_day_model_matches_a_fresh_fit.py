"""The 大屏's fast paths give the figures the slow ones gave (issue 15, tiles ≤ 200 ms on years of history):

- the theft hot-spot model fitted at China midnight and brought forward to now (incidents that left the half-year
  window taken out, the day so far added, every weight decayed) ranks exactly the cells a fresh fit ranks, for the
  layer and the street office's pooled map; a late alarm before midnight makes readers fit afresh until the job
  fits the day again;
- the district view's counts (alarms from the hourly rollup, orders counted in SQL, people in grouped queries)
  equal the counts of the rows.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from anju.alarms.enums import AlarmSeverity, AlarmStatus
from anju.alarms.models import Alarm
from anju.alarms.rollups import NAME as ALARMS_ROLLUP
from anju.alarms.service import alarm_counts, alarm_facts
from anju.analytics.hotspot_cache import HOTSPOT_HISTORY, fit_day, model_weights, refit, theft_incidents
from anju.analytics.hotspots import rank, rank_cells
from anju.analytics.models import HotspotModel
from anju.analytics.picture import FIRE_KINDS
from anju.analytics.queries import overview, people_counts
from anju.analytics.street import street_hotspots
from anju.core.kit.china_time import CHINA_TZ
from anju.core.rollup import RollupState, registered_rollups, replace_span
from anju.registry.models import Building
from anju.workorders.service import order_facts, order_tally
from tests.conftest import principal_of


def cst(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CHINA_TZ)


NOW = cst(2025, 3, 10, 15, 40)  # the model of 2025-03-10 is fitted at its midnight
T0 = cst(2025, 3, 10, 0, 0)


def theft(session, compound_id: int, at: datetime, *, building_id: int | None, kind: str = "theft", source="user:1"):
    key = f"test:{uuid.uuid4().hex}"
    session.add(
        Alarm(
            compound_id=compound_id,
            kind=kind,
            severity=AlarmSeverity.major,
            source=source,
            dedupe_key=key,
            title="t",
            status=AlarmStatus.resolved,
            building_id=building_id,
            occurred_at=at,
            created_at=at,
            last_seen_at=at,
            closed_at=at + timedelta(minutes=10),
        )
    )


@pytest.fixture
def history(session, ids):
    """Two compounds' theft-kind alarms over 200 days before NOW, at three buildings of A and one of B, some by
    night; plus the edges: alarms in the hour the window's start falls in (one before it, one after), a place
    whose only incidents leave the window today, and alarms after midnight (the day so far)."""
    a, b = ids["A"], ids["B"]
    ba = list(session.execute(select(Building.id).where(Building.compound_id == a).limit(3)).scalars())
    bb = session.execute(select(Building.id).where(Building.compound_id == b).limit(1)).scalar_one()
    rng = random.Random(15)
    for _ in range(160):
        at = NOW - timedelta(minutes=rng.randrange(200 * 24 * 60))
        if rng.random() < 0.5:
            at = at.replace(hour=rng.choice((0, 1, 2, 23)))  # a night hot spot
        if at >= NOW:
            continue
        theft(session, a, at, building_id=rng.choice(ba), kind=rng.choice(("theft", "intrusion", "door_forced")))
    for _ in range(40):
        theft(session, b, NOW - timedelta(minutes=rng.randrange(200 * 24 * 60)), building_id=bb, kind="burglary")
    edge = NOW - HOTSPOT_HISTORY
    theft(session, a, edge - timedelta(minutes=20), building_id=ba[0])  # in the model, out of the window now
    theft(session, a, edge + timedelta(minutes=10), building_id=ba[0])  # in both
    theft(session, a, edge - timedelta(hours=5), building_id=None, source="device:gone")  # its place drops out
    for minutes in (30, 200, 600, 935):  # the day so far, the last in the open hour
        theft(session, a, T0 + timedelta(minutes=minutes), building_id=ba[1])
    theft(session, a, NOW + timedelta(hours=2), building_id=ba[1])  # the future is not evidence
    session.flush()
    return a, b


def fresh(session, compound_id: int, now: datetime = NOW):
    return rank_cells(
        theft_incidents(session, compound_ids=[compound_id], since=now - HOTSPOT_HISTORY, until=now), now=now
    )


def test_the_day_model_brought_forward_ranks_as_a_fresh_fit(session, history):
    a, _ = history
    fit_day(session, compound_id=a, day=T0.date())
    weights, scale = model_weights(session, compound_id=a, now=NOW)
    assert scale < 1.0  # the stored model was read (a fresh fit has scale 1)
    expected = fresh(session, a)
    assert rank(weights, scale=scale) == expected
    assert len(expected) > 168 and not any(c.place == "p:device:gone" for c in expected)
    incidents = theft_incidents(session, compound_ids=[a], since=NOW - HOTSPOT_HISTORY, until=NOW)
    assert sum(weights.place_n.values()) == sum(i.count for i in incidents)
    later = NOW + timedelta(hours=7)  # still the same China day, past the open hour and the future alarm
    weights, scale = model_weights(session, compound_id=a, now=later)
    assert rank(weights, scale=scale) == fresh(session, a, later)


def test_the_model_reads_the_alarm_rollup_and_its_raw_tail_alike(session, history):
    a, _ = history
    replace_span(session, registered_rollups()[ALARMS_ROLLUP], T0 - timedelta(days=200), T0 + timedelta(hours=9), None)
    state = session.get(RollupState, ALARMS_ROLLUP) or RollupState(name=ALARMS_ROLLUP)
    state.rolled_until = T0 + timedelta(hours=9)
    session.add(state)
    session.flush()
    fit_day(session, compound_id=a, day=T0.date())
    weights, scale = model_weights(session, compound_id=a, now=NOW)
    assert scale < 1.0
    assert rank(weights, scale=scale) == fresh(session, a)


def test_a_late_alarm_before_midnight_makes_readers_fit_afresh_until_the_job_refits(session, history):
    a, b = history
    assert refit(session, compound_ids=[a, b], now=T0 + timedelta(minutes=3)) == 0  # the day has not settled
    assert refit(session, compound_ids=[a, b], now=NOW) == 2
    assert refit(session, compound_ids=[a, b], now=NOW) == 0  # fitted once a day
    ba = session.execute(select(Building.id).where(Building.compound_id == a).limit(1)).scalar_one()
    theft(session, a, T0 - timedelta(days=2, hours=3), building_id=ba)  # an offline replay, after the fit
    session.flush()
    weights, scale = model_weights(session, compound_id=a, now=NOW)
    assert scale == 1.0  # not the stale model
    assert rank(weights, scale=scale) == fresh(session, a)
    assert refit(session, compound_ids=[a, b], now=NOW) == 1  # only A's model is fitted again
    weights, scale = model_weights(session, compound_id=a, now=NOW)
    assert scale < 1.0 and rank(weights, scale=scale) == fresh(session, a)
    days = session.execute(select(HotspotModel.day).where(HotspotModel.compound_id == a)).scalars().all()
    assert days == [T0.date()]


def test_the_street_map_is_the_same_from_the_day_models(session, history):
    gov = principal_of(session, "gov_street")
    before = street_hotspots(session, who=gov, now=NOW)  # no model yet: fresh fits
    refit(session, compound_ids=sorted(gov.compound_ids), now=NOW)
    assert session.execute(select(HotspotModel.id)).first() is not None
    assert street_hotspots(session, who=gov, now=NOW) == before


def test_district_counts_summed_in_sql_equal_the_rows(session, history, ids):
    a, b = history
    replace_span(session, registered_rollups()[ALARMS_ROLLUP], T0 - timedelta(days=40), T0, None)
    state = session.get(RollupState, ALARMS_ROLLUP) or RollupState(name=ALARMS_ROLLUP)
    state.rolled_until = T0
    session.add(state)
    session.flush()
    since = NOW - timedelta(days=30, minutes=17)  # not on an hour: the first hour's part comes from the rows
    facts = alarm_facts(session, compound_ids=[a, b], since=since)
    assert alarm_counts(session, compound_ids=[a, b], since=since) == {
        a: sum(1 for f in facts if f.compound_id == a),
        b: sum(1 for f in facts if f.compound_id == b),
    }
    fire = alarm_counts(session, compound_ids=[a], since=since, kinds=FIRE_KINDS)[a]
    assert fire == sum(1 for f in facts if f.compound_id == a and f.kind in FIRE_KINDS)
    orders = order_facts(session, compound_ids=[a, b], since=NOW - timedelta(days=3650))
    tally = order_tally(session, compound_ids=[a, b], since=NOW - timedelta(days=3650))
    for cid in (a, b):
        mine = [o for o in orders if o.compound_id == cid]
        complaints = [o for o in mine if o.kind == "complaint"]
        t = tally[cid]
        assert (t.orders, t.closed, t.complaints, t.complaints_closed) == (
            len(mine),
            sum(1 for o in mine if not o.open),
            len(complaints),
            sum(1 for o in complaints if not o.open),
        )
    assert tally[a].orders > 0
    manager = principal_of(session, "manager_wang")
    today = NOW.date()
    people = people_counts(session, compound_ids=[a], today=today)[a]
    full = overview(session, who=manager, compound_id=a, today=today)
    assert people == {
        "residents": full["residents"],
        "floating": full["population_type"].get("floating", 0),
        "elderly": full["age_bands"]["60-79"] + full["age_bands"]["80+"],
        "elderly_alone": full["tags"].get("elderly_alone", 0),
    }
    assert people["residents"] > 0
