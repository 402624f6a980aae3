"""The demo's seeded theft history: deterministic, inside its six months, shaped by place and hour-of-week so the
hot-spot model has something to find (the new hot spot of the last eight weeks ranks at the top)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from anju.analytics.hotspots import Incident, hour_of_week, rank_cells
from anju.sim.analytics_demo import HISTORY_WEEKS, theft_history

pytestmark = pytest.mark.db_agnostic

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # a Sunday, noon in China
BUILDINGS = [101, 102, 103, 104, 105, 106]


def test_the_history_is_seeded_and_inside_its_weeks():
    a = theft_history(BUILDINGS, now=NOW, seed=7)
    assert a == theft_history(BUILDINGS, now=NOW, seed=7)
    assert a != theft_history(BUILDINGS, now=NOW, seed=8)
    assert all(NOW - timedelta(weeks=HISTORY_WEEKS + 1) <= at < NOW for _, _, at in a)
    assert 50 <= len(a) <= 160  # a few incidents a week in a 5,000-resident compound


def test_the_new_hot_spot_is_only_in_the_last_eight_weeks_and_ranks_first():
    a = theft_history(BUILDINGS, now=NOW, seed=7)
    newest = [at for kind, b, at in a if b == BUILDINGS[4]]
    assert newest and min(newest) >= NOW - timedelta(weeks=9)
    cells = rank_cells([Incident(f"b:{b}" if b else "p:perimeter", at) for _, b, at in a], now=NOW)
    top = cells[0]
    assert top.place == f"b:{BUILDINGS[4]}" or top.place == f"b:{BUILDINGS[0]}"  # the new spot or the south gate
    assert top.hour_of_week % 24 in (18, 19, 20, 21, 22)  # evenings


def test_places_and_hours_are_concentrated_not_uniform():
    a = theft_history(BUILDINGS, now=NOW, seed=7)
    cells = Counter((b, hour_of_week(at)) for _, b, at in a)
    top_10 = sum(n for _, n in cells.most_common(10))
    assert top_10 / len(a) > 0.25  # 10 of 1,176 cells (7 places × 168 hours) hold over a quarter of the incidents
