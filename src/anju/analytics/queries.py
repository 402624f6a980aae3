"""Aggregates for the 数据大屏 and the street office: counts only, never names (R-P6)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import Principal
from anju.core.errors import NotFound
from anju.registry.models import Building, Compound, House, Occupancy, Person, PersonTag, Vehicle
from anju.registry.occupancy import current_occupancy_clause, occupied_house_count

AGE_BANDS = ((0, 14, "0-14"), (15, 34, "15-34"), (35, 59, "35-59"), (60, 79, "60-79"), (80, 200, "80+"))


def _age_band(birth: date | None, today: date) -> str:
    if birth is None:
        return "unknown"
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    for lo, hi, label in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return "unknown"


def overview(session: Session, *, who: Principal, compound_id: int | None, today: date) -> dict[str, Any]:
    """Population structure, households, tags and vehicles for the caller's compounds."""
    who.require(AnalyticsPerm.read)
    if compound_id is not None:
        if not who.in_scope(compound_id):
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
        ids = [compound_id]
    else:
        ids = sorted(who.compound_ids)
    active = (Person.compound_id.in_(ids), Person.status == "active")
    residents = session.execute(select(func.count()).select_from(Person).where(*active)).scalar_one()
    by_pop = dict(
        session.execute(
            select(Person.population_type, func.count()).where(*active).group_by(Person.population_type)
        ).all()
    )
    by_gender = dict(session.execute(select(Person.gender, func.count()).where(*active).group_by(Person.gender)).all())
    bands: dict[str, int] = {label: 0 for *_, label in AGE_BANDS}
    # Year of birth grouped in SQL keeps this a small result even for 50,000 people.
    for birth, n in session.execute(
        select(Person.birth_date, func.count()).where(*active).group_by(Person.birth_date)
    ).all():
        band = _age_band(birth, today)
        bands[band] = bands.get(band, 0) + int(n)
    by_tag = dict(
        session.execute(
            select(PersonTag.tag, func.count())
            .join(Person, Person.id == PersonTag.person_id)
            .where(*active)
            .group_by(PersonTag.tag)
        ).all()
    )
    houses_by_status = dict(
        session.execute(
            select(House.status, func.count()).where(House.compound_id.in_(ids)).group_by(House.status)
        ).all()
    )
    households = occupied_house_count(session, ids)
    vehicles = dict(
        session.execute(
            select(Vehicle.vehicle_class, func.count())
            .where(Vehicle.compound_id.in_(ids), Vehicle.active.is_(True))
            .group_by(Vehicle.vehicle_class)
        ).all()
    )
    # compound_id tells apart same-named buildings ("1号楼") when several compounds are shown.
    per_building = [
        {"building": name, "compound_id": cid, "residents": int(n)}
        for name, cid, n in session.execute(
            select(Building.name, Building.compound_id, func.count(func.distinct(Occupancy.person_id)))
            .join(House, House.building_id == Building.id)
            .join(Occupancy, (Occupancy.house_id == House.id) & current_occupancy_clause())
            .where(Building.compound_id.in_(ids))
            .group_by(Building.id, Building.name, Building.compound_id)
            .order_by(Building.id)
        ).all()
    ]
    compounds = [
        {"id": c.id, "name": c.name}
        for c in session.execute(select(Compound).where(Compound.id.in_(ids)).order_by(Compound.id)).scalars()
    ]
    return {
        "compounds": compounds,
        "residents": int(residents),
        "households": int(households),
        "houses": {str(k): int(v) for k, v in houses_by_status.items()},
        "population_type": {str(k): int(v) for k, v in by_pop.items()},
        "gender": {str(k) if k else "unknown": int(v) for k, v in by_gender.items()},
        "age_bands": bands,
        "tags": {str(k): int(v) for k, v in by_tag.items()},
        "vehicles": {str(k): int(v) for k, v in vehicles.items()},
        "per_building": per_building,
    }


def people_counts(session: Session, *, compound_ids: list[int], today: date) -> dict[int, dict[str, int]]:
    """Per compound, the few person counts the tiles and the district view show (active residents, floating,
    aged 60+, tagged elderly living alone): the same figures `overview` gives, in three grouped queries."""
    out = {c: {"residents": 0, "floating": 0, "elderly": 0, "elderly_alone": 0} for c in compound_ids}
    active = (Person.compound_id.in_(compound_ids), Person.status == "active")
    for cid, pop, n in session.execute(
        select(Person.compound_id, Person.population_type, func.count())
        .where(*active)
        .group_by(Person.compound_id, Person.population_type)
    ):
        out[cid]["residents"] += int(n)
        if pop == "floating":
            out[cid]["floating"] += int(n)
    for cid, birth, n in session.execute(
        select(Person.compound_id, Person.birth_date, func.count())
        .where(*active)
        .group_by(Person.compound_id, Person.birth_date)
    ):
        if _age_band(birth, today) in ("60-79", "80+"):
            out[cid]["elderly"] += int(n)
    for cid, n in session.execute(
        select(Person.compound_id, func.count())
        .join(PersonTag, PersonTag.person_id == Person.id)
        .where(*active, PersonTag.tag == "elderly_alone")
        .group_by(Person.compound_id)
    ):
        out[cid]["elderly_alone"] += int(n)
    return out
