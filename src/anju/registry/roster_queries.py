"""Roster queries: what an import matches against and an export lists; the compound scope check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.errors import NotFound
from anju.core.rbac import Permission
from anju.registry.enums import HouseStatus, OccupancyRole, PersonStatus, PersonTagKind
from anju.registry.models import Compound, EmergencyContact, House, Occupancy, Person, PersonTag
from anju.registry.occupancy import open_occupancy_clause

# --- queries ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseRow:
    id: int
    label: str
    compound_id: int


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


class RosterQuery:
    """The roster's batched per-compound queries, so 5,000 rows cost a handful of SELECTs."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def people_keys(self, compound_id: int) -> list[tuple[int, str, str | None, str | None]]:
        """(id, name, id_number_bidx, phone_bidx) of every person in the compound."""
        rows = self.session.execute(
            select(Person.id, Person.name, Person.id_number_bidx, Person.phone_bidx).where(
                Person.compound_id == compound_id
            )
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def active_links(self, compound_id: int) -> list[tuple[int, int, str]]:
        """(person_id, house_id, person name) of every current occupancy in the compound."""
        rows = self.session.execute(
            select(Occupancy.person_id, Occupancy.house_id, Person.name)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Occupancy.compound_id == compound_id, open_occupancy_clause())
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def people(self, ids: list[int]) -> dict[int, Person]:
        return {
            p.id: p
            for chunk in _chunks(ids)
            for p in self.session.execute(select(Person).where(Person.id.in_(chunk))).scalars()
        }

    def houses(self, ids: list[int]) -> dict[int, House]:
        return {
            h.id: h
            for chunk in _chunks(ids)
            for h in self.session.execute(select(House).where(House.id.in_(chunk))).scalars()
        }

    def house_rows(self, ids: list[int]) -> dict[int, HouseRow]:
        """Id, label and compound of these houses (plain rows: a batch needs no ORM objects)."""
        return {
            r.id: HouseRow(r.id, r.label, r.compound_id)
            for chunk in _chunks(ids)
            for r in self.session.execute(select(House.id, House.label, House.compound_id).where(House.id.in_(chunk)))
        }

    def set_house_status(self, ids: list[int], status: HouseStatus) -> None:
        """Set these houses' status where it differs, in one UPDATE per chunk (updated_at as the ORM sets it)."""
        table = House.__table__
        for chunk in _chunks(ids):
            self.session.execute(
                update(table).where(table.c.id.in_(chunk), table.c.status != status).values(status=status)
            )

    def houses_with_open_tenant(self, house_ids: list[int]) -> set[int]:
        """Those of these houses with an open tenant's link."""
        return {
            hid
            for chunk in _chunks(house_ids)
            for hid in self.session.execute(
                select(Occupancy.house_id)
                .where(Occupancy.house_id.in_(chunk), Occupancy.role == OccupancyRole.tenant, open_occupancy_clause())
                .distinct()
            ).scalars()
        }

    def contacts(self, ids: list[int]) -> dict[int, list[EmergencyContact]]:
        out: dict[int, list[EmergencyContact]] = defaultdict(list)
        for chunk in _chunks(ids):
            for c in self.session.execute(
                select(EmergencyContact).where(EmergencyContact.person_id.in_(chunk)).order_by(EmergencyContact.id)
            ).scalars():
                out[c.person_id].append(c)
        return out

    def export_rows(self, compound_id: int) -> list[Any]:
        """Current residents with masked numbers only; ciphertext columns are never selected."""
        return list(
            self.session.execute(
                select(
                    Person.id,
                    Person.name,
                    Person.phone_masked,
                    Person.id_number_masked,
                    Person.population_type,
                    Person.gender,
                    Person.birth_date,
                    House.label,
                    Occupancy.role,
                    Occupancy.lease_end,
                )
                .join(Occupancy, Occupancy.person_id == Person.id)
                .join(House, House.id == Occupancy.house_id)
                .where(
                    Occupancy.compound_id == compound_id,
                    open_occupancy_clause(),
                    Person.status == PersonStatus.active,
                    Person.frozen_at.is_(None),
                )
                .order_by(House.id, Occupancy.id)
            )
        )

    def tags(self, compound_id: int) -> dict[int, list[PersonTagKind]]:
        out: dict[int, list[PersonTagKind]] = defaultdict(list)
        for pid, tag in self.session.execute(
            select(PersonTag.person_id, PersonTag.tag)
            .where(PersonTag.compound_id == compound_id)
            .order_by(PersonTag.id)
        ):
            out[pid].append(tag)
        return out

    def first_contacts(self, compound_id: int) -> dict[int, tuple[str, str | None]]:
        out: dict[int, tuple[str, str | None]] = {}
        for pid, name, masked in self.session.execute(
            select(EmergencyContact.person_id, EmergencyContact.name, EmergencyContact.phone_masked)
            .where(EmergencyContact.compound_id == compound_id)
            .order_by(EmergencyContact.id)
        ):
            out.setdefault(pid, (name, masked))
        return out


def check_scope(session: Session, who: Principal | None, compound_id: int, perm: Permission) -> Compound:
    if who is not None:
        who.require(perm)
    compound = session.get(Compound, compound_id)
    if compound is None or (who is not None and not who.in_scope(compound_id)):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
    return compound
