"""Pooling compound reports into the street office's report: rates from summed parts, people counts under K."""

from __future__ import annotations

from typing import Any

import pytest

from anju.analytics.street import pool

pytestmark = pytest.mark.db_agnostic


def data(
    *, false: int, closed: int, ack: tuple[int, int], roll: tuple[int, int], left: int, trained: int
) -> dict[str, Any]:
    return {
        "empty": False,
        "kpis": {"alarms": closed + 1},
        "events": {
            "by_kind": {"smoke": closed + 1},
            "by_weekday": [closed + 1, 0, 0, 0, 0, 0, 0],
            "by_hour": [closed + 1] + [0] * 23,
            "by_place": [{"place": "1号楼", "n": closed + 1}],
            "by_outcome": {"resolved": closed - false, "false_alarm": false, "open": 1},
            "acknowledged": ack[0],
            "ack_seconds": ack[1],
            "closed": closed,
            "close_seconds": 600 * closed,
        },
        "technical": {"devices": 10, "devices_good": 9, "closed_alarms": closed, "false_alarms": false},
        "patrol": {"done": 1, "missed": 0, "expected": 10, "checked": 9},
        "access": {"entries": 5, "by_method": {"card": 5}, "denied": 1, "remote_opens": 0, "visitors": 2},
        "orders": {"total": 2, "by_category": {}, "complaints": 2, "complaints_closed": 1},
        "staff": {
            "by_role": {"guard": roll[1]},
            "total": roll[1],
            "on_roll_start": roll[0],
            "on_roll_end": roll[1],
            "joined": 0,
            "left": left,
            "trainings": 1,
            "trained": trained,
            "exams": 0,
            "exam_sittings": 0,
            "exam_passed": 0,
            "shifts": 0,
            "shifts_marked": 0,
            "shifts_attended": 0,
        },
    }


A = data(false=1, closed=2, ack=(2, 600), roll=(3, 3), left=0, trained=3)
B = data(false=3, closed=4, ack=(4, 3000), roll=(12, 10), left=2, trained=5)


def test_false_alarm_rate_pools_numerators_not_rates():
    k = pool([A, B], ["甲", "乙"])["kpis"]
    assert k["false_alarm_rate"] == 66.7  # (1 + 3) ÷ (2 + 4); the mean of 50% and 75% would be 62.5
    # (600 + 3000) s ÷ (2 + 4) acknowledged = 600 s = 10 min; the mean of the two means would be 8.75 min
    assert k["mtta_minutes"] == 10.0
    assert k["alarms"] == 8 and k["device_good_rate"] == 90.0 and k["checkpoint_rate"] == 90.0


def test_staff_rates_pool_and_people_counts_under_k_are_hidden():
    d = pool([A, B], ["甲", "乙"])
    assert d["kpis"]["turnover_rate"] == 14.3  # 2 ÷ ((15 + 13) ÷ 2)
    assert d["kpis"]["training_coverage"] == 61.5  # (3 + 5) ÷ (3 + 10)
    assert d["staff"]["left"] == "<5" and d["staff"]["on_roll_end"] == 13


def test_a_rate_over_fewer_than_k_people_is_not_shown():
    d = pool([A], ["甲"])
    assert d["kpis"]["turnover_rate"] is None and d["kpis"]["training_coverage"] is None
    assert d["staff"]["on_roll_end"] == "<5"
    assert d["kpis"]["false_alarm_rate"] == 50.0  # alarms are not people


def test_places_name_their_compound():
    d = pool([A, B], ["甲", "乙"])
    assert {p["place"] for p in d["events"]["by_place"]} == {"甲 · 1号楼", "乙 · 1号楼"}
    assert d["events"]["by_hour"][0] == 8


def test_device_online_rate_and_camera_coverage_pool_device_hours_and_positions():
    a = {
        **A,
        "technical": {
            **A["technical"],
            "device_hours": 100,
            "device_hours_online": 90,
            "key_positions": 4,
            "key_positions_covered": 4,
        },
    }
    b = {
        **B,
        "technical": {
            **B["technical"],
            "device_hours": 300,
            "device_hours_online": 150,
            "key_positions": 1,
            "key_positions_covered": 0,
        },
    }
    k = pool([a, b], ["甲", "乙"])["kpis"]
    assert k["device_online_rate"] == 60.0  # (90 + 150) ÷ (100 + 300); the mean of 90% and 50% would be 70
    assert k["camera_coverage"] == 80.0  # (4 + 0) ÷ (4 + 1)
    assert pool([A], ["甲"])["kpis"]["device_online_rate"] is None  # reports made before device-hours: no data
