"""Emergency API: plans, drills, activation (three-level response), role tasks, supplies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.kit.china_time import china_date
from anju.emergency.evacuation_service import evacuation_service
from anju.emergency.exceptions import (
    AlreadyActivated,
    AssemblyPointExists,
    AssemblyPointNotFound,
    BadExitSource,
    BadGeometry,
    BadPlace,
    BuildingNotFound,
    ExitSourceExists,
    ExitSourceNotFound,
    IncidentClosed,
    IncidentNotFound,
    NotEnoughStock,
    PlanNotFound,
    SupplyExists,
    SupplyNotFound,
    TaskDone,
    TaskNotFound,
)
from anju.emergency.models import (
    AssemblyPoint,
    BuildingFloorPlan,
    EmergencyDrill,
    EmergencyIncident,
    EmergencyPlan,
    EmergencyTask,
    EvacuationRun,
    ExitObstructionSource,
    SupplyItem,
)
from anju.emergency.obstruction_service import obstruction_service
from anju.emergency.permissions import EmergencyPerm
from anju.emergency.schemas import (
    Activate,
    AssemblyPointIn,
    AssemblyPointRead,
    CloseIncident,
    CompoundEvacuationRead,
    Draw,
    DrawRead,
    DrillCreate,
    DrillRead,
    EvacuationRead,
    ExitSourceIn,
    ExitSourceRead,
    FloorPlanIn,
    IncidentDetail,
    IncidentRead,
    LiveBlockRead,
    PlanCreate,
    PlanRead,
    Simulate,
    SupplyCreate,
    SupplyRead,
    SupplyUpdate,
    TaskRead,
)
from anju.emergency.service import emergency_service, supply_state

router = APIRouter(prefix="/emergency", tags=["emergency"])
Reader = Annotated[Principal, requires(EmergencyPerm.read)]
Manager = Annotated[Principal, requires(EmergencyPerm.manage)]
Actor = Annotated[Principal, requires(EmergencyPerm.act)]


def _supply(s: SupplyItem) -> SupplyRead:
    return SupplyRead(
        id=s.id,
        compound_id=s.compound_id,
        store=s.store,
        name=s.name,
        unit_label=s.unit_label,
        quantity=s.quantity,
        min_quantity=s.min_quantity,
        expires_on=s.expires_on,
        checked_on=s.checked_on,
        state=supply_state(s, china_date()),
    )


def _detail(session: ReadSession, i: EmergencyIncident) -> IncidentDetail:
    tasks = [TaskRead.model_validate(t) for t in emergency_service.tasks(session, incident=i)]
    draws = [DrawRead.model_validate(d) for d in emergency_service.draws(session, incident=i)]
    run = evacuation_service.for_incident(session, incident_id=i.id)
    return IncidentDetail(
        **IncidentRead.model_validate(i).model_dump(),
        tasks=tasks,
        draws=draws,
        evacuation_seconds=run.seconds if run else None,
    )


@router.post("/plans", response_model=PlanRead, status_code=201, responses={404: PlanNotFound.doc()})
def create_plan(body: PlanCreate, who: Manager, session: WriteSession) -> EmergencyPlan:
    """File an approved plan (roles with ordered checklists, resources, call sheet); it supersedes the previous
    plan of the same kind as a new version."""
    return emergency_service.create_plan(session, by=who, data=body)


@router.get("/plans", response_model=list[PlanRead])
def list_plans(who: Reader, session: ReadSession, compound_id: int = Query()) -> list[EmergencyPlan]:
    """The compound's plans in force."""
    return emergency_service.plans(session, by=who, compound_id=compound_id)


@router.post("/plans/{plan_id}/drills", response_model=DrillRead, status_code=201, responses={404: PlanNotFound.doc()})
def record_drill(plan_id: int, body: DrillCreate, who: Actor, session: WriteSession) -> EmergencyDrill:
    """Record a drill held under the plan (participants, evacuation time, findings)."""
    return emergency_service.record_drill(session, by=who, plan_id=plan_id, data=body)


@router.post(
    "/plans/{plan_id}/activate",
    response_model=IncidentDetail,
    status_code=201,
    responses={404: PlanNotFound.doc(), 409: AlreadyActivated.doc(), 400: BadPlace.doc()},
)
def activate_plan(plan_id: int, body: Activate, who: Manager, session: WriteSession) -> IncidentDetail:
    """Declare an emergency (or an exercise): role tasks by tier, an emergency broadcast (not for an exercise)."""
    i = emergency_service.activate(session, by=who, plan_id=plan_id, data=body)
    return _detail(session, i)


@router.get("/incidents", response_model=list[IncidentRead])
def list_incidents(who: Reader, session: ReadSession, compound_id: int = Query()) -> list[EmergencyIncident]:
    """The compound's incidents and exercises, newest first."""
    return emergency_service.incidents(session, by=who, compound_id=compound_id)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail, responses={404: IncidentNotFound.doc()})
def get_incident(incident_id: int, who: Reader, session: ReadSession) -> IncidentDetail:
    """One incident with its role tasks."""
    return _detail(session, emergency_service.incident(session, by=who, incident_id=incident_id))


@router.post(
    "/incidents/{incident_id}/close",
    response_model=IncidentRead,
    responses={404: IncidentNotFound.doc(), 409: IncidentClosed.doc()},
)
def close_incident(incident_id: int, body: CloseIncident, who: Manager, session: WriteSession) -> EmergencyIncident:
    """Close the incident with the after-action review."""
    return emergency_service.close(session, by=who, incident_id=incident_id, data=body)


@router.post(
    "/tasks/{task_id}/done",
    response_model=TaskRead,
    responses={404: TaskNotFound.doc(), 409: TaskDone.doc()},
)
def finish_task(task_id: int, who: Actor, session: WriteSession) -> EmergencyTask:
    """Tick off one role task (once)."""
    return emergency_service.finish_task(session, by=who, task_id=task_id)


@router.post("/supplies", response_model=SupplyRead, status_code=201, responses={409: SupplyExists.doc()})
def add_supply(body: SupplyCreate, who: Manager, session: WriteSession) -> SupplyRead:
    """Add an item to a supply store."""
    return _supply(emergency_service.add_supply(session, by=who, data=body))


@router.get("/supplies", response_model=list[SupplyRead])
def list_supplies(who: Reader, session: ReadSession, compound_id: int = Query()) -> list[SupplyRead]:
    """Supply stores with each item's state (ok, short, expiring within 30 days, expired)."""
    return [_supply(s) for s in emergency_service.supplies(session, by=who, compound_id=compound_id)]


@router.patch("/supplies/{supply_id}", response_model=SupplyRead, responses={404: SupplyNotFound.doc()})
def inspect_supply(supply_id: int, body: SupplyUpdate, who: Actor, session: WriteSession) -> SupplyRead:
    """Record an inspection (counted quantity) or a renewal (new expiry)."""
    return _supply(emergency_service.inspect_supply(session, by=who, supply_id=supply_id, data=body))


@router.post(
    "/supplies/{supply_id}/draw",
    response_model=SupplyRead,
    responses={404: SupplyNotFound.doc(), 409: NotEnoughStock.doc()},
)
def draw_supply(supply_id: int, body: Draw, who: Actor, session: WriteSession) -> SupplyRead:
    """Take supplies out; the count never goes below zero."""
    return _supply(emergency_service.draw(session, by=who, supply_id=supply_id, quantity=body.quantity))


@router.get("/buildings/{building_id}/floor-plan", response_model=FloorPlanIn, responses={404: BuildingNotFound.doc()})
def get_floor_plan(building_id: int, who: Reader, session: ReadSession) -> FloorPlanIn:
    """The building's typical floor for the evacuation simulation (its template's geometry when not drawn)."""
    b = evacuation_service.building(session, by=who, building_id=building_id)
    fp = evacuation_service.floor_plan(session, building=b)
    return FloorPlanIn(
        template=fp.template,
        geometry=evacuation_service.geometry(fp),
        people_per_floor=fp.people_per_floor,
        elderly_percent=fp.elderly_percent,
    )


@router.put(
    "/buildings/{building_id}/floor-plan",
    response_model=FloorPlanIn,
    responses={404: BuildingNotFound.doc(), 422: BadGeometry.doc()},
)
def put_floor_plan(building_id: int, body: FloorPlanIn, who: Manager, session: WriteSession) -> FloorPlanIn:
    """Choose a template (slab, tower, walk-up) or draw the floor ("custom": outline, exits, flats in metres);
    a geometry that is not a closed polygon or has no exit is refused with the reason."""
    fp: BuildingFloorPlan = evacuation_service.set_floor_plan(session, by=who, building_id=building_id, data=body)
    return FloorPlanIn(
        template=fp.template,
        geometry=evacuation_service.geometry(fp),
        people_per_floor=fp.people_per_floor,
        elderly_percent=fp.elderly_percent,
    )


@router.post(
    "/buildings/{building_id}/evacuation",
    response_model=EvacuationRead,
    status_code=201,
    responses={404: BuildingNotFound.doc(), 422: BadGeometry.doc()},
)
def simulate_evacuation(building_id: int, body: Simulate, who: Actor, session: WriteSession) -> EvacuationRun:
    """Simulate the building's evacuation (JuPedSim), with the listed exits blocked: total time, per-exit flow,
    stairwells, density hot spots."""
    return evacuation_service.simulate(session, by=who, building_id=building_id, blocked=body.blocked)


@router.get("/buildings/{building_id}/evacuation", response_model=list[EvacuationRead])
def list_evacuations(building_id: int, who: Reader, session: ReadSession) -> list[EvacuationRun]:
    """The building's recent simulations, newest first."""
    return evacuation_service.runs(session, by=who, building_id=building_id)


@router.get("/assembly-points", response_model=list[AssemblyPointRead])
def list_assembly_points(who: Reader, session: ReadSession, compound_id: int = Query()) -> list[AssemblyPoint]:
    """The compound's evacuation assembly points on its site plan."""
    return evacuation_service.assembly_points(session, by=who, compound_id=compound_id)


@router.post(
    "/assembly-points",
    response_model=AssemblyPointRead,
    status_code=201,
    responses={404: BuildingNotFound.doc(), 409: AssemblyPointExists.doc(), 422: BadGeometry.doc()},
)
def add_assembly_point(body: AssemblyPointIn, who: Manager, session: WriteSession) -> AssemblyPoint:
    """Put an assembly point (集合点) on the site plan, in the open space (not in a building, not off the plan)."""
    return evacuation_service.add_assembly_point(session, by=who, data=body)


@router.delete("/assembly-points/{point_id}", status_code=204, responses={404: AssemblyPointNotFound.doc()})
def retire_assembly_point(point_id: int, who: Manager, session: WriteSession) -> None:
    """Take an assembly point out of use (its name can be used again)."""
    evacuation_service.retire_assembly_point(session, by=who, point_id=point_id)


@router.post(
    "/evacuation/compound",
    response_model=CompoundEvacuationRead,
    responses={404: BuildingNotFound.doc(), 422: BadGeometry.doc()},
)
def compound_evacuation(who: Actor, session: WriteSession, compound_id: int = Query()) -> CompoundEvacuationRead:
    """The compound to its assembly points: each building routed over the site to a point with room, its own
    evacuation (simulated now where missing) plus the walk; per point the people and the last arrival."""
    estimate = evacuation_service.compound_estimate(session, by=who, compound_id=compound_id, simulate_missing=True)
    return evacuation_service.read_compound(session, by=who, estimate=estimate)


@router.get("/exit-sources", response_model=list[ExitSourceRead])
def list_exit_sources(who: Reader, session: ReadSession, compound_id: int = Query()) -> list[ExitObstructionSource]:
    """The sources bound to the compound's exits and assembly points (video zones, door sensors)."""
    return obstruction_service.sources(session, by=who, compound_id=compound_id)


@router.post(
    "/exit-sources",
    response_model=ExitSourceRead,
    status_code=201,
    responses={404: ExitSourceNotFound.doc(), 409: ExitSourceExists.doc(), 422: BadExitSource.doc()},
)
def bind_exit_source(body: ExitSourceIn, who: Manager, session: WriteSession) -> ExitObstructionSource:
    """Bind a camera's left-object or fire-lane zone, or a door sensor / access terminal / barrier gate, to a
    building's exit or an assembly point: while an obstruction alarm of that source is open in the alarm centre,
    evacuation estimates treat the exit as blocked."""
    return obstruction_service.bind(session, by=who, data=body)


@router.delete("/exit-sources/{source_id}", status_code=204, responses={404: ExitSourceNotFound.doc()})
def unbind_exit_source(source_id: int, who: Manager, session: WriteSession) -> None:
    """Remove a binding."""
    obstruction_service.unbind(session, by=who, source_id=source_id)


@router.get("/exit-blocks", response_model=list[LiveBlockRead])
def live_exit_blocks(who: Reader, session: ReadSession, compound_id: int = Query()) -> list[LiveBlockRead]:
    """Exits and assembly points blocked now, each with the open alarm that blocks it."""
    who.require(EmergencyPerm.read)
    if not who.in_scope(compound_id):
        return []
    blocks = obstruction_service.live(session, compound_id=compound_id)
    return obstruction_service.read_live(session, by=who, blocks=blocks)
