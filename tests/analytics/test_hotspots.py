"""Theft hot spots: the scoring rule (recency, neighbouring hours, China time) and the back-test's arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anju.analytics.hotspots import HOURS_OF_WEEK, Incident, backtest, hour_of_week, last_weeks_counts, rank_cells

# Pure computation (no database): runs once, in the SQLite pass (scripts/test.sh).
pytestmark = pytest.mark.db_agnostic

MONDAY = datetime(2025, 3, 3, 0, 0, tzinfo=UTC) - timedelta(hours=8)  # Monday 00:00 China time


def at(days: float, hour: int) -> datetime:
    return MONDAY + timedelta(days=days, hours=hour)


def test_hour_of_week_is_counted_in_china_time():
    assert hour_of_week(MONDAY) == 0
    assert hour_of_week(datetime(2025, 3, 2, 16, 30, tzinfo=UTC)) == 0  # Sunday 16:30 UTC = Monday 00:30 in China
    assert hour_of_week(MONDAY - timedelta(minutes=1)) == HOURS_OF_WEEK - 1


def test_a_recent_incident_outranks_an_old_one_in_another_cell():
    now = at(70, 0)
    cells = rank_cells([Incident("b:1", at(63, 22)), Incident("b:2", at(0, 3))], now=now)
    assert (cells[0].place, cells[0].hour_of_week) == ("b:1", 22)
    old = next(c for c in cells if (c.place, c.hour_of_week) == ("b:2", 3))
    assert old.score < cells[0].score


def test_neighbouring_hours_get_half_a_vote_and_future_incidents_none():
    now = at(7, 0)
    cells = {(c.place, c.hour_of_week): c for c in rank_cells([Incident("b:1", at(6, 10))], now=now)}
    assert cells[("b:1", 6 * 24 + 10)].recent == 1
    assert cells[("b:1", 6 * 24 + 9)].recent == 0
    centre, side = cells[("b:1", 6 * 24 + 10)].score, cells[("b:1", 6 * 24 + 9)].score
    assert abs(side - centre / 2) < 0.01  # the place prior adds the same small amount to both
    assert rank_cells([Incident("b:1", at(8, 1))], now=now) == []


def test_backtest_hit_rate_and_pai_on_a_hand_built_history():
    # Two weeks of history at one cell, then a held-out week with 3 incidents: 2 in that cell, 1 elsewhere.
    history = [Incident("b:1", at(d, 22)) for d in (0, 7)]
    held = [Incident("b:1", at(14, 22)), Incident("b:1", at(14, 22.5)), Incident("b:2", at(15, 3))]
    bt = backtest(history + held, places=["b:1", "b:2"], test_weeks=[at(14, 0)], k=1)
    assert bt.test_incidents == 3 and bt.cells_total == 2 * HOURS_OF_WEEK
    assert bt.hit_rate == 2 / 3
    assert bt.uniform_hit_rate == 1 / (2 * HOURS_OF_WEEK)
    assert bt.pai == (2 / 3) / (1 / (2 * HOURS_OF_WEEK))
    assert bt.naive_hit_rate == 2 / 3  # the last four weeks' counts name the same cell here


def test_naive_baseline_forgets_what_is_older_than_four_weeks():
    now = at(60, 0)
    assert last_weeks_counts([Incident("b:1", at(1, 5))], now=now) == []
