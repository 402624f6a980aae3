"""The demo community: 示范小区 (~2,000 houses, ~5,000 residents) and a small second compound.

Deterministic: the same seed builds the same people, phones and plates, so
screenshots and tests can name them. Seed data is written directly (it is not a
staff edit, so it leaves no change records), but personal fields go through the
same encryption helpers as every other write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.accounts.service import account_service
from anju.core.crypto import encrypt, mask_phone
from anju.core.rbac import Role
from anju.registry.enums import (
    Gender,
    HouseStatus,
    OccupancyRole,
    OrganisationKind,
    PersonTagKind,
    PopulationType,
    VehicleClass,
)
from anju.registry.models import (
    Building,
    Compound,
    EmergencyContact,
    Grid,
    GridBuilding,
    House,
    Occupancy,
    Organisation,
    Person,
    PersonTag,
    Unit,
    Vehicle,
)
from anju.registry.occupancy import open_occupancy_clause
from anju.registry.service import set_id_number, set_phone
from anju.sim.names import Faker

DEMO_CODE = "SFXQ"
SECOND_CODE = "XFL"
DEMO_PASSWORD = "anju2026!"
SEED = 20261121
TODAY = date(2026, 11, 1)  # fixed so ages, and so the data, never drift

Progress = Callable[[str, int, int], None]


@dataclass
class CompoundSpec:
    code: str
    name: str
    address: str
    buildings: int
    units: int
    floors: int
    per_floor: int
    grids: int
    elderly_alone: int
    vehicles: int
    target_residents: int


MAIN = CompoundSpec(DEMO_CODE, "示范小区", "北京市朝阳区安居路 88 号", 15, 2, 17, 4, 5, 150, 1200, 5000)
SECOND = CompoundSpec(SECOND_CODE, "幸福里", "北京市朝阳区幸福里 6 号", 2, 1, 6, 2, 1, 4, 20, 50)
# A small 示范小区 for tests: same personas (3-1-0802 exists), ~250 residents.
SMALL = CompoundSpec(DEMO_CODE, "示范小区", "北京市朝阳区安居路 88 号", 3, 2, 8, 2, 3, 6, 40, 250)


@dataclass
class DemoResult:
    compound_ids: dict[str, int]
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # role, username, note
    counts: dict[str, int] = field(default_factory=dict)


def _site_plan(spec: CompoundSpec) -> dict[str, Any]:
    cols = 5
    shapes = []
    for b in range(spec.buildings):
        shapes.append(
            {"building": str(b + 1), "x": 60 + (b % cols) * 180, "y": 60 + (b // cols) * 160, "w": 120, "h": 70}
        )
    return {
        "width": 60 + cols * 180,
        "height": 60 + ((spec.buildings - 1) // cols + 1) * 160 + 40,
        "gates": [{"name": "南门", "x": 400, "y": 0}, {"name": "东门", "x": 960, "y": 250}],
        "buildings": shapes,
    }


def _person(
    fk: Faker, compound_id: int, age: tuple[int, int], surname: str | None = None, local: bool = True
) -> tuple[Person, bool]:
    female = fk.r.random() < 0.5
    birth = fk.birth_date(age[0], age[1], TODAY)
    p = Person(
        compound_id=compound_id,
        name=fk.name(surname),
        gender=Gender.female if female else Gender.male,
        birth_date=birth,
        population_type=PopulationType.registered if local else PopulationType.floating,
    )
    set_phone(p, fk.phone() if age[0] >= 12 else None)
    set_id_number(p, fk.id_number(birth, female, local))
    return p, female


def _build_compound(
    session: Session, fk: Faker, spec: CompoundSpec, *, property_org: int, street_org: int, progress: Progress
) -> dict[str, int]:
    c = Compound(
        code=spec.code,
        name=spec.name,
        address=spec.address,
        district="朝阳区",
        property_org_id=property_org,
        street_org_id=street_org,
        site_plan=_site_plan(spec),
    )
    session.add(c)
    session.flush()
    plan = {s["building"]: s for s in c.site_plan["buildings"]} if c.site_plan else {}
    houses: list[House] = []
    buildings: list[Building] = []
    for b in range(1, spec.buildings + 1):
        bld = Building(
            compound_id=c.id,
            number=str(b),
            name=f"{b}号楼",
            floors=spec.floors,
            plan_x=plan[str(b)]["x"],
            plan_y=plan[str(b)]["y"],
        )
        session.add(bld)
        session.flush()
        buildings.append(bld)
        for u in range(1, spec.units + 1):
            unit = Unit(compound_id=c.id, building_id=bld.id, number=str(u), floors=spec.floors)
            session.add(unit)
            session.flush()
            for fl in range(1, spec.floors + 1):
                for k in range(1, spec.per_floor + 1):
                    num = f"{fl:02d}{k:02d}"
                    area = (
                        Decimal(fk.r.choice((68, 75, 89, 96, 108, 120, 135, 143))) + Decimal(fk.r.randint(0, 99)) / 100
                    )
                    h = House(
                        compound_id=c.id,
                        building_id=bld.id,
                        unit_id=unit.id,
                        floor=fl,
                        number=num,
                        label=f"{b}-{u}-{num}",
                        status=HouseStatus.vacant,
                    )
                    roll = fk.r.random()
                    if roll < 0.85:
                        h.registered_area = area
                    elif roll < 0.95:
                        h.surveyed_area = area
                    else:
                        h.contract_area = area
                    houses.append(h)
        progress("buildings", b, spec.buildings)
    session.add_all(houses)
    session.flush()

    # Households: choose which houses are unsold, vacant, rented, and which hold an elderly person alone.
    order = list(range(len(houses)))
    fk.r.shuffle(order)
    n = len(houses)
    unsold = set(order[: max(1, n * 3 // 100)])
    vacant = set(order[len(unsold) : len(unsold) + n * 6 // 100])
    rest = [i for i in order if i not in unsold and i not in vacant]
    elderly = set(rest[: spec.elderly_alone])
    rented = set(rest[spec.elderly_alone : spec.elderly_alone + len(rest) * 15 // 100])
    # Average household size chosen so the compound lands near its target population.
    occupied = len(rest)
    extra_per_house = max(
        0.0,
        (spec.target_residents - spec.elderly_alone - (occupied - spec.elderly_alone))
        / max(1, occupied - spec.elderly_alone),
    )

    people: list[Person] = []
    occs: list[tuple[int, int, OccupancyRole, date | None]] = []  # (house idx, person idx, role, lease_end)
    tags: list[tuple[int, PersonTagKind]] = []
    contacts: list[tuple[int, str, str, str]] = []

    def add(p: Person) -> int:
        people.append(p)
        return len(people) - 1

    for done, i in enumerate(order):
        h = houses[i]
        if i in unsold:
            h.status = HouseStatus.developer_unsold
            continue
        if i in vacant:
            # Owned but empty: the owner is on record, nobody lives there.
            owner, _ = _person(fk, c.id, (30, 70))
            occs.append((i, add(owner), OccupancyRole.owner, None))
            h.status = HouseStatus.vacant
            continue
        if i in elderly:
            p, _ = _person(fk, c.id, (70, 92))
            pi = add(p)
            occs.append((i, pi, OccupancyRole.owner, None))
            tags.append((pi, PersonTagKind.elderly_alone))
            if fk.r.random() < 0.2:
                tags.append((pi, PersonTagKind.special_care))
            contacts.append((pi, fk.name(p.name[0]), "子女", fk.phone()))
            h.status = HouseStatus.self_occupied
            continue
        if i in rented:
            owner, _ = _person(fk, c.id, (35, 70))
            occs.append((i, add(owner), OccupancyRole.owner, None))
            lease_end = TODAY + timedelta(days=fk.r.randint(30, 700))
            for _ in range(1 + (fk.r.random() < extra_per_house)):
                t, _ = _person(fk, c.id, (20, 50), local=fk.r.random() < 0.3)
                occs.append((i, add(t), OccupancyRole.tenant, lease_end))
            h.status = HouseStatus.rented
            continue
        owner, _owner_female = _person(fk, c.id, (28, 80))
        oi = add(owner)
        occs.append((i, oi, OccupancyRole.owner, None))
        extras = int(extra_per_house) + (fk.r.random() < extra_per_house - int(extra_per_house))
        if extras and fk.r.random() < 0.15:
            co, _ = _person(fk, c.id, (28, 80))
            occs.append((i, add(co), OccupancyRole.co_owner, None))
            extras -= 1
        for k in range(extras):
            # Spouse first, then up to two children, then an elderly parent.
            age = (25, 80) if k == 0 else (0, 17) if k < 3 else (60, 88)
            m, _ = _person(fk, c.id, age, surname=owner.name[0] if 0 < k < 3 else None)
            mi = add(m)
            occs.append((i, mi, OccupancyRole.family, None))
            if age == (0, 17):
                tags.append((mi, PersonTagKind.minor))
        if fk.r.random() < 0.02:
            tags.append((oi, PersonTagKind.disabled))
        h.status = HouseStatus.self_occupied
        if done % 200 == 0:
            progress("households", done, n)
    progress("households", n, n)

    session.add_all(people)
    session.flush()
    progress("residents", len(people), len(people))
    session.add_all(
        Occupancy(
            compound_id=c.id,
            house_id=houses[hi].id,
            person_id=people[pi].id,
            role=role,
            started_on=TODAY - timedelta(days=fk.r.randint(30, 3000)),
            lease_end=lease,
        )
        for hi, pi, role, lease in occs
    )
    session.add_all(PersonTag(compound_id=c.id, person_id=people[pi].id, tag=t) for pi, t in tags)
    session.add_all(
        EmergencyContact(
            compound_id=c.id,
            person_id=people[pi].id,
            name=nm,
            relation=rel,
            phone_enc=encrypt(ph, context="contact.phone"),
            phone_masked=mask_phone(ph),
        )
        for pi, nm, rel, ph in contacts
    )
    session.flush()

    # Vehicles go to occupied households, owner first.
    owners = [
        (hi, pi) for hi, pi, role, _ in occs if role == OccupancyRole.owner and houses[hi].status != HouseStatus.vacant
    ]
    fk.r.shuffle(owners)
    vehicles = []
    for k in range(min(spec.vehicles, len(owners) * 2)):
        hi, pi = owners[k % len(owners)]
        ne = fk.r.random() < 0.25
        vehicles.append(
            Vehicle(
                compound_id=c.id,
                plate=fk.plate(ne),
                house_id=houses[hi].id,
                person_id=people[pi].id,
                vehicle_class=VehicleClass.new_energy if ne else VehicleClass.car,
            )
        )
    session.add_all(vehicles)
    per_grid = max(1, len(buildings) // spec.grids)
    for g in range(spec.grids):
        grid = Grid(compound_id=c.id, name=f"第{g + 1}网格")
        session.add(grid)
        session.flush()
        for bld in buildings[g * per_grid : (g + 1) * per_grid if g < spec.grids - 1 else len(buildings)]:
            session.add(GridBuilding(grid_id=grid.id, building_id=bld.id))
    session.flush()
    return {
        "houses": len(houses),
        "residents": sum(1 for i, _, _, _ in occs if houses[i].status != HouseStatus.vacant),
        "people": len(people),
        "vehicles": len(vehicles),
        "elderly_alone": spec.elderly_alone,
        "compound_id": c.id,
    }


def demo_exists(session: Session) -> bool:
    return session.execute(select(Compound.id).where(Compound.code == DEMO_CODE)).first() is not None


def _resident_li(session: Session, compound_id: int) -> Person:
    """resident_li lives in 3-1-0802 (the style guide's persona): the house's owner."""
    house = session.execute(
        select(House).where(House.compound_id == compound_id, House.label == "3-1-0802")
    ).scalar_one()
    owner = (
        session.execute(
            select(Person)
            .join(Occupancy, Occupancy.person_id == Person.id)
            .where(Occupancy.house_id == house.id, open_occupancy_clause())
            .order_by(Occupancy.id)
        )
        .scalars()
        .first()
    )
    if owner is None or house.status in (HouseStatus.vacant, HouseStatus.developer_unsold):
        house.status = HouseStatus.self_occupied
        owner = Person(compound_id=compound_id, name="李明", gender=Gender.male, birth_date=date(1985, 5, 12))
        set_phone(owner, "13800138000")
        set_id_number(owner, "110105198505120015")
        session.add(owner)
        session.flush()
        session.add(
            Occupancy(
                compound_id=compound_id,
                house_id=house.id,
                person_id=owner.id,
                role=OccupancyRole.owner,
                started_on=date(2020, 1, 1),
            )
        )
        session.flush()
    return owner


def build_demo(
    session: Session,
    *,
    progress: Progress | None = None,
    main_spec: CompoundSpec = MAIN,
    second_spec: CompoundSpec = SECOND,
) -> DemoResult:
    """Build both compounds, organisations and one login per role. Caller commits."""
    prog = progress or (lambda stage, done, total: None)
    fk = Faker(SEED)
    orgs = {
        k: Organisation(name=n, kind=k)
        for k, n in (
            (OrganisationKind.property_company, "安居物业服务有限公司"),
            (OrganisationKind.street_office, "安居街道办事处"),
            (OrganisationKind.developer, "示范置业有限公司"),
        )
    }
    session.add_all(orgs.values())
    session.flush()
    po, so = orgs[OrganisationKind.property_company].id, orgs[OrganisationKind.street_office].id
    main = _build_compound(session, fk, main_spec, property_org=po, street_org=so, progress=prog)
    second = _build_compound(session, fk, second_spec, property_org=po, street_org=so, progress=prog)
    a, b = main["compound_id"], second["compound_id"]
    li = _resident_li(session, a)
    committee_person = (
        session.execute(
            select(Person)
            .join(Occupancy, Occupancy.person_id == Person.id)
            .where(
                Occupancy.compound_id == a,
                Occupancy.role == OccupancyRole.owner,
                open_occupancy_clause(),
                Person.id != li.id,
            )
            .order_by(Person.id)
        )
        .scalars()
        .first()
    )
    assert committee_person is not None
    accounts = [
        (Role.platform_admin, "admin", "平台管理员", [], None, None),
        (Role.property_manager, "manager_wang", "王经理", [a], po, None),
        (Role.property_staff, "staff_liu", "刘师傅", [a], po, None),
        (Role.guard, "guard_chen", "陈保安", [a], po, None),
        (Role.technician, "tech_ma", "马师傅", [a], po, None),
        (Role.grid_worker, "grid_zhou", "周网格员", [a], so, None),
        (Role.resident, "resident_li", li.name, [], None, li.id),
        (Role.committee_member, "committee_sun", committee_person.name, [], None, committee_person.id),
        (Role.gov_viewer, "gov_street", "街道办", [], so, None),
        (Role.property_manager, "outsider_zhao", "赵经理（幸福里）", [b], po, None),
    ]
    result = DemoResult(compound_ids={DEMO_CODE: a, SECOND_CODE: b})
    for k, (role, username, display, compounds, org, person_id) in enumerate(accounts):
        account_service.create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display,
            compound_ids=compounds,
            organisation_id=org,
            person_id=person_id,
        )
        result.logins.append((role.value, username, display))
        prog("accounts", k + 1, len(accounts))
    from anju.sim.devices_demo import register_demo_devices

    devices = register_demo_devices(session, compound_id=a)
    prog("devices", devices, devices)
    from anju.sim.access_demo import build_access_demo

    build_access_demo(session, compound_id=a, li_person_id=li.id)
    prog("access", 1, 1)
    from anju.sim.care_demo import build_care_demo
    from anju.sim.decoration_demo import build_decoration_demo
    from anju.sim.fees_demo import build_fees_demo
    from anju.sim.governance_demo import build_governance_demo
    from anju.sim.parking_demo import build_parking_demo
    from anju.sim.workorders_demo import build_workorders_demo

    for stage, seed in (
        ("governance", build_governance_demo),
        ("fees", build_fees_demo),
        ("workorders", build_workorders_demo),
        ("parking", build_parking_demo),
        ("care", build_care_demo),
        ("decoration", build_decoration_demo),
    ):
        seed(session, compound_id=a, li_person_id=li.id, committee_person_id=committee_person.id)
        prog(stage, 1, 1)
    if main_spec is MAIN:  # six months of incidents for the hot-spot map; the tests' small world stays quiet
        from anju.sim.analytics_demo import build_analytics_demo

        build_analytics_demo(session, compound_id=a, li_person_id=li.id, committee_person_id=committee_person.id)
        prog("analytics", 1, 1)
        from anju.sim.video_demo import CAMERAS, build_video_demo

        # Cameras replaying the shared footage for `anju video-worker` (skipped, logged, without the files).
        cams = build_video_demo(session, compound_id=a, li_person_id=li.id, committee_person_id=committee_person.id)
        prog("video", cams, len(CAMERAS))
        from anju.sim.cameras_demo import build_camera_demo

        # Surveillance cameras placed on the site plan with their fields of view, and the key positions they cover.
        placed = build_camera_demo(session, compound_id=a, li_person_id=li.id, committee_person_id=committee_person.id)
        prog("cameras", placed, placed)
    result.counts = {
        "houses": main["houses"] + second["houses"],
        "residents_main": main["residents"],
        "people": main["people"] + second["people"],
        "vehicles": main["vehicles"] + second["vehicles"],
    }
    return result


DEMO_USERS: list[tuple[str, str, str]] = [
    ("platform_admin", "admin", "平台管理员"),
    ("property_manager", "manager_wang", "王经理 · 示范小区"),
    ("property_staff", "staff_liu", "刘师傅 · 示范小区"),
    ("guard", "guard_chen", "陈保安 · 示范小区"),
    ("technician", "tech_ma", "马师傅 · 维修 · 示范小区"),
    ("grid_worker", "grid_zhou", "周网格员 · 示范小区"),
    ("resident", "resident_li", "住户 · 3-1-0802"),
    ("committee_member", "committee_sun", "业委会委员 · 示范小区"),
    ("gov_viewer", "gov_street", "街道办 · 仅统计"),
    ("property_manager", "outsider_zhao", "赵经理 · 幸福里"),
]
