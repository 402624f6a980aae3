"""The evacuation engine (JuPedSim 1.4.2, collision-free speed model) on the RiMEA-style bottleneck the issue
measured (50/100/200 people through a 1.1 m door: 52/95/178 s), the floor templates, blocked exits and the
geometries it must refuse with a reason. Pure computation: no database."""

from __future__ import annotations

import pytest

from anju.emergency import evacuation as ev
from anju.emergency.exceptions import BadGeometry

pytestmark = pytest.mark.db_agnostic

# The issue's reference times through a 1.1 m door (s); 200 people run in bench/bench_evacuation.py (slow here).
REFERENCE = {50: 52.0, 100: 95.0}


@pytest.mark.parametrize("people", sorted(REFERENCE))
def test_door_flow_matches_the_issue_reference(people):
    r = ev.door_flow(people, 1.1)
    assert r.finished and r.people == people
    assert r.seconds == pytest.approx(REFERENCE[people], rel=0.15)
    door = r.exits[0]
    assert door.people == people
    # RiMEA: a 1 m door passes about 1-1.3 persons per metre per second (allow the model's spread).
    assert 0.8 <= door.specific_flow <= 1.5


def test_a_narrower_door_is_slower_and_the_queue_is_a_hot_spot():
    wide, narrow = ev.door_flow(50, 2.0), ev.door_flow(50, 0.8)
    assert narrow.seconds > wide.seconds * 1.3
    hot = narrow.hot_spots()
    assert hot, "the queue in front of the door is the densest place"
    x, y, d = hot[0]
    assert d >= ev.HOT_DENSITY and 7 <= x <= 11 and 3 <= y <= 7  # in front of the door at (10, 5)


def test_the_same_seed_gives_the_same_result():
    assert ev.door_flow(30).seconds == ev.door_flow(30).seconds


def test_a_slab_building_uses_both_stairs_and_blocking_one_takes_longer():
    plan = ev.parse(ev.TEMPLATES["slab"]())
    both = ev.simulate_building(plan, 18, 24)
    assert {e.key: e.people for e in both.floor.exits} == {"west": 12, "east": 12}
    assert both.people == 18 * 24 and len(both.stairs) == 2
    # the top floor walks 17 storeys of stairs, so it cannot be faster than that
    assert both.seconds >= 17 * ev.STAIR_SECONDS_PER_STOREY
    one = ev.simulate_building(ev.without(plan, {"east"}), 18, 24)
    assert [s["key"] for s in one.stairs] == ["west"] and one.stairs[0]["people"] == 18 * 24
    assert one.seconds > both.seconds


def test_the_stair_queue_is_bounded_by_the_door_capacity():
    # 100 people reaching a 1 m stair door at once: at 1 person/s the last is out ~99 s later
    last, n, cap = ev.stair_queue([0.0] * 100, 1, 1.0)
    assert n == 100 and cap == ev.STAIR_FLOW and last == pytest.approx(99.0, abs=0.5)


@pytest.mark.parametrize(
    "geometry,reason",
    [
        ({"outline": [[0, 0], [1, 1]], "exits": []}, "closed polygon"),
        ({"outline": [[0, 0], [4, 4], [4, 0], [0, 4]], "exits": [{"area": [[0, 0], [1, 0], [1, 1]]}]}, "simple"),
        ({"outline": [[0, 0], [10, 0], [10, 10], [0, 10]], "exits": []}, "no exit"),
        (
            {"outline": [[0, 0], [10, 0], [10, 10], [0, 10]], "exits": [{"area": [[20, 0], [21, 0], [21, 1]]}]},
            "not inside",
        ),
        ({"outline": [[0, 0], ["a", 0], [10, 10]], "exits": []}, "pairs"),
        ({"outline": [[0, 0], [10, 0], [10, 10]], "exits": [{"area": [[1, 1], [2, 1], [2, 2]], "width": 0}]}, "width"),
    ],
)
def test_an_invalid_geometry_is_refused_with_the_reason(geometry, reason):
    with pytest.raises(BadGeometry) as e:
        ev.parse(geometry)
    assert reason in str(e.value)


def test_blocking_every_exit_is_refused():
    plan = ev.parse(ev.TEMPLATES["walkup"]())
    with pytest.raises(BadGeometry, match="every exit"):
        ev.without(plan, {"west"})
