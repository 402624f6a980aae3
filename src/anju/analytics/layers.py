"""智慧安防一张图: the compound's site plan with live layers, each a registered provider.

A layer is a function `(LayerContext) -> Layer` registered under a key with `register_layer`. The 大屏 draws the
layers it is given in their registration order and a control room switches them on and off in the browser. Every
provider reads through the owning domain's service (alarms, devices, access, patrol, workorders, video), never its
tables, and returns places and counts only: no names, no free text, so the same map serves the street office.

The cameras layer is here (each camera by state with its field-of-view sector, read through the video service).
Parking (issue 13) adds its layer the same way, from its own module:

    from anju.analytics.layers import Layer, LayerContext, Marker, register_layer

    def _parking(ctx: LayerContext) -> Layer: ...
    register_layer("parking", _parking, order=30)

and make sure the module is imported at start-up (its domain's `handlers` or `tasks` module is a good home).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from anju.access.decision_service import passage_counts
from anju.alarms.service import alarm_facts
from anju.analytics import hotspots
from anju.analytics.fov import Sector, sector_path
from anju.analytics.hotspot_cache import HOTSPOT_HISTORY, model_weights, theft_incidents
from anju.devices.service import device_facts
from anju.patrol.service import route_checkpoints_of, status_board
from anju.registry.models import Compound
from anju.registry.service import house_service
from anju.registry.structure_schemas import metres_per_unit
from anju.video.service import video_service
from anju.workorders.service import open_order_groups

SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}
GATE_KINDS = frozenset({"gate_pedestrian", "gate_vehicle", "garage_door"})
HOTSPOT_TOP = 5


@dataclass
class Marker:
    """One thing drawn on the plan: a place with a state and a number (the label is a message key)."""

    x: int
    y: int
    state: str  # a CSS state: alarm-critical, offline, done, overdue, open, hot…
    label: str  # message key
    params: dict[str, Any] = field(default_factory=dict)
    count: int = 1


@dataclass
class Layer:
    key: str
    markers: list[Marker] = field(default_factory=list)
    lines: list[list[tuple[int, int]]] = field(default_factory=list)  # polylines (patrol routes)
    counts: dict[str, int] = field(default_factory=dict)  # the legend: state → number
    unplaced: int = 0  # things of this layer with no place on the plan (still counted)
    sectors: list[tuple[str, str]] = field(default_factory=list)  # (CSS state, SVG path): cameras' fields of view


@dataclass
class LayerContext:
    session: Session
    compound: Compound
    now: datetime
    centres: dict[int, tuple[int, int]]  # building id → centre of its shape on the plan
    gates: dict[str, tuple[int, int]]  # gate name on the plan → point
    since_today: datetime  # China midnight, UTC-aware

    def at_building(self, building_id: int | None, nudge: int = 0) -> tuple[int, int] | None:
        """A building's centre, nudged right/down so several layers on one building do not hide each other."""
        c = self.centres.get(building_id) if building_id is not None else None
        return (c[0] + nudge, c[1] + nudge // 2) if c else None


Provider = Callable[[LayerContext], Layer]
_providers: dict[str, tuple[int, Provider]] = {}


def register_layer(key: str, provider: Provider, *, order: int) -> None:
    """Add (or replace) a map layer; lower `order` draws first (underneath)."""
    _providers[key] = (order, provider)


def layer_keys() -> list[str]:
    return [k for k, _ in sorted(_providers.items(), key=lambda kv: kv[1][0])]


def plan_geometry(
    session: Session, compound: Compound
) -> tuple[dict[int, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Building centres and gate points from the compound's site plan."""
    plan = compound.site_plan or {}
    shapes = {str(s.get("building")): s for s in plan.get("buildings", [])}
    centres: dict[int, tuple[int, int]] = {}
    for b in house_service.buildings(session, compound_id=compound.id):
        s = shapes.get(str(b.number))
        if s:
            centres[b.id] = (int(s["x"] + s.get("w", 120) / 2), int(s["y"] + s.get("h", 70) / 2))
    gates = {str(g.get("name")): (int(g.get("x", 0)), int(g.get("y", 0))) for g in plan.get("gates", [])}
    return centres, gates


def build_layers(ctx: LayerContext, keys: list[str] | None = None) -> list[Layer]:
    """Run the providers (all, or `keys`) in drawing order."""
    wanted = layer_keys() if keys is None else [k for k in layer_keys() if k in keys]
    return [_providers[k][1](ctx) for k in wanted]


# --- the built-in layers --------------------------------------------------------------------------


def alarms_layer(ctx: LayerContext) -> Layer:
    """Open alarms grouped by place (device point, else building centre), coloured by the worst severity."""
    layer = Layer("alarms")
    facts = alarm_facts(ctx.session, compound_ids=[ctx.compound.id], open_only=True)
    points = {d.id: (d.plan_x, d.plan_y) for d in device_facts(ctx.session, compound_ids=[ctx.compound.id])}
    by_place: dict[tuple[int, int], list[str]] = defaultdict(list)
    for a in facts:
        layer.counts[a.severity] = layer.counts.get(a.severity, 0) + 1
        p = points.get(a.device_id) if a.device_id is not None else None
        xy = (int(p[0]), int(p[1])) if p and p[0] is not None and p[1] is not None else ctx.at_building(a.building_id)
        if xy is None:
            layer.unplaced += 1
            continue
        by_place[xy].append(a.severity)
    for (x, y), sevs in by_place.items():
        worst = min(sevs, key=lambda s: SEVERITY_RANK.get(s, 9))
        layer.markers.append(Marker(x, y, f"alarm-{worst}", "screen.marker.alarms", {"n": len(sevs)}, count=len(sevs)))
    layer.markers.sort(key=lambda m: -SEVERITY_RANK.get(m.state.removeprefix("alarm-"), 9))  # worst on top
    return layer


def devices_layer(ctx: LayerContext) -> Layer:
    """Placed devices by state: online, offline, never heard from; faulty = an open fault or tamper alarm."""
    layer = Layer("devices")
    faulty = {
        a.device_id
        for a in alarm_facts(
            ctx.session,
            compound_ids=[ctx.compound.id],
            open_only=True,
            kinds=frozenset({"device_fault", "tamper", "lift_fault", "pump_fault", "light_fault"}),
        )
    }
    for d in device_facts(ctx.session, compound_ids=[ctx.compound.id]):
        state = "faulty" if d.id in faulty else d.status
        layer.counts[state] = layer.counts.get(state, 0) + 1
        if d.plan_x is None or d.plan_y is None:
            layer.unplaced += 1
            continue
        layer.markers.append(Marker(d.plan_x, d.plan_y, f"device-{state}", f"screen.device.{state}"))
    return layer


def cameras_layer(ctx: LayerContext) -> Layer:
    """Cameras by device state at their point on the plan, each placed one with its field-of-view sector (range by
    the plan's scale); a camera without a point is counted as unplaced."""
    layer = Layer("cameras")
    status = {d.id: d.status for d in device_facts(ctx.session, compound_ids=[ctx.compound.id])}
    scale = metres_per_unit(ctx.compound.site_plan)
    for c in video_service.placements(ctx.session, compound_id=ctx.compound.id):
        if c.device_id not in status:
            continue  # its device is retired
        state = "online" if status[c.device_id] == "online" else "offline"
        layer.counts[state] = layer.counts.get(state, 0) + 1
        if c.plan_x is None or c.plan_y is None:
            layer.unplaced += 1
            continue
        layer.markers.append(Marker(c.plan_x, c.plan_y, f"camera-{state}", f"screen.device.{state}"))
        if c.range_m is not None and (c.heading_deg is not None or c.fov_deg >= 360):
            path = sector_path(Sector(c.plan_x, c.plan_y, c.heading_deg or 0, c.fov_deg, c.range_m), scale=scale)
            if path:
                layer.sectors.append((f"camera-{state}", path))
    return layer


def access_layer(ctx: LayerContext) -> Layer:
    """Gates with entries in the last hour and today's in/out (granted passages only)."""
    layer = Layer("access")
    hour_ago = ctx.now - timedelta(hours=1)
    today: Counter[tuple[str, str]] = Counter()
    last_hour: Counter[str] = Counter()
    for p in passage_counts(ctx.session, compound_ids=[ctx.compound.id], since=ctx.since_today):
        if p.point_kind not in GATE_KINDS or p.decision != "allow" or p.point_name is None:
            continue
        today[(p.point_name, p.direction)] += p.count
    for p in passage_counts(ctx.session, compound_ids=[ctx.compound.id], since=hour_ago):
        if p.point_kind in GATE_KINDS and p.decision == "allow" and p.direction == "in" and p.point_name:
            last_hour[p.point_name] += p.count
    names = sorted({n for n, _ in today} | set(last_hour))
    for name in names:
        xy = ctx.gates.get(name) or next((xy for g, xy in ctx.gates.items() if g and g in name), None)
        if xy is None:
            layer.unplaced += 1
            continue
        layer.markers.append(
            Marker(
                xy[0],
                xy[1],
                "gate",
                "screen.marker.gate",
                {"gate": name, "hour": last_hour[name], "in": today[(name, "in")], "out": today[(name, "out")]},
                count=last_hour[name],
            )
        )
    layer.counts = {"in": sum(n for (_, d), n in today.items() if d == "in"), "hour": sum(last_hour.values())}
    layer.counts["out"] = sum(n for (_, d), n in today.items() if d == "out")
    return layer


def patrol_layer(ctx: LayerContext) -> Layer:
    """Patrol routes through their checkpoints' buildings; each checkpoint done (in its interval) or overdue."""
    layer = Layer("patrol")
    board = status_board(ctx.session, compound_id=ctx.compound.id, now=ctx.now)
    by_place: dict[tuple[int, int], list[bool]] = defaultdict(list)
    for row in board:
        point = row["point"]
        overdue = bool(row["overdue"]) or row["last"] is None
        layer.counts["overdue" if overdue else "done"] = layer.counts.get("overdue" if overdue else "done", 0) + 1
        xy = ctx.at_building(getattr(point, "building_id", None), nudge=-18)
        if xy is None:
            layer.unplaced += 1
            continue
        by_place[xy].append(overdue)
    for (x, y), states in by_place.items():
        missed = sum(states)
        layer.markers.append(
            Marker(
                x,
                y,
                "overdue" if missed else "done",
                "screen.marker.patrol",
                {"done": len(states) - missed, "missed": missed},
                count=len(states),
            )
        )
    for route_points in route_checkpoints_of(ctx.session, compound_id=ctx.compound.id).values():
        line = [xy for b in route_points if (xy := ctx.at_building(b, nudge=-18)) is not None]
        if len(line) > 1:
            layer.lines.append(line)
    return layer


def workorders_layer(ctx: LayerContext) -> Layer:
    """Open work orders by building; complaints apart (投诉处理)."""
    layer = Layer("workorders")
    by_place: dict[tuple[int, int], list[str]] = defaultdict(list)
    # Counted in SQL per building, kind and deadline (a compound can have thousands of open orders).
    for _, building_id, complaint, overdue, n in open_order_groups(
        ctx.session, compound_ids=[ctx.compound.id], now=ctx.now
    ):
        kind = "complaint" if complaint else "order"
        layer.counts[kind] = layer.counts.get(kind, 0) + n
        if overdue:
            layer.counts["overdue"] = layer.counts.get("overdue", 0) + n
        xy = ctx.at_building(building_id, nudge=18)
        if xy is None:
            layer.unplaced += n
            continue
        by_place[xy].extend([kind] * n)
    for (x, y), kinds in by_place.items():
        c = kinds.count("complaint")
        layer.markers.append(
            Marker(
                x,
                y,
                "complaint" if c else "order",
                "screen.marker.orders",
                {"n": len(kinds), "complaints": c},
                count=len(kinds),
            )
        )
    return layer


def hotspots_layer(ctx: LayerContext) -> Layer:
    """The top place × hour-of-week cells for thefts next week (see analytics.hotspots and hotspot_cache)."""
    layer = Layer("hotspots")
    # The day's fitted model brought forward to now (analytics.hotspot_cache): the same cells as a fresh fit.
    weights, scale = model_weights(ctx.session, compound_id=ctx.compound.id, now=ctx.now)
    cells = hotspots.rank(weights, scale=scale)[:HOTSPOT_TOP]
    layer.counts["incidents"] = sum(weights.place_n.values())
    names = {b.id: b.name for b in house_service.buildings(ctx.session, compound_id=ctx.compound.id)}
    for rank, c in enumerate(cells, start=1):
        building = int(c.place[2:]) if c.place.startswith("b:") and c.place[2:].isdigit() else None
        xy = ctx.at_building(building, nudge=-36)
        if xy is None:
            layer.unplaced += 1
            continue
        layer.markers.append(
            Marker(
                xy[0],
                xy[1] - 8 * (rank - 1),
                "hot",
                "screen.marker.hotspot",
                {
                    "rank": rank,
                    "day": c.hour_of_week // 24,
                    "hour": c.hour_of_week % 24,
                    "recent": c.recent,
                    "building": names.get(building or 0, ""),
                },
                count=rank,
            )
        )
    return layer


register_layer("alarms", alarms_layer, order=90)  # drawn last: on top
register_layer("devices", devices_layer, order=10)
register_layer("access", access_layer, order=20)
register_layer("cameras", cameras_layer, order=25)
register_layer("patrol", patrol_layer, order=40)
register_layer("workorders", workorders_layer, order=50)
register_layer("hotspots", hotspots_layer, order=60)

__all__ = ["HOTSPOT_HISTORY", "theft_incidents"]  # their home is hotspot_cache; street and endpoints import them here
