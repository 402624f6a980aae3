"""Evacuation estimates for the compound's buildings (issue 16), on the JuPedSim engine in `evacuation.py`.

Each building has a typical floor: a template by building type (slab block, tower, walk-up) or a drawn
geometry, and a number of people per floor. A run simulates that floor in JuPedSim and the stairwells as
queues, with the exits of a what-if removed, and is stored with its result (total time, per-exit flow,
stairwells, density hot spots and the heat map) for the console page, the incident it was made for, and the
drills that compare their measured time with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.emergency import evacuation as ev
from anju.emergency.exceptions import BadGeometry, BuildingNotFound
from anju.emergency.models import BuildingFloorPlan, EmergencyDrill, EvacuationRun
from anju.emergency.permissions import EmergencyPerm
from anju.emergency.schemas import FloorPlanIn
from anju.registry.models import Building


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
        model = ev.without(plan, set(shut))
        res = ev.simulate_building(
            model, b.floors, fp.people_per_floor, elderly_share=fp.elderly_percent / 100, seed=seed
        )
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
            result=_result_json(plan, res),
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
