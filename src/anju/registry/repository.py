"""Every registry query, scoped to what the caller may see (R11)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import Select, case, false, func, or_, select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.crypto import blind_index
from anju.core.kit.pagination import paginate
from anju.registry.enums import PersonTagKind, PopulationType
from anju.registry.models import (
    Building,
    Compound,
    EmergencyContact,
    House,
    Occupancy,
    Person,
    PersonTag,
    Unit,
    Vehicle,
)
from anju.registry.occupancy import current_occupancy_clause, open_occupancy_clause
from anju.registry.permissions import RegistryPerm


def readable_compounds(who: Principal) -> Select[Compound]:
    return select(Compound).where(Compound.id.in_(who.compound_ids))


def readable_houses(who: Principal) -> Select[House]:
    if who.is_staff or who.role.value == "committee_member":
        return select(House).where(House.compound_id.in_(who.compound_ids))
    if who.house_ids:
        return select(House).where(House.id.in_(who.house_ids))
    return select(House).where(false())


def readable_people(who: Principal) -> Select[Person]:
    if who.is_staff:
        if not who.can(RegistryPerm.people_read):  # guards and technicians: no roster (issue 17 item 5)
            return select(Person).where(false())
        return select(Person).where(Person.compound_id.in_(who.compound_ids))
    if who.house_ids:
        # Residents see only the members of their own current household.
        members = select(Occupancy.person_id).where(Occupancy.house_id.in_(who.house_ids), current_occupancy_clause())
        return select(Person).where(Person.id.in_(members))
    return select(Person).where(false())


def readable_vehicles(who: Principal) -> Select[Vehicle]:
    if who.is_staff:
        if not who.can(RegistryPerm.vehicles_read):  # technicians: no plates
            return select(Vehicle).where(false())
        return select(Vehicle).where(Vehicle.compound_id.in_(who.compound_ids))
    return select(Vehicle).where(Vehicle.house_id.in_(who.house_ids or {-1}))


class PersonQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def search(
        self,
        who: Principal,
        *,
        compound_id: int | None,
        q: str | None,
        tag: PersonTagKind | None,
        population_type: PopulationType | None,
        house_id: int | None,
        active_only: bool,
        offset: int,
        limit: int,
    ) -> tuple[list[Person], int]:
        stmt = readable_people(who)
        if compound_id is not None:
            stmt = stmt.where(Person.compound_id == compound_id)
        if q:
            digits = unicodedata.normalize("NFKC", q).replace(" ", "")  # full-width digits too
            conds = [Person.name.contains(q, autoescape=True)]
            if digits.isdigit() and len(digits) == 11:
                conds.append(Person.phone_bidx == blind_index(digits, context="phone"))
            if len(digits) == 18:
                conds.append(Person.id_number_bidx == blind_index(digits, context="id_number"))
            stmt = stmt.where(or_(*conds))
        if tag is not None:
            stmt = stmt.where(Person.id.in_(select(PersonTag.person_id).where(PersonTag.tag == tag)))
        if population_type is not None:
            stmt = stmt.where(Person.population_type == population_type)
        if house_id is not None:
            stmt = stmt.where(
                Person.id.in_(
                    select(Occupancy.person_id).where(Occupancy.house_id == house_id, open_occupancy_clause())
                )
            )
        if active_only:
            stmt = stmt.where(Person.status == "active")
        rows, total = paginate(self.session, stmt, order_by=Person.id, offset=offset, limit=limit)
        return list(rows), int(total)

    def tags_of(self, person_ids: list[int]) -> dict[int, list[PersonTagKind]]:
        out: dict[int, list[PersonTagKind]] = {pid: [] for pid in person_ids}
        if person_ids:
            for pid, tag in self.session.execute(
                select(PersonTag.person_id, PersonTag.tag).where(PersonTag.person_id.in_(person_ids))
            ):
                out[pid].append(tag)
        return out

    def houses_of(self, person_ids: list[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {pid: [] for pid in person_ids}
        if person_ids:
            for pid, label in self.session.execute(
                select(Occupancy.person_id, House.label)
                .join(House, House.id == Occupancy.house_id)
                .where(Occupancy.person_id.in_(person_ids), open_occupancy_clause())
            ):
                out[pid].append(label)
        return out

    def by_id_number(self, compound_id: int, id_number: str) -> Person | None:
        return self.session.execute(
            select(Person).where(
                Person.compound_id == compound_id, Person.id_number_bidx == blind_index(id_number, context="id_number")
            )
        ).scalar_one_or_none()

    def by_phone(self, compound_id: int, phone: str) -> list[Person]:
        return list(
            self.session.execute(
                select(Person).where(
                    Person.compound_id == compound_id, Person.phone_bidx == blind_index(phone, context="phone")
                )
            ).scalars()
        )

    def contacts(self, person_id: int) -> list[EmergencyContact]:
        return list(
            self.session.execute(select(EmergencyContact).where(EmergencyContact.person_id == person_id)).scalars()
        )

    def occupancy_history(self, person_id: int) -> list[tuple[Occupancy, str]]:
        rows = self.session.execute(
            select(Occupancy, House.label)
            .join(House, House.id == Occupancy.house_id)
            .where(Occupancy.person_id == person_id)
            .order_by(Occupancy.id)
        ).all()
        return [(o, str(label)) for o, label in rows]


class HouseQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_label(self, compound_id: int, label: str) -> House | None:
        return self.session.execute(
            select(House).where(House.compound_id == compound_id, House.label == label)
        ).scalar_one_or_none()

    def labels(self, compound_id: int) -> dict[str, int]:
        return dict(self.session.execute(select(House.label, House.id).where(House.compound_id == compound_id)).all())

    def labels_by_id(self, house_ids: set[int]) -> dict[int, str]:
        ids = [h for h in house_ids if h]
        if not ids:
            return {}
        rows = self.session.execute(select(House.id, House.label).where(House.id.in_(ids)))
        return {int(i): str(lb) for i, lb in rows}

    def active_occupancies(self, house_id: int) -> list[Occupancy]:
        return list(
            self.session.execute(
                select(Occupancy).where(Occupancy.house_id == house_id, open_occupancy_clause())
            ).scalars()
        )

    def tree(self, compound_id: int) -> tuple[list[Building], list[tuple[Unit, int, int]]]:
        buildings = list(
            self.session.execute(
                select(Building).where(Building.compound_id == compound_id).order_by(Building.id)
            ).scalars()
        )
        occupied = func.sum(case((House.status.in_(["self_occupied", "rented"]), 1), else_=0))
        units = self.session.execute(
            select(Unit, func.count(House.id), func.coalesce(occupied, 0))
            .outerjoin(House, House.unit_id == Unit.id)
            .where(Unit.compound_id == compound_id)
            .group_by(Unit.id)
            .order_by(Unit.id)
        ).all()
        return buildings, [(u, int(n), int(o)) for u, n, o in units]


class HouseListQuery:
    """The house list (API and console page): filters, a page, and what each row shows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def search(
        self,
        who: Principal,
        *,
        compound_id: int | None,
        building_id: int | None = None,
        unit_id: int | None = None,
        status: str | None = None,
        q: str | None = None,
        offset: int,
        limit: int,
    ) -> tuple[list[House], int]:
        stmt = readable_houses(who)
        if compound_id is not None:
            stmt = stmt.where(House.compound_id == compound_id)
        if building_id is not None:
            stmt = stmt.where(House.building_id == building_id)
        if unit_id is not None:
            stmt = stmt.where(House.unit_id == unit_id)
        if status is not None:
            stmt = stmt.where(House.status == status)
        if q:
            stmt = stmt.where(House.label.contains(q, autoescape=True))
        rows, total = paginate(self.session, stmt, order_by=House.id, offset=offset, limit=limit)
        return list(rows), int(total)

    def building_names(self, building_ids: set[int]) -> dict[int, str]:
        rows = self.session.execute(select(Building.id, Building.name).where(Building.id.in_(building_ids)))
        return {int(i): str(n) for i, n in rows}

    def unit_numbers(self, unit_ids: set[int]) -> dict[int, str]:
        rows = self.session.execute(select(Unit.id, Unit.number).where(Unit.id.in_(unit_ids)))
        return {int(i): str(n) for i, n in rows}

    def occupant_counts(self, house_ids: list[int]) -> dict[int, int]:
        """Current occupants per house (the one occupancy rule)."""
        rows = self.session.execute(
            select(Occupancy.house_id, func.count())
            .where(Occupancy.house_id.in_(house_ids), current_occupancy_clause())
            .group_by(Occupancy.house_id)
        )
        return {int(h): int(n) for h, n in rows}

    def own(self, who: Principal) -> list[House]:
        return list(
            self.session.execute(readable_houses(who).where(House.id.in_(who.house_ids)).order_by(House.id)).scalars()
        )

    def current_members(self, house_id: int) -> list[tuple[Occupancy, Person]]:
        rows = self.session.execute(
            select(Occupancy, Person)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Occupancy.house_id == house_id, current_occupancy_clause())
            .order_by(Occupancy.id)
        ).all()
        return [(o, p) for o, p in rows]

    def active_vehicles(self, house_id: int) -> list[Vehicle]:
        return list(
            self.session.execute(
                select(Vehicle).where(Vehicle.house_id == house_id, Vehicle.active.is_(True))
            ).scalars()
        )

    def buildings(self, compound_id: int) -> list[Building]:
        return list(
            self.session.execute(
                select(Building).where(Building.compound_id == compound_id).order_by(Building.id)
            ).scalars()
        )


class VehicleQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def search(
        self, who: Principal, *, compound_id: int | None, plate: str | None, active_only: bool, offset: int, limit: int
    ) -> tuple[list[Vehicle], int]:
        stmt = readable_vehicles(who)
        if compound_id is not None:
            stmt = stmt.where(Vehicle.compound_id == compound_id)
        if active_only:
            stmt = stmt.where(Vehicle.active.is_(True))
        if plate:
            stmt = stmt.where(Vehicle.plate.contains(plate.strip().upper(), autoescape=True))
        rows, total = paginate(self.session, stmt, order_by=Vehicle.id, offset=offset, limit=limit)
        return list(rows), int(total)

    def person_names(self, person_ids: set[int]) -> dict[int, str]:
        rows = self.session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids)))
        return {int(i): str(n) for i, n in rows}
