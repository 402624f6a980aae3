"""Evacuation estimates for the compound's buildings (issue 16), on the JuPedSim engine in `evacuation.py`.

Each building has a typical floor: a template by building type (slab block, tower, walk-up) or a drawn
geometry, and a number of people per floor. A run simulates that floor in JuPedSim and the stairwells as
queues, with the exits of a what-if removed, and is stored with its result (total time, per-exit flow,
stairwells, density hot spots and the heat map) for the console page, the incident it was made for, and the
drills that compare their measured time with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.emergency import evacuation as ev
from anju.emergency.exceptions import AssemblyPointExists, AssemblyPointNotFound, BadGeometry, BuildingNotFound
from anju.emergency.models import AssemblyPoint, BuildingFloorPlan, EmergencyDrill, EvacuationRun
from anju.emergency.obstruction_service import LiveBlock, obstruction_service
from anju.emergency.permissions import EmergencyPerm
from anju.emergency.schemas import (
    AssemblyLoadRead,
    AssemblyPointIn,
    CompoundEvacuationRead,
    FloorPlanIn,
    SiteRouteRead,
)
from anju.registry.models import Building, Compound
from anju.registry.structure_schemas import metres_per_unit


@dataclass
class CompoundEstimate:
    result: ev.CompoundResult
    unplaced: list[str]  # names of buildings not on the site plan
    live: list[LiveBlock]  # the open obstruction alarms blocking exits or assembly points now
    blocked_points: list[int]  # assembly points left out
    blocked: dict[int, list[str]]  # building id → exit keys blocked now


class EvacuationService:
    def building(self, session: Session, *, by: Principal, building_id: int) -> Building:
        by.require(EmergencyPerm.read)
        b = session.get(Building, building_id)
        if b is None or not by.in_scope(b.compound_id):
            raise BuildingNotFound(f"building {building_id}")
        return b

    def floor_plan(self, session: Session, *, building: Building) -> BuildingFloorPlan:
        """The building's stored floor plan, or the default for its height (not stored)."""
        row = session.execute(
            select(BuildingFloorPlan).where(BuildingFloorPlan.building_id == building.id)
        ).scalar_one_or_none()
        if row is not None:
            return row
        template = ev.template_for(building.floors)
        return BuildingFloorPlan(
            compound_id=building.compound_id,
            building_id=building.id,
            template=template,
            geometry=None,
            people_per_floor=ev.TEMPLATE_PEOPLE[template],
            elderly_percent=10,
        )

    def geometry(self, fp: BuildingFloorPlan) -> dict[str, Any]:
        if fp.template == "custom" and fp.geometry:
            return fp.geometry
        return ev.TEMPLATES[fp.template if fp.template in ev.TEMPLATES else "slab"]()

    def set_floor_plan(
        self, session: Session, *, by: Principal, building_id: int, data: FloorPlanIn
    ) -> BuildingFloorPlan:
        """Choose a template or store a drawn geometry; an invalid geometry is refused with the reason (422)."""
        by.require(EmergencyPerm.manage)
        b = self.building(session, by=by, building_id=building_id)
        if data.template == "custom":
            if data.geometry is None:
                raise BadGeometry("a custom floor plan needs its geometry", zh="自定义楼层须提供几何数据")
            ev.parse(data.geometry)  # refuses with the reason
        row = session.execute(
            select(BuildingFloorPlan).where(BuildingFloorPlan.building_id == b.id)
        ).scalar_one_or_none()
        if row is None:
            row = BuildingFloorPlan(compound_id=b.compound_id, building_id=b.id)
            session.add(row)
        row.template = data.template
        row.geometry = data.geometry if data.template == "custom" else None
        row.people_per_floor = data.people_per_floor
        row.elderly_percent = data.elderly_percent
        session.flush()
        return row

    def exits(self, session: Session, *, building: Building) -> list[ev.Exit]:
        return ev.parse(self.geometry(self.floor_plan(session, building=building))).exits

    def simulate(
        self,
        session: Session,
        *,
        by: Principal,
        building_id: int,
        blocked: list[str] | None = None,
        incident_id: int | None = None,
        seed: int = 1,
    ) -> EvacuationRun:
        """Run the building's evacuation (blocked exits removed) and store the result."""
        by.require(EmergencyPerm.read)
        b = self.building(session, by=by, building_id=building_id)
        fp = self.floor_plan(session, building=b)
        plan = ev.parse(self.geometry(fp))
        known = {e.key for e in plan.exits}
        shut = sorted(set(blocked or []) & known)
        if set(blocked or []) - known:
            raise BadGeometry(f"unknown exits: {sorted(set(blocked or []) - known)}", zh="所选出口不在该楼层平面中")
        live = {
            k: v
            for k, v in obstruction_service.blocked_exits(session, compound_id=b.compound_id, building_id=b.id).items()
            if k in known
        }
        shut = sorted(set(shut) | set(live))
        model = ev.without(plan, set(shut))
        res = ev.simulate_building(
            model, b.floors, fp.people_per_floor, elderly_share=fp.elderly_percent / 100, seed=seed
        )
        return self._store(
            session,
            by=by,
            building=b,
            fp=fp,
            plan=plan,
            res=res,
            shut=shut,
            incident_id=incident_id,
            live=_live_json(live, plan),
        )

    def _store(
        self,
        session: Session,
        *,
        by: Principal,
        building: Building,
        fp: BuildingFloorPlan,
        plan: ev.FloorPlan,
        res: ev.BuildingResult,
        shut: list[str],
        incident_id: int | None = None,
        live: list[dict[str, Any]] | None = None,
    ) -> EvacuationRun:
        b = building
        result = _result_json(plan, res)
        result["live"] = live or []  # which open alarm blocked which exit when this ran
        run = EvacuationRun(
            compound_id=b.compound_id,
            building_id=b.id,
            incident_id=incident_id,
            template=fp.template,
            floors=b.floors,
            people=res.people,
            blocked=shut,
            seconds=round(res.seconds),
            floor_seconds=round(res.floor.seconds),
            result=result,
            created_by=by.user_id,
        )
        session.add(run)
        session.flush()
        return run

    def runs(self, session: Session, *, by: Principal, building_id: int, limit: int = 10) -> list[EvacuationRun]:
        b = self.building(session, by=by, building_id=building_id)
        stmt = (
            select(EvacuationRun)
            .where(EvacuationRun.building_id == b.id)
            .order_by(EvacuationRun.id.desc())
            .limit(limit)
        )
        return list(session.execute(stmt).scalars())

    def run(self, session: Session, *, by: Principal, run_id: int) -> EvacuationRun | None:
        by.require(EmergencyPerm.read)
        r = session.get(EvacuationRun, run_id)
        return r if r is not None and by.in_scope(r.compound_id) else None

    def for_incident(self, session: Session, *, incident_id: int) -> EvacuationRun | None:
        stmt = (
            select(EvacuationRun)
            .where(EvacuationRun.incident_id == incident_id)
            .order_by(EvacuationRun.id.desc())
            .limit(1)
        )
        return session.execute(stmt).scalar_one_or_none()

    def latest(self, session: Session, *, compound_id: int) -> dict[int, EvacuationRun]:
        """The newest unblocked run of each building (what drills compare their measured time with)."""
        stmt = (
            select(EvacuationRun)
            .where(EvacuationRun.compound_id == compound_id)
            .order_by(EvacuationRun.id.desc())
            .limit(500)
        )
        out: dict[int, EvacuationRun] = {}
        for r in session.execute(stmt).scalars():
            if not r.blocked:
                out.setdefault(r.building_id, r)
        return out

    def drill_comparison(
        self, session: Session, *, by: Principal, compound_id: int, limit: int = 20
    ) -> list[tuple[EmergencyDrill, str, EvacuationRun | None]]:
        """Recent drills with the building they evacuated and its newest simulation (measured vs simulated)."""
        by.require(EmergencyPerm.read)
        if not by.in_scope(compound_id):
            return []
        stmt = (
            select(EmergencyDrill)
            .where(EmergencyDrill.compound_id == compound_id)
            .order_by(EmergencyDrill.held_at.desc())
            .limit(limit)
        )
        drills = list(session.execute(stmt).scalars())
        latest = self.latest(session, compound_id=compound_id)
        from anju.registry.service import house_service

        names = {b.id: b.name for b in house_service.buildings(session, compound_id=compound_id)}
        return [
            (d, names.get(d.building_id, ""), latest.get(d.building_id)) if d.building_id else (d, "", None)
            for d in drills
        ]

    # --- the compound to its assembly points --------------------------------------------------------------------
    def _compound(self, session: Session, *, by: Principal, compound_id: int) -> Compound:
        by.require(EmergencyPerm.read)
        c = session.get(Compound, compound_id)
        if c is None or not by.in_scope(compound_id):
            raise BuildingNotFound(f"compound {compound_id}")
        return c

    def _site(self, c: Compound) -> tuple[float, float, float, dict[str, tuple[float, float, float, float]]]:
        """The site plan's size, metres per plan unit and each building's footprint (by building number)."""
        plan = c.site_plan or {}
        shapes = {
            str(s["building"]): (float(s["x"]), float(s["y"]), float(s["w"]), float(s["h"]))
            for s in plan.get("buildings", [])
            if all(k in s for k in ("building", "x", "y", "w", "h"))
        }
        scale = metres_per_unit(plan)
        return float(plan.get("width") or 0), float(plan.get("height") or 0), scale, shapes

    def assembly_points(self, session: Session, *, by: Principal, compound_id: int) -> list[AssemblyPoint]:
        self._compound(session, by=by, compound_id=compound_id)
        stmt = (
            select(AssemblyPoint)
            .where(AssemblyPoint.compound_id == compound_id, AssemblyPoint.active.is_(True))
            .order_by(AssemblyPoint.id)
        )
        return list(session.execute(stmt).scalars())

    def add_assembly_point(self, session: Session, *, by: Principal, data: AssemblyPointIn) -> AssemblyPoint:
        """An assembly point on the site plan; refused (422) off the plan or inside a building, 409 on a name
        already used (a retired point with that name comes back)."""
        by.require(EmergencyPerm.manage)
        c = self._compound(session, by=by, compound_id=data.compound_id)
        width, height, _scale, shapes = self._site(c)
        ev.check_point(ev.site_area(width, height, list(shapes.values())), data.plan_x, data.plan_y)
        row = session.execute(
            select(AssemblyPoint).where(AssemblyPoint.compound_id == c.id, AssemblyPoint.name == data.name)
        ).scalar_one_or_none()
        if row is not None and row.active:
            raise AssemblyPointExists(f"assembly point {data.name!r} exists")
        if row is None:
            row = AssemblyPoint(compound_id=c.id, name=data.name)
            session.add(row)
        row.plan_x, row.plan_y, row.capacity, row.active = data.plan_x, data.plan_y, data.capacity, True
        session.flush()
        return row

    def retire_assembly_point(self, session: Session, *, by: Principal, point_id: int) -> None:
        by.require(EmergencyPerm.manage)
        row = session.get(AssemblyPoint, point_id)
        if row is None or not by.in_scope(row.compound_id):
            raise AssemblyPointNotFound(f"assembly point {point_id}")
        row.active = False
        session.flush()

    def _runs_by_blocked(
        self, session: Session, *, compound_id: int
    ) -> dict[tuple[int, tuple[str, ...]], EvacuationRun]:
        """The newest run of each building for each set of blocked exits."""
        stmt = (
            select(EvacuationRun)
            .where(EvacuationRun.compound_id == compound_id)
            .order_by(EvacuationRun.id.desc())
            .limit(1000)
        )
        out: dict[tuple[int, tuple[str, ...]], EvacuationRun] = {}
        for r in session.execute(stmt).scalars():
            out.setdefault((r.building_id, tuple(sorted(r.blocked or []))), r)
        return out

    def compound_estimate(
        self, session: Session, *, by: Principal, compound_id: int, simulate_missing: bool = False
    ) -> CompoundEstimate:
        """Every placed building to an assembly point: its newest simulation with the exits that open obstruction
        alarms block now (none: unblocked; run now for those without one when `simulate_missing`; identical
        buildings share one JuPedSim run) plus the walk over the site, with and without crowding. Assembly points
        an open obstruction alarm blocks are left out."""
        from anju.registry.service import house_service

        c = self._compound(session, by=by, compound_id=compound_id)
        if simulate_missing:
            by.require(EmergencyPerm.act)
        width, height, scale, shapes = self._site(c)
        live = obstruction_service.live(session, compound_id=c.id)
        shut_points = sorted({lb.source.assembly_point_id for lb in live if lb.source.assembly_point_id is not None})
        all_points = self.assembly_points(session, by=by, compound_id=c.id)
        points = [p for p in all_points if p.id not in shut_points]
        if all_points and not points:
            raise BadGeometry("every assembly point is blocked", zh="所有集合点均被堵塞")
        runs = self._runs_by_blocked(session, compound_id=c.id)
        cache: dict[str, tuple[ev.FloorPlan, ev.BuildingResult]] = {}
        placed: list[ev.SiteBuilding] = []
        unplaced: list[str] = []
        blocked: dict[int, list[str]] = {}
        elderly = 0.0
        for b in house_service.buildings(session, compound_id=c.id):
            rect = shapes.get(b.number)
            if rect is None:
                unplaced.append(b.name)
                continue
            fp = self.floor_plan(session, building=b)
            elderly = max(elderly, fp.elderly_percent / 100)
            mine = {lb.source.exit_key: lb for lb in live if lb.source.building_id == b.id and lb.source.exit_key}
            shut: list[str] = []
            plan: ev.FloorPlan | None = None
            if mine:
                plan = ev.parse(self.geometry(fp))
                shut = sorted(set(mine) & {e.key for e in plan.exits})
                blocked[b.id] = shut
            run = runs.get((b.id, tuple(shut)))
            if run is not None and (run.template != fp.template or run.people != fp.people_per_floor * b.floors):
                run = None  # made for an earlier floor plan: not this building's estimate any more
            if run is None and simulate_missing:
                geometry = self.geometry(fp)
                key = repr((geometry, b.floors, fp.people_per_floor, fp.elderly_percent, shut))
                if key not in cache:
                    plan = plan or ev.parse(geometry)
                    cache[key] = (
                        plan,
                        ev.simulate_building(
                            ev.without(plan, set(shut)),
                            b.floors,
                            fp.people_per_floor,
                            elderly_share=fp.elderly_percent / 100,
                        ),
                    )
                plan, res = cache[key]
                by_exit = {
                    k: [lb for lb in live if lb.source.building_id == b.id and lb.source.exit_key == k] for k in shut
                }
                run = self._store(
                    session, by=by, building=b, fp=fp, plan=plan, res=res, shut=shut, live=_live_json(by_exit, plan)
                )
            placed.append(
                ev.SiteBuilding(
                    key=b.id,
                    name=b.name,
                    rect=rect,
                    people=run.people if run is not None else fp.people_per_floor * b.floors,
                    seconds=float(run.seconds) if run is not None else None,
                    discharge=sum(float(s.get("flow") or 0) for s in run.result.get("stairs", [])) or None
                    if run is not None
                    else None,
                )
            )
        result = ev.compound_to_assembly(
            width,
            height,
            placed,
            [ev.SitePoint(key=p.id, name=p.name, x=p.plan_x, y=p.plan_y, capacity=p.capacity) for p in points],
            metres_per_unit=scale,
            elderly_share=elderly,
            path_width=float((c.site_plan or {}).get("path_width_m") or ev.PATH_WIDTH),
        )
        return CompoundEstimate(result, unplaced, live, shut_points, blocked)

    def read_compound(self, session: Session, *, by: Principal, estimate: CompoundEstimate) -> CompoundEvacuationRead:
        result = estimate.result
        return CompoundEvacuationRead(
            seconds=result.seconds,
            crowded_seconds=result.crowded_seconds,
            metres_per_unit=result.metres_per_unit,
            routes=[
                SiteRouteRead(
                    building_id=r.building.key,
                    building_name=r.building.name,
                    people=r.building.people,
                    building_seconds=r.building.seconds,
                    assembly_point_id=r.point.key if r.point else None,
                    assembly_point_name=r.point.name if r.point else None,
                    metres=r.metres,
                    walk_seconds=r.walk_seconds,
                    total_seconds=r.total_seconds,
                    crowded_seconds=r.crowded_seconds,
                    over_capacity=r.over_capacity,
                    route=[[round(x, 1), round(y, 1)] for x, y in r.route],
                    blocked_exits=estimate.blocked.get(r.building.key, []),
                )
                for r in result.routes
            ],
            assembly_points=[
                AssemblyLoadRead(
                    id=k,
                    name=v["name"],
                    capacity=v["capacity"],
                    people=v["people"],
                    last_arrival_seconds=v["last"],
                    crowded_last_arrival_seconds=v.get("crowded_last"),
                    buildings=v["buildings"],
                )
                for k, v in result.points.items()
            ],
            unplaced_buildings=estimate.unplaced,
            blocked_points=estimate.blocked_points,
            live_blocks=obstruction_service.read_live(session, by=by, blocks=estimate.live),
            bottlenecks=[[x, y, w, n] for x, y, w, n in result.bottlenecks],
        )


def _live_json(live: dict[str, list[LiveBlock]], plan: ev.FloorPlan) -> list[dict[str, Any]]:
    """Which open alarm blocked which exit when a run was made (kept with the run: the alarm may close later)."""
    names = {e.key: e.name for e in plan.exits}
    return [
        {
            "exit": k,
            "exit_name": names.get(k, k),
            "alarm_id": lb.alarm.id,
            "alarm_title": lb.alarm.title,
            "alarm_kind": lb.alarm.kind,
        }
        for k in sorted(live)
        for lb in live[k]
    ]


def _result_json(plan: ev.FloorPlan, res: ev.BuildingResult) -> dict[str, Any]:
    f = res.floor
    return {
        "finished": f.finished,
        "floor_people": f.people,
        "exits": [
            {
                "key": e.key,
                "name": e.name,
                "width": e.width,
                "people": e.people,
                "first": e.first,
                "last": e.last,
                "flow": round(e.flow, 3),
                "specific_flow": round(e.specific_flow, 3),
            }
            for e in f.exits
        ],
        "stairs": res.stairs,
        "hot": [[round(x, 1), round(y, 1), round(d, 1)] for x, y, d in f.hot_spots()],
        "heat": [[cx, cy, round(d, 1)] for (cx, cy), d in sorted(f.heat.items())],
        "outline": [[x, y] for x, y in plan.outline],
        "exit_areas": {e.key: [[x, y] for x, y in e.area] for e in plan.exits},
        "cell": ev.CELL,
        "hot_density": ev.HOT_DENSITY,
        "model": {
            "engine": "jupedsim 1.4.2 CollisionFreeSpeedModel",
            "stair_flow": ev.STAIR_FLOW,
            "stair_seconds_per_storey": ev.STAIR_SECONDS_PER_STOREY,
        },
    }


evacuation_service = EvacuationService()
