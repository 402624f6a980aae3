"""Evacuation simulation on JuPedSim (pinned 1.4.2, collision-free speed model; issue 16).

A floor is a 2-D walkable polygon (metres) with exits: the doors of its stairwells or the ground-floor doors.
JuPedSim walks every person from a spot in a flat to the exit with the shortest route (its routing engine);
we record when each one leaves and through which exit, and count people per 1 m cell every simulated second
(the density heat map; cells at 2 persons/m² or more are the bottlenecks).

A building is one typical floor simulated in JuPedSim, then the stairwells as queues (a hydraulic model in the
SFPE manner, not agents): each person walks down `floor - 1` storeys at the stair speed, and the stairwell's
ground door lets through at most `STAIR_FLOW` persons per metre of width per second. JuPedSim is 2-D: the stairs
themselves are not walked by agents, and that is said on the page.

Blocked exits (a what-if, or an obstruction alarm) are removed from the model before it runs. An invalid
geometry (not a closed polygon, self-intersecting, an exit outside the floor, no exit left) is refused with the
reason, before anything runs.

Pure computation: no database. `jupedsim` is imported lazily, so the rest of Anju works without it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from anju.emergency.exceptions import BadGeometry
from anju.registry.structure_schemas import SITE_METRES_PER_UNIT

DT = 0.01  # s, the collision-free speed model's step
DESIRED_SPEED = 1.2  # m/s on the level (free walking speed of an adult; the model's default)
ELDERLY_SPEED = 0.8  # m/s for the share of older people (slower walkers)
RADIUS = 0.2  # m, the model's default body radius
STAIR_FLOW = 1.0  # persons per metre of stair width per second (SFPE, effective width, descending)
STAIR_SECONDS_PER_STOREY = 16.0  # 2 flights × ~4.3 m along the slope plus landings at ~0.65 m/s
CELL = 1.0  # m, the density heat-map cell
HOT_DENSITY = 2.0  # persons per m²: from here on people queue (Fruin level of service E)
MAX_SECONDS = 1800.0  # a floor not cleared in 30 min means the model is stuck: reported, not looped forever
MAX_PEOPLE = 2000
MAX_EXTENT = 500.0  # m: a floor larger than this across is a drawing in the wrong unit
MIN_AREA = 4.0  # m²
EDGE_TOLERANCE = 0.05  # m: how far an exit may lie from the outline's edge


@dataclass(frozen=True)
class Exit:
    key: str  # "east", "west"
    name: str  # "东楼梯"
    area: list[tuple[float, float]]  # the polygon where people leave the floor (inside the walkable area)
    width: float  # m, the door or stairwell width
    kind: str = "stair"  # stair | door


@dataclass(frozen=True)
class FloorPlan:
    outline: list[tuple[float, float]]
    exits: list[Exit]
    spawn: list[list[tuple[float, float]]]  # the flats: where people are at the start
    holes: list[list[tuple[float, float]]] = field(default_factory=list)


@dataclass
class ExitFlow:
    key: str
    name: str
    width: float
    people: int = 0
    first: float | None = None
    last: float | None = None

    @property
    def flow(self) -> float:
        """Persons per second through the exit while people were passing."""
        if self.people < 2 or self.first is None or self.last is None or self.last <= self.first:
            return 0.0
        return (self.people - 1) / (self.last - self.first)

    @property
    def specific_flow(self) -> float:
        return self.flow / self.width if self.width else 0.0


@dataclass
class FloorResult:
    people: int
    seconds: float  # the last person out of the floor
    exits: list[ExitFlow]
    leave_times: dict[str, list[float]]  # exit key → the times people left through it, sorted
    heat: dict[tuple[int, int], float]  # (cell x, cell y) → peak persons per m²
    finished: bool  # False when MAX_SECONDS ran out with people left

    def hot_spots(self, limit: int = 5) -> list[tuple[float, float, float]]:
        """The densest cells, (centre x, centre y, persons per m²), at or above HOT_DENSITY."""
        hot = sorted(((d, c) for c, d in self.heat.items() if d >= HOT_DENSITY), reverse=True)[:limit]
        return [((cx + 0.5) * CELL, (cy + 0.5) * CELL, d) for d, (cx, cy) in hot]


@dataclass
class BuildingResult:
    floors: int
    people: int
    seconds: float
    floor: FloorResult
    stairs: list[dict[str, Any]]  # per stairwell: people, flow, last out


def _poly(points: Any, what: str) -> list[tuple[float, float]]:
    try:
        pts = [(float(p[0]), float(p[1])) for p in points]
    except (TypeError, ValueError, IndexError):
        raise BadGeometry(f"{what}: points must be [x, y] pairs", zh=f"{what}：坐标须为 [x, y]") from None
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]
    if len(pts) < 3:
        raise BadGeometry(f"{what}: a closed polygon needs at least 3 points", zh=f"{what}：闭合多边形至少需要 3 个点")
    if any(not math.isfinite(c) for p in pts for c in p):
        raise BadGeometry(f"{what}: coordinates must be finite numbers", zh=f"{what}：坐标须为有限数值")
    return pts


def parse(geometry: dict[str, Any]) -> FloorPlan:
    """A floor plan from its JSON form, checked: {"outline": [[x,y]…], "holes": [[[x,y]…]…],
    "exits": [{"key", "name", "area": [[x,y]…], "width", "kind"}…], "spawn": [[[x,y]…]…]}."""
    if not isinstance(geometry, dict):
        raise BadGeometry("the geometry must be an object", zh="几何数据须为对象")
    outline = _poly(geometry.get("outline") or [], "outline")
    holes = [_poly(h, f"hole {i + 1}") for i, h in enumerate(geometry.get("holes") or [])]
    exits = []
    for i, e in enumerate(geometry.get("exits") or []):
        if not isinstance(e, dict):
            raise BadGeometry(f"exit {i + 1} must be an object", zh=f"出口 {i + 1} 须为对象")
        width = e.get("width", 1.0)
        if not isinstance(width, int | float) or not 0.5 <= width <= 20:
            raise BadGeometry(f"exit {i + 1}: width must be 0.5..20 m", zh=f"出口 {i + 1}：宽度须为 0.5–20 米")
        exits.append(
            Exit(
                key=str(e.get("key") or f"exit{i + 1}")[:24],
                name=str(e.get("name") or e.get("key") or f"出口{i + 1}")[:32],
                area=_poly(e.get("area") or [], f"exit {i + 1}"),
                width=float(width),
                kind="door" if e.get("kind") == "door" else "stair",
            )
        )
    if not exits:
        raise BadGeometry("the floor has no exit", zh="该楼层没有出口")
    if len({e.key for e in exits}) != len(exits):
        raise BadGeometry("two exits share a key", zh="出口编号重复")
    spawn = [_poly(s, f"flat {i + 1}") for i, s in enumerate(geometry.get("spawn") or [])]
    plan = FloorPlan(outline=outline, exits=exits, spawn=spawn or [outline], holes=holes)
    check(plan)
    return plan


def _walkable(plan: FloorPlan) -> Any:
    from shapely import Polygon  # type: ignore[import-untyped]

    return Polygon(plan.outline, holes=plan.holes or None)


def check(plan: FloorPlan) -> None:
    """Refuse a geometry JuPedSim cannot run, with the reason (before anything runs)."""
    from shapely import Polygon
    from shapely.validation import explain_validity  # type: ignore[import-untyped]

    xs = [x for x, _ in plan.outline]
    ys = [y for _, y in plan.outline]
    if max(xs) - min(xs) > MAX_EXTENT or max(ys) - min(ys) > MAX_EXTENT:
        raise BadGeometry(f"the floor is larger than {MAX_EXTENT:.0f} m across", zh=f"楼层尺寸超过 {MAX_EXTENT:.0f} 米")
    outline = Polygon(plan.outline)
    if not outline.is_valid:
        reason = explain_validity(outline)
        if reason.startswith("Self-intersection"):
            at = reason[reason.find("[") + 1 : reason.find("]")].split()
            where = f"{float(at[0]):.1f}, {float(at[1]):.1f}" if len(at) == 2 else "?"
            raise BadGeometry(
                f"the outline is not a simple closed polygon: it crosses itself near ({where})",
                zh=f"楼层轮廓不是简单闭合多边形：轮廓在 ({where}) 附近自相交",
            )
        raise BadGeometry(
            f"the outline is not a simple closed polygon ({reason})", zh=f"楼层轮廓不是简单闭合多边形（{reason}）"
        )
    area = _walkable(plan)
    if not area.is_valid or area.area <= 0:
        reason = explain_validity(area)
        raise BadGeometry(
            f"the outline is not a simple closed polygon ({reason})", zh=f"楼层轮廓不是简单闭合多边形（{reason}）"
        )
    if area.area < MIN_AREA:
        raise BadGeometry(f"the floor is smaller than {MIN_AREA:.0f} m²", zh=f"楼层面积小于 {MIN_AREA:.0f} 平方米")
    grown = area.buffer(1e-6)
    edge = outline.exterior
    seen: list[tuple[str, Any]] = []
    for e in plan.exits:
        p = Polygon(e.area)
        if not p.is_valid or p.area <= 0:
            raise BadGeometry(f"exit {e.name} is not a simple polygon", zh=f"出口 {e.name} 不是简单多边形")
        if not grown.contains(p):
            raise BadGeometry(f"exit {e.name} is not inside the floor", zh=f"出口 {e.name} 不在楼层范围内")
        if p.distance(edge) > EDGE_TOLERANCE:
            raise BadGeometry(
                f"exit {e.name} is off the outline: an exit must touch the floor's outer edge",
                zh=f"出口 {e.name} 不在楼层轮廓上：出口须贴着楼层外边界",
            )
        for other, q in seen:
            if p.intersection(q).area > 0:
                raise BadGeometry(f"exits {other} and {e.name} overlap", zh=f"出口 {other} 与 {e.name} 重叠")
        seen.append((e.name, p))
    for i, s in enumerate(plan.spawn):
        if not Polygon(s).is_valid or Polygon(s).intersection(area).area <= 0:
            raise BadGeometry(f"flat {i + 1} is not inside the floor", zh=f"住户区域 {i + 1} 不在楼层范围内")


def without(plan: FloorPlan, blocked: set[str]) -> FloorPlan:
    """The plan with the blocked exits removed; refused when no exit is left."""
    exits = [e for e in plan.exits if e.key not in blocked]
    if not exits:
        raise BadGeometry("every exit is blocked", zh="所有出口均被堵塞，无法疏散")
    return FloorPlan(outline=plan.outline, exits=exits, spawn=plan.spawn, holes=plan.holes)


def simulate_floor(plan: FloorPlan, people: int, *, elderly_share: float = 0.0, seed: int = 1) -> FloorResult:
    """Walk `people` persons out of one floor; deterministic for a seed."""
    import jupedsim as jps  # type: ignore[import-untyped]
    from shapely import Polygon, unary_union

    if not 1 <= people <= MAX_PEOPLE:
        raise BadGeometry(f"people must be 1..{MAX_PEOPLE}", zh=f"人数须为 1–{MAX_PEOPLE}")
    check(plan)
    area = _walkable(plan)
    exits_area = unary_union([Polygon(e.area) for e in plan.exits])
    room = unary_union([Polygon(s).intersection(area) for s in plan.spawn]).difference(exits_area.buffer(0.3))
    parts = [g for g in getattr(room, "geoms", [room]) if g.area > 0.5]
    if not parts:
        raise BadGeometry("no room to place people", zh="没有可安置人员的区域")
    total = sum(g.area for g in parts)
    # People per flat in proportion to its area (largest remainders), then spread inside it.
    shares = [people * g.area / total for g in parts]
    counts = [int(s) for s in shares]
    for i in sorted(range(len(parts)), key=lambda i: shares[i] - counts[i], reverse=True)[: people - sum(counts)]:
        counts[i] += 1
    positions: list[tuple[float, float]] = []
    for i, (g, n) in enumerate(zip(parts, counts, strict=True)):
        if n == 0:
            continue
        try:
            positions += jps.distribute_by_number(
                polygon=g, number_of_agents=n, distance_to_agents=0.4, distance_to_polygon=0.2, seed=seed + i
            )
        except Exception as exc:  # JuPedSim refuses when the flat cannot hold that many
            raise BadGeometry(
                f"{n} people do not fit in flat {i + 1} ({g.area:.0f} m²)",
                zh=f"住户区域 {i + 1}（{g.area:.0f} 平方米）容纳不下 {n} 人",
            ) from exc

    sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=area, dt=DT)
    routing = jps.RoutingEngine(area)
    stages = {}
    journeys = {}
    centres = {}
    for e in plan.exits:
        stages[e.key] = sim.add_exit_stage(e.area)
        journeys[e.key] = sim.add_journey(jps.JourneyDescription([stages[e.key]]))
        c = Polygon(e.area).representative_point()
        centres[e.key] = (c.x, c.y)

    def route_length(p: tuple[float, float], key: str) -> float:
        pts = routing.compute_waypoints(p, centres[key])
        return sum(math.dist(a, b) for a, b in pairwise(pts))

    agent_exit: dict[int, str] = {}
    slow_every = round(1 / elderly_share) if elderly_share > 0 else 0
    for n, p in enumerate(positions):
        key = min(plan.exits, key=lambda e: route_length(p, e.key)).key
        speed = ELDERLY_SPEED if slow_every and n % slow_every == 0 else DESIRED_SPEED
        aid = sim.add_agent(
            jps.CollisionFreeSpeedModelAgentParameters(
                journey_id=journeys[key], stage_id=stages[key], position=p, desired_speed=speed, radius=RADIUS
            )
        )
        agent_exit[aid] = key

    leave: dict[str, list[float]] = defaultdict(list)
    heat: dict[tuple[int, int], float] = {}
    per_second = round(1 / DT)
    while sim.agent_count() > 0 and sim.elapsed_time() < MAX_SECONDS:
        sim.iterate()
        for aid in sim.removed_agents():
            leave[agent_exit[aid]].append(sim.elapsed_time())
        if sim.iteration_count() % per_second == 0:
            cells: dict[tuple[int, int], int] = defaultdict(int)
            for a in sim.agents():
                x, y = a.position
                cells[(math.floor(x / CELL), math.floor(y / CELL))] += 1
            for c, k in cells.items():
                d = k / (CELL * CELL)
                if d > heat.get(c, 0.0):
                    heat[c] = d
    flows = []
    for e in plan.exits:
        times = sorted(leave.get(e.key, []))
        flows.append(
            ExitFlow(
                key=e.key,
                name=e.name,
                width=e.width,
                people=len(times),
                first=times[0] if times else None,
                last=times[-1] if times else None,
            )
        )
    return FloorResult(
        people=len(positions),
        seconds=round(sim.elapsed_time(), 2),
        exits=flows,
        leave_times={k: sorted(v) for k, v in leave.items()},
        heat=heat,
        finished=sim.agent_count() == 0,
    )


def stair_queue(
    leave_times: list[float], floors: int, width: float, *, flow: float = STAIR_FLOW
) -> tuple[float, int, float]:
    """One stairwell fed by `floors` identical floors (the ground floor walks straight out): every person
    reaches the ground door after their storeys of stairs, and the door passes at most `flow × width` persons
    per second. Returns (last out, people, door flow)."""
    capacity = flow * width
    arrivals = sorted(t + (f - 1) * STAIR_SECONDS_PER_STOREY for f in range(1, floors + 1) for t in leave_times)
    out: float | None = None
    for a in arrivals:
        out = a if out is None else max(a, out + 1 / capacity)
    return round(out or 0.0, 1), len(arrivals), capacity


def simulate_building(
    plan: FloorPlan, floors: int, people_per_floor: int, *, elderly_share: float = 0.0, seed: int = 1
) -> BuildingResult:
    """A building of identical floors: one floor in JuPedSim, the stairwells as queues (see the module)."""
    if not 1 <= floors <= 100:
        raise BadGeometry("floors must be 1..100", zh="楼层数须为 1–100")
    floor = simulate_floor(plan, people_per_floor, elderly_share=elderly_share, seed=seed)
    stairs: list[dict[str, Any]] = []
    for e in plan.exits:
        times = floor.leave_times.get(e.key, [])
        if not times:
            continue
        n_floors = floors if e.kind == "stair" else 1
        last, n, cap = stair_queue(times, n_floors, e.width)
        stairs.append({"key": e.key, "name": e.name, "people": n, "flow": cap, "seconds": last})
    seconds = max((float(s["seconds"]) for s in stairs), default=floor.seconds)
    return BuildingResult(floors=floors, people=people_per_floor * floors, seconds=seconds, floor=floor, stairs=stairs)


# --- floor-plan templates per building type ------------------------------------------------------------------


def _box(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _template(flats_per_side: int, flat_w: float, stairs: list[str]) -> dict[str, Any]:
    """A corridor 2 m wide with flats 6 m deep on both sides, each through a 0.9 m door, and stairwells
    (1.2 m doors) at the named ends: "west", "east"."""
    from shapely import Polygon, unary_union

    length = flats_per_side * flat_w
    boxes = [_box(0, 6, length, 8)]  # the corridor
    spawn = []
    for i in range(flats_per_side):
        x0, x1 = i * flat_w + 0.2, (i + 1) * flat_w - 0.2
        mid = (x0 + x1) / 2
        for y0, y1, dy0, dy1 in ((0.2, 5.8, 5.8, 6.0), (8.2, 13.8, 8.0, 8.2)):
            boxes.append(_box(x0, y0, x1, y1))
            spawn.append(_box(x0, y0, x1, y1))
            boxes.append(_box(mid - 0.45, dy0, mid + 0.45, dy1))  # the flat's door
    exits = []
    if "west" in stairs:
        boxes.append(_box(-2.5, 6.4, 0, 7.6))
        exits.append({"key": "west", "name": "西楼梯", "area": _box(-2.5, 6.4, -1.5, 7.6), "width": 1.2})
    if "east" in stairs:
        boxes.append(_box(length, 6.4, length + 2.5, 7.6))
        exits.append(
            {"key": "east", "name": "东楼梯", "area": _box(length + 1.5, 6.4, length + 2.5, 7.6), "width": 1.2}
        )
    shape = unary_union([Polygon(b) for b in boxes]).simplify(0)
    assert isinstance(shape, Polygon)
    outline = [(round(x, 3), round(y, 3)) for x, y in list(shape.exterior.coords)[:-1]]
    return {"outline": outline, "exits": exits, "spawn": spawn}


TEMPLATES = {
    # 板楼: a slab block, 4 flats a side on a 2 m corridor, a stairwell at each end (multi-storey and high-rise)
    "slab": lambda: _template(4, 9.0, ["west", "east"]),
    # 点式塔楼: a compact tower, 2 flats a side, scissor stairs at both ends of a short corridor
    "tower": lambda: _template(2, 10.0, ["west", "east"]),
    # 单元式多层: a walk-up unit, 1 flat a side, one stairwell
    "walkup": lambda: _template(1, 10.0, ["west"]),
}
TEMPLATE_PEOPLE = {"slab": 24, "tower": 12, "walkup": 6}  # people per floor: flats × 3


def template_for(floors: int) -> str:
    """The default template by height: a walk-up up to 6 storeys, a slab block above."""
    return "walkup" if floors <= 6 else "slab"


def door_flow(people: int, width: float = 1.1, *, seed: int = 1) -> FloorResult:
    """The RiMEA-style bottleneck check: `people` in a 10 m × 10 m room leave through one door of `width` m
    into a 4 m corridor (the issue measured 52/95/178 s for 50/100/200 people through a 1.1 m door)."""
    y0 = 5 - width / 2
    geometry = {
        "outline": [(0, 0), (10, 0), (10, y0), (14, y0), (14, y0 + width), (10, y0 + width), (10, 10), (0, 10)],
        "exits": [{"key": "door", "name": "门", "area": _box(13, y0, 14, y0 + width), "width": width, "kind": "door"}],
        "spawn": [_box(0.5, 0.5, 9.5, 9.5)],
    }
    return simulate_floor(parse(geometry), people, seed=seed)


# --- the compound to its assembly points ---------------------------------------------------------------------


@dataclass(frozen=True)
class SiteBuilding:
    key: int  # the building's id
    name: str
    rect: tuple[float, float, float, float]  # x, y, w, h on the site plan (plan units)
    people: int
    seconds: float | None  # its own evacuation time (the building simulation); None: not simulated yet
    discharge: float | None = None  # persons per second out of its doors when saturated (its stairs' capacity)


@dataclass(frozen=True)
class SitePoint:
    key: int  # the assembly point's id
    name: str
    x: float
    y: float
    capacity: int


@dataclass
class SiteRoute:
    building: SiteBuilding
    point: SitePoint | None
    route: list[tuple[float, float]]  # plan units, from the building's door to the point
    metres: float
    walk_seconds: float
    total_seconds: float | None  # building evacuation + the walk of the slowest; None: the building not simulated
    over_capacity: bool = False
    crowded_seconds: float | None = None  # the same with queueing where routes share the way (crowd_delays)


@dataclass
class CompoundResult:
    routes: list[SiteRoute]
    points: dict[int, dict[str, Any]]  # point id → {"name", "capacity", "people", "last", "buildings"}
    seconds: float | None  # the last person at an assembly point; None when a building is not simulated
    metres_per_unit: float
    crowded_seconds: float | None = None  # the same with crowding (crowd_delays); None when not computable
    # where people waited longest: (x, y plan units, the longest wait in seconds, persons through)
    bottlenecks: list[tuple[float, float, float, int]] = field(default_factory=list)


def site_area(width: float, height: float, rects: list[tuple[float, float, float, float]]) -> Any:
    """The walkable site: the plan's rectangle minus the buildings' footprints."""
    from shapely import Polygon, box, unary_union

    if width <= 0 or height <= 0:
        raise BadGeometry("the site plan has no size", zh="小区平面图缺少尺寸")
    area = box(0, 0, width, height)
    if rects:
        area = area.difference(unary_union([box(x, y, x + w, y + h) for x, y, w, h in rects]))
    if isinstance(area, Polygon):
        return area
    return max(getattr(area, "geoms", []), key=lambda g: g.area)  # the connected open space


def check_point(area: Any, x: float, y: float) -> None:
    """An assembly point must be in the open space of the site (not in a building, not off the plan)."""
    from shapely import Point

    if not area.contains(Point(x, y)):
        raise BadGeometry(
            "the assembly point is not in the open space of the site plan",
            zh="集合点须位于小区平面图的空地上（不能在楼内或图外）",
        )


def door_of(rect: tuple[float, float, float, float], area: Any) -> tuple[float, float]:
    """A building's way out on the site: the middle of the side facing the open space, just outside."""
    from shapely import Point

    x, y, w, h = rect
    for p in ((x + w / 2, y + h + 2), (x + w / 2, y - 2), (x - 2, y + h / 2), (x + w + 2, y + h / 2)):
        if area.contains(Point(p)):
            return p
    raise BadGeometry("a building has no way out to the open space", zh="有楼栋四周没有可通行的空地")


def compound_to_assembly(
    width: float,
    height: float,
    buildings: list[SiteBuilding],
    points: list[SitePoint],
    *,
    metres_per_unit: float = SITE_METRES_PER_UNIT,
    elderly_share: float = 0.1,
    path_width: float = 4.0,
) -> CompoundResult:
    """Route every building to an assembly point over the open site (JuPedSim's routing engine: shortest paths
    around the buildings) and estimate when its last person arrives: its own evacuation time plus the walk at
    the slowest walkers' speed. Each building goes whole to the nearest point with room left; when none has room,
    to the nearest, marked over capacity. Crowding on the shared paths and at the points is then added by a
    queueing model (`crowd_delays`), reported beside the uncrowded figures."""
    import jupedsim as jps

    if not points:
        raise BadGeometry("the compound has no assembly point", zh="小区尚未设置集合点")
    area = site_area(width, height, [b.rect for b in buildings])
    routing = jps.RoutingEngine(area)
    speed = ELDERLY_SPEED if elderly_share > 0 else DESIRED_SPEED
    options: dict[int, list[tuple[float, SitePoint, list[tuple[float, float]]]]] = {}
    for b in buildings:
        door = door_of(b.rect, area)
        found = []
        for pt in points:
            check_point(area, pt.x, pt.y)
            way = [(float(x), float(y)) for x, y in routing.compute_waypoints(door, (pt.x, pt.y))]
            found.append((sum(math.dist(a, c) for a, c in pairwise(way)) * metres_per_unit, pt, way))
        options[b.key] = sorted(found, key=lambda t: (t[0], t[1].key))
    left = {p.key: p.capacity for p in points}
    routes: list[SiteRoute] = []
    for b in sorted(buildings, key=lambda b: (options[b.key][0][0], b.key)):  # the closest buildings choose first
        choice = next((o for o in options[b.key] if left[o[1].key] >= b.people), None)
        over = choice is None
        metres, pt, way = choice or options[b.key][0]
        left[pt.key] -= b.people
        walk = metres / speed
        routes.append(
            SiteRoute(
                building=b,
                point=pt,
                route=way,
                metres=round(metres, 1),
                walk_seconds=round(walk, 1),
                total_seconds=round(b.seconds + walk, 1) if b.seconds is not None else None,
                over_capacity=over,
            )
        )
    per_point: dict[int, dict[str, Any]] = {
        p.key: {"name": p.name, "capacity": p.capacity, "people": 0, "last": None, "buildings": []} for p in points
    }
    for r in routes:
        assert r.point is not None
        agg = per_point[r.point.key]
        agg["people"] += r.building.people
        agg["buildings"].append(r.building.name)
        if r.total_seconds is not None:
            agg["last"] = max(agg["last"] or 0.0, r.total_seconds)
    totals = [r.total_seconds for r in routes]
    seconds = None if any(t is None for t in totals) else max((t for t in totals if t is not None), default=0.0)
    crowded, bottlenecks = None, []
    if seconds is not None and routes:
        crowd = crowd_delays(routes, metres_per_unit=metres_per_unit, speed=speed, path_width=path_width)
        for r in routes:
            r.crowded_seconds = crowd.last_by_building.get(r.building.key)
            assert r.point is not None
            agg = per_point[r.point.key]
            if r.crowded_seconds is not None:
                agg["crowded_last"] = max(agg.get("crowded_last") or 0.0, r.crowded_seconds)
        crowded = max(crowd.last_by_building.values(), default=0.0)
        bottlenecks = crowd.bottlenecks
    routes.sort(key=lambda r: r.building.key)
    return CompoundResult(
        routes=routes,
        points=per_point,
        seconds=seconds,
        metres_per_unit=metres_per_unit,
        crowded_seconds=crowded,
        bottlenecks=bottlenecks,
    )


# --- crowding on the shared ways (a queueing model) ------------------------------------------------------------

PATH_WIDTH = 4.0  # m, the compound's roads and paths when the site plan does not say (a fire lane is ≥ 4 m)
SITE_FLOW = 1.3  # persons per metre of width per second through a cross-section on the level (SFPE, Fruin)
POINT_AREA = 0.5  # m² per person standing at an assembly point


@dataclass
class CrowdResult:
    last_by_building: dict[int, float]  # building key → its last person at the assembly point, with crowding
    bottlenecks: list[tuple[float, float, float, int]]  # (x, y, longest wait s, persons through), worst first


def crowd_delays(
    routes: list[SiteRoute],
    *,
    metres_per_unit: float,
    speed: float,
    path_width: float = PATH_WIDTH,
) -> CrowdResult:
    """Crowding where the buildings' evacuees share the way, as a discrete-event queueing model (not agents):

    - each building lets its people out of its doors at its stairs' saturated discharge rate, the last one at the
      building's own evacuation time (what the building simulation found), i.e. person i leaves at
      T - (n - 1 - i) / rate (spread evenly over [0, T] when that rate would empty it sooner);
    - a route is its polyline from the routing engine; every turning point and the assembly point are
      cross-sections shared by every route through them (routes to the same point meet at its entry; routes round
      the same building corner meet there), each passing at most SITE_FLOW × width persons per second, first come
      first served; the width is the path width, and at an assembly point the side of the square that holds its
      capacity at POINT_AREA m² a person (at least 1 m: a small point is a bottleneck of its own);
    - between cross-sections people walk at the same speed as the uncrowded estimate (the slowest walkers).

    So the uncrowded estimate is this model with unlimited cross-sections, and the difference is the delay caused
    by crowding. Merging between two turning points is counted at the next common point."""
    import heapq

    if path_width <= 0 or speed <= 0:
        raise BadGeometry("the path width and speed must be positive", zh="道路宽度和步行速度须为正数")
    node_key: dict[tuple[float, float], int] = {}
    node_cap: list[float] = []
    node_xy: list[tuple[float, float]] = []

    def node(p: tuple[float, float], cap: float) -> int:
        k = (round(p[0], 1), round(p[1], 1))
        if k not in node_key:
            node_key[k] = len(node_cap)
            node_cap.append(cap)
            node_xy.append(k)
        else:
            node_cap[node_key[k]] = max(node_cap[node_key[k]], cap)
        return node_key[k]

    path_cap = SITE_FLOW * path_width
    legs: list[tuple[int, list[int], list[float]]] = []  # building key, its nodes, walking seconds to each node
    heap: list[tuple[float, int, int]] = []  # (time at the next node, person, index of that node on the route)
    person_route: list[int] = []
    for r in routes:
        b = r.building
        if b.seconds is None or b.people <= 0 or r.point is None or len(r.route) < 2:
            continue
        side = math.sqrt(max(r.point.capacity, 1) * POINT_AREA)
        nodes = [node(p, path_cap) for p in r.route[1:-1]] + [node(r.route[-1], SITE_FLOW * max(1.0, side))]
        walks = [math.dist(a, c) * metres_per_unit / speed for a, c in pairwise(r.route)]
        legs.append((b.key, nodes, walks))
        n, total = b.people, b.seconds
        gap = min(1 / b.discharge if b.discharge and b.discharge > 0 else total / n, total / n)
        for i in range(n):
            leave = max(0.0, total - (n - 1 - i) * gap)
            heapq.heappush(heap, (leave + walks[0], len(person_route), 0))
            person_route.append(len(legs) - 1)
    free_at = [0.0] * len(node_cap)
    worst = [0.0] * len(node_cap)
    through = [0] * len(node_cap)
    last: dict[int, float] = {}
    while heap:
        t, pid, k = heapq.heappop(heap)
        key, nodes, walks = legs[person_route[pid]]
        nd = nodes[k]
        passed = max(t, free_at[nd])
        free_at[nd] = passed + 1 / node_cap[nd]
        worst[nd] = max(worst[nd], passed - t)
        through[nd] += 1
        if k + 1 < len(nodes):
            heapq.heappush(heap, (passed + walks[k + 1], pid, k + 1))
        else:
            last[key] = max(last.get(key, 0.0), passed)
    hot = sorted(
        ((node_xy[i][0], node_xy[i][1], round(worst[i], 1), through[i]) for i in range(len(node_cap)) if worst[i] >= 1),
        key=lambda h: -h[2],
    )[:5]
    return CrowdResult(last_by_building={k: round(v, 1) for k, v in last.items()}, bottlenecks=hot)
