"""Evacuation simulation (issue 16): the engine against the issue's door-flow figures, an 18-storey building and
the demo compound, each beside a hand calculation made in the same run.

    .venv/bin/python bench/bench_evacuation.py [--quick] [--agents=0.2]

Door flow: 50/100/200 people in a 10 m × 10 m room leave through a 1.1 m door (the issue measured 52/95/178 s).
Baseline: the hydraulic hand calculation (SFPE manner) — walk the longest distance to the door at 1.2 m/s plus
people / (1.3 persons/m/s × width) — and the ratio engine / hand calculation.

Building: the slab template (8 flats a floor on a corridor, a stairwell at each end), 18 storeys × 24 people,
with and without one stairwell blocked; baseline: the same hand calculation for the stairs (the top floor's
17 storeys of stairs, then everyone through the two 1.2 m stair doors at 1 person/m/s).

Demo compound (示范小区): 15 slab buildings of 17 storeys, 2 units × 4 flats a floor, 5,000 residents, i.e.
~20 people a floor; the buildings are independent, so the compound is out of its buildings when its slowest
building is. Then the demo compound to three assembly points on its site plan: each building routed around the
others to the nearest point with room, against the building's own time and the straight-line distance; and the
same with crowding on the shared ways and at the points (a queueing model), against the uncrowded estimate.
Wall-clock seconds per simulation are printed with the load average (the machine is shared).
"""

from __future__ import annotations

import math
import os
import sys
import time

from anju.emergency import evacuation as ev

REFERENCE = {50: 52.0, 100: 95.0, 200: 178.0}  # the measured seconds through a 1.1 m door


def hand_door(people: int, width: float) -> float:
    walk = math.dist((0.5, 0.5), (14, 5)) / ev.DESIRED_SPEED
    return walk + people / (1.3 * width)


def hand_building(floors: int, per_floor: int, stairs: int, width: float, floor_walk: float) -> float:
    travel = floor_walk + (floors - 1) * ev.STAIR_SECONDS_PER_STOREY
    queue = floors * per_floor / (stairs * ev.STAIR_FLOW * width)
    return max(travel, queue + floor_walk)


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores)")
    print("door flow, 1.1 m door            engine s  issue s  engine/issue  hand s  engine/hand  p/m/s  wall s")
    for n in (50, 100) if quick else (50, 100, 200):
        t0 = time.perf_counter()
        r = ev.door_flow(n, 1.1)
        wall = time.perf_counter() - t0
        hand = hand_door(n, 1.1)
        print(
            f"  {n:4d} people                      {r.seconds:7.1f}  {REFERENCE[n]:7.1f}  {r.seconds / REFERENCE[n]:12.2f}"
            f"  {hand:6.1f}  {r.seconds / hand:11.2f}  {r.exits[0].specific_flow:5.2f}  {wall:6.1f}"
        )
    plan = ev.parse(ev.TEMPLATES["slab"]())
    print("building (slab template)          engine s  floor s  hand s  engine/hand  hot spots  wall s")
    for label, model, floors, per_floor, stairs in (
        ("18 storeys x 24, both stairs", plan, 18, 24, 2),
        ("18 storeys x 24, east blocked", ev.without(plan, {"east"}), 18, 24, 1),
        ("demo building 17 x 20 (x15)", plan, 17, 20, 2),
    ):
        t0 = time.perf_counter()
        b = ev.simulate_building(model, floors, per_floor, elderly_share=0.1)
        wall = time.perf_counter() - t0
        hand = hand_building(floors, per_floor, stairs, 1.2, b.floor.seconds)
        print(
            f"  {label:31s} {b.seconds:7.1f}  {b.floor.seconds:7.1f}  {hand:6.1f}  {b.seconds / hand:11.2f}"
            f"  {len(b.floor.hot_spots()):9d}  {wall:6.1f}"
        )
    print("demo compound: 15 independent buildings, so the compound's time out of its buildings is the above")
    compound(b.seconds)


def compound(building_seconds: float) -> None:
    """The demo compound to three assembly points on its site plan (0.5 m per plan unit): each building routed
    around the others (JuPedSim's routing engine) to the nearest point with room. Baselines in the same run: the
    building's own time (compound / building) and the straight line to the same point (route / straight)."""
    from anju.sim.demo import MAIN, _site_plan

    site = _site_plan(MAIN)
    shapes = {int(s["building"]): s for s in site["buildings"]}
    buildings = [
        ev.SiteBuilding(
            k, f"{k}号楼", (s["x"], s["y"], s["w"], s["h"]), 17 * 20, building_seconds, 2 * 1.2 * ev.STAIR_FLOW
        )
        for k, s in shapes.items()
    ]
    points = [
        ev.SitePoint(1, "south plaza", 450, 30, 2000),
        ev.SitePoint(2, "east lawn", site["width"] - 20, 300, 2000),
        ev.SitePoint(3, "west lawn", 30, 300, 2000),
    ]
    t0 = time.perf_counter()
    r = ev.compound_to_assembly(site["width"], site["height"], buildings, points, elderly_share=0.1)
    wall = time.perf_counter() - t0
    detour = [
        rt.metres / (math.dist(rt.route[0], rt.route[-1]) * r.metres_per_unit) for rt in r.routes if len(rt.route) > 1
    ]
    longest = max(r.routes, key=lambda rt: rt.metres)
    print(
        "demo compound to assembly points   total s  building s  compound/building  longest m  route/straight  wall s"
    )
    print(
        f"  15 buildings, 5,100 people, 3 pts {r.seconds or 0:7.1f}  {building_seconds:10.1f}"
        f"  {(r.seconds or 0) / building_seconds:17.2f}  {longest.metres:9.1f}  {max(detour):14.2f}  {wall:6.2f}"
    )
    for k, v in r.points.items():
        print(
            f"    point {k} {v['name']:12s} {v['people']:5d} / {v['capacity']} people, last in {v['last']:.1f} s"
            f", with crowding {v.get('crowded_last') or 0:.1f} s"
        )
    crowded(site, buildings, points, r)


def crowded(site: dict, buildings: list, points: list, uncrowded: ev.CompoundResult) -> None:
    """The same compound with crowding: the queueing model of the shared ways (evacuation.crowd_delays), each
    building letting its people out at its two stair doors' capacity (2 × 1.2 m × 1 p/m/s). Baseline in the same
    run: the uncrowded estimate above (crowded / uncrowded); then narrower paths (2 m), and small assembly points
    (60 people each: 5.5 m entries, every point over capacity), each against its own uncrowded estimate."""
    print("demo compound with crowding       uncrowded s  crowded s  crowded/uncrowded  worst wait s  at  wall s")
    for label, width, capacity in (
        ("4 m paths, 3 points x 2000", 4.0, None),
        ("2 m paths, 3 points x 2000", 2.0, None),
        ("4 m paths, 3 small points x 60", 4.0, 60),
    ):
        pts = [ev.SitePoint(p.key, p.name, p.x, p.y, capacity or p.capacity) for p in points]
        t0 = time.perf_counter()
        r = ev.compound_to_assembly(site["width"], site["height"], buildings, pts, elderly_share=0.1, path_width=width)
        wall = time.perf_counter() - t0
        base = r.seconds or 0.0
        worst = r.bottlenecks[0] if r.bottlenecks else (0.0, 0.0, 0.0, 0)
        print(
            f"  {label:32s} {base:11.1f}  {r.crowded_seconds or 0:9.1f}  {(r.crowded_seconds or 0) / base:17.2f}"
            f"  {worst[2]:12.1f}  ({worst[0]:.0f}, {worst[1]:.0f})  {wall:6.2f}"
        )
    assert uncrowded.seconds is not None
    share = next((float(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--agents=")), 0.0)
    if share > 0:
        agents(site, buildings, points, share)


def agents(site: dict, buildings: list, points: list, share: float) -> None:
    """A cross-check of the queueing model (--agents=SHARE): the same share of every building's evacuees, released
    at the same times at its door, walked to their assembly points as JuPedSim agents together (collision-free
    speed model, dt 0.05 s, everyone at the slowest walkers' 0.8 m/s, an agent placed at the door only when the
    spot is free), against the queueing model and the uncrowded estimate for the same people in the same run. The
    agents run takes minutes for the whole compound: that is why the product uses the queueing model. Measured
    here (2026-12-07, shared 2 cores): --agents=1.0, 5,100 people: uncrowded 582 s, queue 700 s, agents 987 s
    (agents/queue 1.41, 686 s wall); --agents=0.2: 583 / 648 s (1.11). The queueing model is the optimistic side:
    it counts merging only at turning points and point entries (and the agents' single spawn spot per door lets
    them out a little slower than the stairs' discharge)."""
    import jupedsim as jps
    from shapely import Polygon
    from shapely.affinity import scale as scaled

    n_of = {b.key: max(1, round(b.people * share)) for b in buildings}
    few = [ev.SiteBuilding(b.key, b.name, b.rect, n_of[b.key], b.seconds, b.discharge) for b in buildings]
    r = ev.compound_to_assembly(site["width"], site["height"], few, points, elderly_share=0.1)
    m = r.metres_per_unit
    area = scaled(ev.site_area(site["width"], site["height"], [b.rect for b in few]), xfact=m, yfact=m, origin=(0, 0))
    t0 = time.perf_counter()
    sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=area, dt=0.05)
    stage, journey = {}, {}
    for p in points:
        side = math.sqrt(p.capacity * ev.POINT_AREA)
        x, y = p.x * m, p.y * m
        while True:
            sq = Polygon(
                [
                    (x - side / 2, y - side / 2),
                    (x + side / 2, y - side / 2),
                    (x + side / 2, y + side / 2),
                    (x - side / 2, y + side / 2),
                ]
            )
            if area.contains(sq):
                break
            side *= 0.8
        stage[p.key] = sim.add_exit_stage(sq)
        journey[p.key] = sim.add_journey(jps.JourneyDescription([stage[p.key]]))
    releases = []
    for rt in r.routes:
        b, n = rt.building, rt.building.people
        gap = min(1 / b.discharge, b.seconds / n)
        door = (rt.route[0][0] * m, rt.route[0][1] * m)
        releases += [(b.seconds - (n - 1 - i) * gap, door, rt.point.key, b.key) for i in range(n)]
    releases.sort()
    arrived: dict[int, float] = {}
    owner: dict[int, int] = {}
    waiting: list = []
    i = 0
    while (i < len(releases) or waiting or sim.agent_count()) and sim.elapsed_time() < 3600:
        now = sim.elapsed_time()
        while i < len(releases) and releases[i][0] <= now:
            waiting.append(releases[i])
            i += 1
        later, used = [], set()
        for rel in waiting:
            if rel[1] in used or list(sim.agents_in_range(rel[1], 0.45)):
                later.append(rel)
                continue
            used.add(rel[1])
            params = jps.CollisionFreeSpeedModelAgentParameters(
                journey_id=journey[rel[2]], stage_id=stage[rel[2]], position=rel[1], desired_speed=0.8, radius=0.2
            )
            owner[sim.add_agent(params)] = rel[3]
        waiting = later
        sim.iterate()
        for aid in sim.removed_agents():
            arrived[owner[aid]] = sim.elapsed_time()
    wall = time.perf_counter() - t0
    last = max(arrived.values(), default=0.0)
    base, queue = r.seconds or 0.0, r.crowded_seconds or 0.0
    print("cross-check: agents vs queueing model  people  uncrowded s  queue s  agents s  agents/queue  wall s")
    print(
        f"  {share:.0%} of every building            {len(releases):6d}  {base:11.1f}  {queue:7.1f}  {last:8.1f}"
        f"  {last / queue if queue else 0:12.2f}  {wall:6.1f}"
    )


if __name__ == "__main__":
    main()
