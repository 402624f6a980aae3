"""Read models for the web pages, built on each domain's scoped queries and services.

Pages only read here; every row set starts from a repository's `readable_*`
query (or a service that applies it), so the console can never show more than
the API would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.accounts.service import display_names
from anju.analytics.queries import overview
from anju.core.audit import PiiAccess
from anju.core.auth import Principal
from anju.core.kit.pagination import page_offset, paginate
from anju.core.rbac import KernelPerm
from anju.privacy.models import PrivacyRequest
from anju.privacy.permissions import PrivacyPerm
from anju.privacy.service import privacy_service
from anju.registry.enums import HouseStatus, PersonTagKind, PopulationType
from anju.registry.models import Building, Compound
from anju.registry.schemas import Household, HouseRead, PersonDetail, PersonRead, house_read
from anju.registry.service import compounds_by_id, house_service, person_service, vehicle_service

T = TypeVar("T")
PAGE_SIZE = 20


@dataclass
class PageOf(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def compounds_of(session: Session, who: Principal) -> list[Compound]:
    """The compounds the user may see, oldest first."""
    return compounds_by_id(session, compound_ids=sorted(who.compound_ids))


def dashboard(session: Session, who: Principal, *, compound_id: int | None, today: date) -> dict[str, Any]:
    """Headline counts for the console's landing page."""
    data = overview(session, who=who, compound_id=compound_id, today=today) if compound_id else None
    open_requests = None
    if who.can(PrivacyPerm.manage) and compound_id is not None:
        open_requests = sum(
            1 for r in privacy_service.list_for_staff(session, who=who, status="open") if r.compound_id == compound_id
        )
    return {"overview": data, "open_requests": open_requests}


@dataclass
class UnitView:
    id: int
    number: str
    floors: int
    houses: int
    occupied: int


@dataclass
class BuildingView:
    id: int
    number: str
    name: str
    floors: int
    units: list[UnitView]

    @property
    def houses(self) -> int:
        return sum(u.houses for u in self.units)

    @property
    def occupied(self) -> int:
        return sum(u.occupied for u in self.units)

    @property
    def rate(self) -> int:
        return round(100 * self.occupied / self.houses) if self.houses else 0


def compound_layout(session: Session, compound: Compound) -> dict[str, Any]:
    """Buildings → units with house and occupied counts, and the site plan's shapes."""
    buildings, units = house_service.tree(session, compound_id=compound.id)
    views = {b.id: BuildingView(b.id, b.number, b.name, b.floors, []) for b in buildings}
    for u, n, occupied in units:
        views[u.building_id].units.append(UnitView(u.id, u.number, u.floors, n, occupied))
    by_number = {v.number: v for v in views.values()}
    plan = compound.site_plan or None
    shapes = []
    if plan:
        for s in plan.get("buildings", []):
            shapes.append({**s, "view": by_number.get(str(s.get("building")))})
    return {"buildings": list(views.values()), "plan": plan, "shapes": shapes}


def buildings_of(session: Session, compound_id: int) -> list[Building]:
    return house_service.buildings(session, compound_id=compound_id)


@dataclass
class HouseRow:
    house: HouseRead
    building: str
    unit: str
    occupants: int


def houses_page(
    session: Session,
    who: Principal,
    *,
    compound_id: int,
    building_id: int | None,
    status: HouseStatus | None,
    q: str | None,
    page: int,
) -> PageOf[HouseRow]:
    """A page of houses with their building, unit and number of current occupants."""
    houses, total = house_service.search(
        session,
        who=who,
        compound_id=compound_id,
        building_id=building_id,
        status=status,
        q=q,
        offset=page_offset(page, PAGE_SIZE),
        limit=PAGE_SIZE,
    )
    rows = [HouseRow(house_read(h), b, u, n) for h, b, u, n in house_service.list_rows(session, houses)]
    return PageOf(rows, total, page, PAGE_SIZE)


def residents_page(
    session: Session,
    who: Principal,
    *,
    compound_id: int,
    q: str | None,
    tag: PersonTagKind | None,
    population_type: PopulationType | None,
    page: int,
) -> PageOf[PersonRead]:
    """A page of residents, masked; `q` matches a name, or a full phone or ID number."""
    rows, total = person_service.search(
        session,
        who=who,
        compound_id=compound_id,
        q=q or None,
        tag=tag,
        population_type=population_type,
        house_id=None,
        active_only=True,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    return PageOf(person_service.read_many(session, rows), total, page, PAGE_SIZE)


def person_view(session: Session, who: Principal, person_id: int) -> PersonDetail:
    """One resident, masked, with contacts and occupancy history (404 outside the user's scope)."""
    return person_service.detail(session, person_service.get_readable(session, who=who, person_id=person_id))


@dataclass
class VehicleRow:
    plate: str
    vehicle_class: str
    house: str | None
    owner: str | None


def vehicles_page(
    session: Session, who: Principal, *, compound_id: int, plate: str | None, page: int
) -> PageOf[VehicleRow]:
    """A page of active vehicles with their house label and owner's name."""
    vehicles, total = vehicle_service.search(
        session,
        who=who,
        compound_id=compound_id,
        plate=plate,
        active_only=True,
        offset=page_offset(page, PAGE_SIZE),
        limit=PAGE_SIZE,
    )
    labels, owners = vehicle_service.owners(session, vehicles)
    rows = [
        VehicleRow(
            v.plate,
            str(v.vehicle_class),
            labels.get(v.house_id) if v.house_id else None,
            owners.get(v.person_id) if v.person_id else None,
        )
        for v in vehicles
    ]
    return PageOf(rows, total, page, PAGE_SIZE)


@dataclass
class RequestRow:
    request: PrivacyRequest
    person: str
    overdue: bool
    days_left: int


def privacy_requests(
    session: Session, who: Principal, *, compound_id: int, status: str | None, today: date
) -> list[RequestRow]:
    """Data-subject requests of one compound, earliest deadline first, with the overdue flag."""
    reqs = [r for r in privacy_service.list_for_staff(session, who=who, status=status) if r.compound_id == compound_id]
    names = person_service.names(session, {r.person_id for r in reqs})
    return [
        RequestRow(
            r,
            names.get(r.person_id, f"#{r.person_id}"),
            r.status == "open" and r.due_on < today,
            (r.due_on - today).days,
        )
        for r in reqs
    ]


@dataclass
class AccessRow:
    entry: PiiAccess
    username: str | None


def pii_access_page(session: Session, who: Principal, *, compound_id: int, page: int) -> PageOf[AccessRow]:
    """Newest unmasked-data reads in one compound, with the reader's name."""
    who.require(KernelPerm.audit_read)
    stmt = select(PiiAccess).where(PiiAccess.compound_id == compound_id, PiiAccess.compound_id.in_(who.compound_ids))
    entries, total = paginate(
        session, stmt, order_by=PiiAccess.id.desc(), offset=page_offset(page, PAGE_SIZE), limit=PAGE_SIZE
    )
    users = display_names(session, {e.user_id for e in entries if e.user_id})
    return PageOf(
        [AccessRow(e, users.get(e.user_id) if e.user_id else None) for e in entries], int(total), page, PAGE_SIZE
    )


@dataclass
class MyRequest:
    request: PrivacyRequest
    overdue: bool


def my_home(session: Session, who: Principal, *, today: date) -> dict[str, Any]:
    """A resident's household(s), members masked, vehicles, and their own privacy requests."""
    who.require(AccountsPerm.self_service)
    households: list[Household] = [house_service.household(session, h) for h in house_service.mine(session, who=who)]
    requests = [MyRequest(r, r.status == "open" and r.due_on < today) for r in privacy_service.mine(session, who=who)]
    return {"households": households, "requests": requests}
