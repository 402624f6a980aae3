"""Registry API: compounds, buildings, houses, people, vehicles, grids, move-in/out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import CurrentPrincipal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Conflict, Forbidden, NotFound
from anju.core.rbac import Role
from anju.core.schemas import Page, PageParams, page_params
from anju.registry.auth import (
    HouseReader,
    PeopleReader,
    PeopleWriter,
    RegistryReader,
    RegistryWriter,
    VehicleListReader,
)
from anju.registry.enums import HouseStatus, PersonTagKind, PopulationType
from anju.registry.models import (
    Building,
    Compound,
    Grid,
    GridBuilding,
)
from anju.registry.repository import readable_compounds
from anju.registry.schemas import (
    BuildingNode,
    BuildingRead,
    CompoundCreate,
    CompoundRead,
    CompoundTree,
    GridRead,
    HouseRead,
    HouseUpdate,
    MoveIn,
    MoveOut,
    OccupancyRead,
    PersonCreate,
    PersonDetail,
    PersonRead,
    PersonUpdate,
    RevealRequest,
    RevealResult,
    UnitNode,
    VehicleCreate,
    VehicleRead,
    house_read,
)
from anju.registry.service import house_service, move_in, move_out, person_service, vehicle_service

router = APIRouter(tags=["registry"])


@router.get("/compounds", response_model=list[CompoundRead])
def list_compounds(who: HouseReader, session: ReadSession) -> Any:
    """List the compounds the caller may see."""
    return list(session.execute(readable_compounds(who).order_by(Compound.id)).scalars())


@router.post("/compounds", response_model=CompoundRead, status_code=201)
def create_compound(body: CompoundCreate, who: CurrentPrincipal, session: WriteSession) -> Any:
    """Create a compound (platform admin only)."""
    if who.role != Role.platform_admin:
        raise Forbidden("only a platform admin creates compounds", zh="仅平台管理员可创建小区")
    if session.execute(select(Compound.id).where(Compound.code == body.code)).first():
        raise Conflict(f"compound code {body.code} exists", zh="小区编码已存在")
    c = Compound(**body.model_dump())
    session.add(c)
    session.flush()
    return c


def _compound(session: Session, who: CurrentPrincipal, compound_id: int) -> Any:
    c = session.get(Compound, compound_id)
    if c is None or not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
    return c


@router.get("/compounds/{compound_id}", response_model=CompoundRead)
def get_compound(compound_id: int, who: HouseReader, session: ReadSession) -> Any:
    """One compound."""
    return _compound(session, who, compound_id)


@router.get("/compounds/{compound_id}/tree", response_model=CompoundTree)
def compound_tree(compound_id: int, who: RegistryReader, session: ReadSession) -> CompoundTree:
    """Buildings and units of a compound with house and occupancy counts."""
    c = _compound(session, who, compound_id)
    buildings, units = house_service.tree(session, compound_id=c.id)
    by_building: dict[int, list[UnitNode]] = {b.id: [] for b in buildings}
    for u, n, occ in units:
        by_building[u.building_id].append(UnitNode(id=u.id, number=u.number, floors=u.floors, houses=n, occupied=occ))
    return CompoundTree(
        compound=CompoundRead.model_validate(c),
        site_plan=c.site_plan,
        buildings=[
            BuildingNode(id=b.id, number=b.number, name=b.name, floors=b.floors, units=by_building[b.id])
            for b in buildings
        ],
    )


@router.get("/buildings", response_model=list[BuildingRead])
def list_buildings(
    who: RegistryReader, session: ReadSession, compound_id: int | None = Query(None, description="filter by compound")
) -> Any:
    """Buildings in the caller's compounds."""
    q = select(Building).where(Building.compound_id.in_(who.compound_ids))
    if compound_id is not None:
        q = q.where(Building.compound_id == compound_id)
    return list(session.execute(q.order_by(Building.id)).scalars())


@router.get("/houses", response_model=Page[HouseRead])
def list_houses(
    who: HouseReader,
    session: ReadSession,
    pg: PageParams = Depends(page_params),
    compound_id: int | None = None,
    building_id: int | None = None,
    unit_id: int | None = None,
    status: HouseStatus | None = None,
    q: str | None = Query(None, max_length=32, description="label contains"),
) -> Page[HouseRead]:
    """Houses the caller may see, filtered and paginated."""
    rows, total = house_service.search(
        session,
        who=who,
        compound_id=compound_id,
        building_id=building_id,
        unit_id=unit_id,
        status=status,
        q=q,
        offset=pg.offset,
        limit=pg.page_size,
    )
    return Page(items=[house_read(h) for h in rows], total=total, page=pg.page, page_size=pg.page_size)


@router.get("/houses/{house_id}", response_model=HouseRead)
def get_house(house_id: int, who: HouseReader, session: ReadSession) -> HouseRead:
    """One house."""
    return house_read(house_service.get_readable(session, who=who, house_id=house_id))


@router.patch("/houses/{house_id}", response_model=HouseRead)
def update_house(house_id: int, body: HouseUpdate, who: RegistryWriter, session: WriteSession) -> HouseRead:
    """Change a house's areas or status (change-logged)."""
    h = house_service.get_readable(session, who=who, house_id=house_id)
    return house_read(house_service.update(session, who=who, house=h, data=body))


@router.post("/houses/{house_id}/move-in", response_model=OccupancyRead, status_code=201)
def house_move_in(house_id: int, body: MoveIn, who: PeopleWriter, session: WriteSession) -> OccupancyRead:
    """Move a person into a house as owner, co-owner, family member or tenant."""
    h = house_service.get_readable(session, who=who, house_id=house_id)
    o = move_in(session, who=who, house=h, data=body)
    return OccupancyRead(
        id=o.id,
        house_id=o.house_id,
        house_label=h.label,
        person_id=o.person_id,
        role=o.role,
        started_on=o.started_on,
        ended_on=o.ended_on,
        lease_end=o.lease_end,
    )


@router.post("/houses/{house_id}/move-out", response_model=list[OccupancyRead])
def house_move_out(house_id: int, body: MoveOut, who: PeopleWriter, session: WriteSession) -> list[OccupancyRead]:
    """End people's links to a house; their credentials and passes are revoked by event."""
    h = house_service.get_readable(session, who=who, house_id=house_id)
    occs = move_out(session, who=who, house=h, data=body)
    return [
        OccupancyRead(
            id=o.id,
            house_id=o.house_id,
            house_label=h.label,
            person_id=o.person_id,
            role=o.role,
            started_on=o.started_on,
            ended_on=o.ended_on,
            lease_end=o.lease_end,
        )
        for o in occs
    ]


@router.get("/people", response_model=Page[PersonRead])
def list_people(
    who: PeopleReader,
    session: ReadSession,
    pg: PageParams = Depends(page_params),
    compound_id: int | None = None,
    q: str | None = Query(None, max_length=64, description="name contains, or a full phone / ID number"),
    tag: PersonTagKind | None = None,
    population_type: PopulationType | None = None,
    house_id: int | None = None,
    active_only: bool = True,
) -> Page[PersonRead]:
    """Residents the caller may see, masked, searchable and filterable by tag."""
    rows, total = person_service.search(
        session,
        who=who,
        compound_id=compound_id,
        q=q,
        tag=tag,
        population_type=population_type,
        house_id=house_id,
        active_only=active_only,
        offset=pg.offset,
        limit=pg.page_size,
    )
    return Page(items=person_service.read_many(session, rows), total=total, page=pg.page, page_size=pg.page_size)


@router.post("/people", response_model=PersonDetail, status_code=201)
def create_person(body: PersonCreate, who: PeopleWriter, session: WriteSession) -> PersonDetail:
    """Register a person (phone and ID number are encrypted at rest)."""
    return person_service.detail(session, person_service.create(session, who=who, data=body))


@router.get("/people/{person_id}", response_model=PersonDetail)
def get_person(person_id: int, who: PeopleReader, session: ReadSession) -> PersonDetail:
    """One person, masked."""
    return person_service.detail(session, person_service.get_readable(session, who=who, person_id=person_id))


@router.patch("/people/{person_id}", response_model=PersonDetail)
def update_person(person_id: int, body: PersonUpdate, who: PeopleWriter, session: WriteSession) -> PersonDetail:
    """Change a person's data (change-logged with before/after, masked)."""
    p = person_service.get_readable(session, who=who, person_id=person_id)
    return person_service.detail(session, person_service.update(session, who=who, person=p, data=body))


@router.post("/people/{person_id}/reveal", response_model=RevealResult)
def reveal_person_field(person_id: int, body: RevealRequest, who: PeopleReader, session: WriteSession) -> RevealResult:
    """Show an unmasked phone or ID number; the read is written to the audit log with the reason."""
    p = person_service.get_readable(session, who=who, person_id=person_id)
    value = person_service.reveal(session, who=who, person=p, field=body.field, reason=body.reason)
    return RevealResult(person_id=p.id, field=body.field, value=value)


@router.get("/vehicles", response_model=Page[VehicleRead])
def list_vehicles(
    who: VehicleListReader,
    session: ReadSession,
    pg: PageParams = Depends(page_params),
    compound_id: int | None = None,
    plate: str | None = Query(None, max_length=16, description="plate contains"),
) -> Any:
    """Vehicles the caller may see."""
    rows, total = vehicle_service.search(
        session, who=who, compound_id=compound_id, plate=plate, offset=pg.offset, limit=pg.page_size
    )
    return Page(items=list(rows), total=total, page=pg.page, page_size=pg.page_size)


@router.post("/vehicles", response_model=VehicleRead, status_code=201)
def create_vehicle(body: VehicleCreate, who: PeopleWriter, session: WriteSession) -> Any:
    """Register a vehicle to a house or person."""
    return vehicle_service.create(session, who=who, data=body)


@router.get("/grids", response_model=list[GridRead])
def list_grids(who: RegistryReader, session: ReadSession, compound_id: int | None = None) -> list[GridRead]:
    """Grids (网格) and their buildings."""
    q = select(Grid).where(Grid.compound_id.in_(who.compound_ids))
    if compound_id is not None:
        q = q.where(Grid.compound_id == compound_id)
    grids = session.execute(q.order_by(Grid.id)).scalars().all()
    links: dict[int, list[int]] = {g.id: [] for g in grids}
    for gid, bid in session.execute(
        select(GridBuilding.grid_id, GridBuilding.building_id).where(GridBuilding.grid_id.in_(links))
    ):
        links[gid].append(bid)
    return [GridRead(id=g.id, compound_id=g.compound_id, name=g.name, building_ids=links[g.id]) for g in grids]
