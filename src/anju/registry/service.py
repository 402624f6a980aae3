"""Registry rules: people with encrypted personal data, houses, vehicles, move-in/out flows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.audit import audited_update, record_change, record_pii_access
from anju.core.auth import Principal
from anju.core.crypto import blind_index, decrypt, encrypt, mask_id_number, mask_name, mask_phone, mask_plate
from anju.core.errors import Conflict, Forbidden, Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.registry.enums import HouseStatus, OccupancyRole, PersonStatus, PersonTagKind, PopulationType
from anju.registry.events import PersonErased, ResidentMovedIn, ResidentMovedOut
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
from anju.registry.repository import (
    HouseListQuery,
    HouseQuery,
    PersonQuery,
    VehicleQuery,
    readable_houses,
    readable_people,
    readable_vehicles,
)
from anju.registry.schemas import (
    EmergencyContactIn,
    EmergencyContactRead,
    Household,
    HouseholdMember,
    HouseUpdate,
    MoveIn,
    MoveOut,
    OccupancyRead,
    PersonCreate,
    PersonDetail,
    PersonRead,
    PersonUpdate,
    VehicleCreate,
    VehicleRead,
    house_read,
)
from anju.registry.structure_service import refuse_area_change_during_vote

PII_FIELDS = ("phone", "id_number")


@dataclass(frozen=True)
class ResidentFacts:
    """One current occupancy with the facts audiences are drawn from (no name, no contact)."""

    person_id: int
    house_id: int
    role: OccupancyRole
    birth_date: date | None
    population_type: PopulationType
    tags: tuple[PersonTagKind, ...]


def person_snapshot(p: Person, tags: list[PersonTagKind] | None = None) -> dict[str, Any]:
    """What a change record keeps of a person: masked name, phone and ID number only.

    Change records are append-only (R-P5), so whatever they hold outlives an erasure
    (R-P4); they keep nothing that identifies the person in plaintext.
    """
    return {
        "name": mask_name(p.name),
        "gender": p.gender,
        "birth_date": f"{p.birth_date:%Y}-**-**" if p.birth_date else None,
        "phone": p.phone_masked,
        "id_number": p.id_number_masked,
        "population_type": p.population_type,
        "status": p.status,
        "tags": sorted(t.value for t in (tags or [])),
    }


def house_snapshot(h: House) -> dict[str, Any]:
    return {
        "status": h.status,
        "registered_area": str(h.registered_area) if h.registered_area is not None else None,
        "surveyed_area": str(h.surveyed_area) if h.surveyed_area is not None else None,
        "contract_area": str(h.contract_area) if h.contract_area is not None else None,
    }


def set_phone(p: Person, phone: str | None) -> None:
    p.phone_enc = encrypt(phone, context="person.phone")
    p.phone_bidx = blind_index(phone, context="phone")
    p.phone_masked = mask_phone(phone)


def set_id_number(p: Person, id_number: str | None) -> None:
    p.id_number_enc = encrypt(id_number, context="person.id_number")
    p.id_number_bidx = blind_index(id_number, context="id_number")
    p.id_number_masked = mask_id_number(id_number)


def contact_row(compound_id: int, c: EmergencyContactIn) -> EmergencyContact:
    return EmergencyContact(
        compound_id=compound_id,
        name=c.name,
        relation=c.relation,
        phone_enc=encrypt(c.phone, context="contact.phone"),
        phone_masked=mask_phone(c.phone),
    )


class PersonService:
    def get_readable(self, session: Session, *, who: Principal, person_id: int) -> Person:
        """A person the caller may see; anything else is simply not found (R11)."""
        p = session.execute(readable_people(who).where(Person.id == person_id)).scalar_one_or_none()
        if p is None:
            raise NotFound(f"person {person_id} not found", zh="未找到该人员")
        return p

    def search(
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int | None,
        q: str | None,
        tag: PersonTagKind | None,
        population_type: PopulationType | None,
        house_id: int | None = None,
        active_only: bool,
        offset: int,
        limit: int,
    ) -> tuple[list[Person], int]:
        """People the caller may see (a name, or a full phone or ID number in `q`), one page, and the total."""
        return PersonQuery(session).search(
            who,
            compound_id=compound_id,
            q=q,
            tag=tag,
            population_type=population_type,
            house_id=house_id,
            active_only=active_only,
            offset=offset,
            limit=limit,
        )

    def read_many(self, session: Session, people: list[Person]) -> list[PersonRead]:
        """People as the API and the pages show them: masked, with tags and current houses."""
        ids = [p.id for p in people]
        q = PersonQuery(session)
        tags, houses = q.tags_of(ids), q.houses_of(ids)
        return [
            PersonRead(
                id=p.id,
                compound_id=p.compound_id,
                name=p.name,
                gender=p.gender,
                birth_date=p.birth_date,
                phone_masked=p.phone_masked,
                id_number_masked=p.id_number_masked,
                population_type=p.population_type,
                status=p.status,
                tags=tags[p.id],
                houses=houses[p.id],
            )
            for p in people
        ]

    def detail(self, session: Session, p: Person) -> PersonDetail:
        """One person, masked, with emergency contacts and the whole occupancy history."""
        base = self.read_many(session, [p])[0]
        q = PersonQuery(session)
        return PersonDetail(
            **base.model_dump(),
            contacts=[EmergencyContactRead.model_validate(c) for c in q.contacts(p.id)],
            occupancies=[
                OccupancyRead(
                    id=o.id,
                    house_id=o.house_id,
                    house_label=label,
                    person_id=o.person_id,
                    role=o.role,
                    started_on=o.started_on,
                    ended_on=o.ended_on,
                    lease_end=o.lease_end,
                )
                for o, label in q.occupancy_history(p.id)
            ],
        )

    def names(self, session: Session, person_ids: set[int]) -> dict[int, str]:
        """People's names by id (staff pages)."""
        return VehicleQuery(session).person_names(person_ids)

    def tags(self, session: Session, person_id: int) -> list[PersonTagKind]:
        return PersonQuery(session).tags_of([person_id])[person_id]

    def tags_of(self, session: Session, person_ids: list[int]) -> dict[int, list[PersonTagKind]]:
        """Tags of several people at once (one query)."""
        return PersonQuery(session).tags_of(person_ids)

    def current_residents(
        self, session: Session, *, compound_id: int, building_id: int | None = None
    ) -> list[ResidentFacts]:
        """Everyone living in the compound (or one building) today, with what audiences are drawn from:
        house, occupancy role, birth date, population type and tags (safety-education targeting, issue 18)."""
        q = (
            select(Occupancy.person_id, Occupancy.house_id, Occupancy.role, Person.birth_date, Person.population_type)
            .join(Person, Person.id == Occupancy.person_id)
            .join(House, House.id == Occupancy.house_id)
            .where(
                Occupancy.compound_id == compound_id,
                current_occupancy_clause(),
                Person.status == PersonStatus.active,
                Person.frozen_at.is_(None),
            )
        )
        if building_id is not None:
            q = q.where(House.building_id == building_id)
        rows = session.execute(q).all()
        tags = PersonQuery(session).tags_of(sorted({r[0] for r in rows}))
        return [
            ResidentFacts(pid, hid, OccupancyRole(role), born, PopulationType(pop), tuple(tags.get(pid, [])))
            for pid, hid, role, born, pop in rows
        ]

    def contacts_for_edit(self, session: Session, person: Person) -> list[EmergencyContactIn]:
        """A person's emergency contacts as inputs (phones in the clear), in the order they were added.

        For an edit form that keeps the contacts the user did not retype: `update` replaces the whole
        list, so the kept ones are sent back as they are. Never for display (show `detail`'s masked ones)."""
        rows = sorted(PersonQuery(session).contacts(person.id), key=lambda c: c.id)
        return [
            EmergencyContactIn.model_construct(
                name=c.name, relation=c.relation, phone=decrypt(c.phone_enc, context="contact.phone")
            )
            for c in rows
        ]

    def create(self, session: Session, *, who: Principal | None, data: PersonCreate) -> Person:
        if who is not None:
            who.require(RegistryPerm.people_write)
            if not who.in_scope(data.compound_id):
                raise NotFound(f"compound {data.compound_id} not found", zh="未找到该小区")
        if data.id_number and PersonQuery(session).by_id_number(data.compound_id, data.id_number):
            raise Conflict(
                "a person with this ID number already exists",
                zh="身份证号已存在",
                fields=[{"field": "id_number", "message": "duplicate"}],
            )
        p = Person(
            compound_id=data.compound_id,
            name=data.name,
            gender=data.gender,
            birth_date=data.birth_date,
            population_type=data.population_type,
            status=PersonStatus.active,
        )
        set_phone(p, data.phone)
        set_id_number(p, data.id_number)
        session.add(p)
        session.flush()
        self._set_tags(session, p, data.tags)
        for c in data.contacts:
            row = contact_row(p.compound_id, c)
            row.person_id = p.id
            session.add(row)
        session.flush()
        record_change(
            session,
            user_id=who.user_id if who else None,
            compound_id=p.compound_id,
            entity="person",
            entity_id=p.id,
            action="create",
            before=None,
            after=person_snapshot(p, data.tags),
        )
        return p

    def _set_tags(self, session: Session, p: Person, tags: list[PersonTagKind]) -> None:
        session.execute(delete(PersonTag).where(PersonTag.person_id == p.id))
        for t in sorted(set(tags)):
            session.add(PersonTag(compound_id=p.compound_id, person_id=p.id, tag=t))

    def update(self, session: Session, *, who: Principal | None, person: Person, data: PersonUpdate) -> Person:
        if who is not None:
            who.require(RegistryPerm.people_write)
        if person.status == PersonStatus.erased or person.frozen_at is not None:
            raise Conflict("this person's data is erased or frozen", zh="该人员数据已删除或冻结")
        old_tags = self.tags(session, person.id)
        before = person_snapshot(person, old_tags)
        fields = data.model_fields_set
        # Which fields really changed, judged on the real values: the masked snapshots
        # can be equal although the data changed (138****5678 hides the middle digits).
        changed: list[str] = []
        for name in ("name", "gender", "birth_date", "population_type"):
            if name in fields and getattr(data, name) is not None:
                if getattr(person, name) != getattr(data, name):
                    changed.append(name)
                setattr(person, name, getattr(data, name))
        if "phone" in fields:
            if person.phone_bidx != blind_index(data.phone, context="phone"):
                changed.append("phone")
            set_phone(person, data.phone)
        if "id_number" in fields:
            if data.id_number:
                other = PersonQuery(session).by_id_number(person.compound_id, data.id_number)
                if other is not None and other.id != person.id:
                    raise Conflict(
                        "a person with this ID number already exists",
                        zh="身份证号已存在",
                        fields=[{"field": "id_number", "message": "duplicate"}],
                    )
            if person.id_number_bidx != blind_index(data.id_number, context="id_number"):
                changed.append("id_number")
            set_id_number(person, data.id_number)
        tags = old_tags
        if data.tags is not None:
            if set(data.tags) != set(old_tags):
                changed.append("tags")
            self._set_tags(session, person, data.tags)
            tags = data.tags
        if data.contacts is not None:
            changed.append("contacts")
            session.execute(delete(EmergencyContact).where(EmergencyContact.person_id == person.id))
            for c in data.contacts:
                row = contact_row(person.compound_id, c)
                row.person_id = person.id
                session.add(row)
        session.flush()
        if changed:
            record_change(
                session,
                user_id=who.user_id if who else None,
                compound_id=person.compound_id,
                entity="person",
                entity_id=person.id,
                action="update",
                before=before,
                after={**person_snapshot(person, tags), "changed": changed},
            )
        return person

    def reveal(self, session: Session, *, who: Principal, person: Person, field: str, reason: str) -> str | None:
        """The unmasked phone or ID number, for a role that needs it; always audited."""
        if person.id != who.person_id:  # anyone may see their own numbers
            who.require(RegistryPerm.people_unmask)
        if person.frozen_at is not None:
            raise Conflict("this person's data is frozen", zh="该人员数据已冻结")
        approval_id = _unmask_approval(session, who=who, person=person)
        value = decrypt(getattr(person, f"{field}_enc"), context=f"person.{field}")
        if approval_id is not None:
            reason = f"{reason} [minor-access #{approval_id}]"
        record_pii_access(
            session,
            user_id=who.user_id,
            compound_id=person.compound_id,
            subject=f"person:{person.id}",
            field=field,
            reason=reason,
        )
        return value

    def number_for_call(
        self, session: Session, *, who: Principal, compound_id: int, person_ids: Sequence[int], reason: str
    ) -> str | None:
        """The number behind a call through the platform, for a caller without unmask rights (a technician
        calling the household of their order): the calling domain has decided the caller may call these people.
        The first of `person_ids` in the compound with a number, not frozen and passing the privacy guards
        (a minor needs an approval) is dialled; the number goes to the phone's dialer, never on a page, and
        the access is audited with its reason. None: nobody to call."""
        for person_id in person_ids:
            p = session.get(Person, person_id)
            if p is None or p.compound_id != compound_id or p.frozen_at is not None or not p.phone_enc:
                continue
            try:
                approval_id = _unmask_approval(session, who=who, person=p)
            except Forbidden:
                continue  # a minor without an approval: try the next member
            if approval_id is not None:
                reason = f"{reason} [minor-access #{approval_id}]"
            record_pii_access(
                session,
                user_id=who.user_id,
                compound_id=compound_id,
                subject=f"person:{p.id}",
                field="phone",
                reason=reason,
            )
            return decrypt(p.phone_enc, context="person.phone")
        return None

    def erase(self, session: Session, *, who: Principal | None, person: Person) -> None:
        """Delete a person's personal data (R-P4); the row stays as a tombstone for history."""
        before = person_snapshot(person, self.tags(session, person.id))
        person.name = f"已删除#{person.id}"
        set_phone(person, None)
        set_id_number(person, None)
        person.birth_date = None
        person.gender = None
        person.status = PersonStatus.erased
        session.execute(delete(PersonTag).where(PersonTag.person_id == person.id))
        session.execute(delete(EmergencyContact).where(EmergencyContact.person_id == person.id))
        today = china_date()
        for occ in session.execute(
            select(Occupancy).where(Occupancy.person_id == person.id, open_occupancy_clause())
        ).scalars():
            occ.ended_on = today
        session.flush()
        record_change(
            session,
            user_id=who.user_id if who else None,
            compound_id=person.compound_id,
            entity="person",
            entity_id=person.id,
            action="erase",
            before=before,
            after=person_snapshot(person, []),
        )
        events.publish(
            session, PersonErased(person_id=person.id, compound_id=person.compound_id), compound_id=person.compound_id
        )


class HouseService:
    def get_readable(self, session: Session, *, who: Principal, house_id: int) -> House:
        h = session.execute(readable_houses(who).where(House.id == house_id)).scalar_one_or_none()
        if h is None:
            raise NotFound(f"house {house_id} not found", zh="未找到该房屋")
        return h

    def labels(self, session: Session, *, house_ids: set[int]) -> dict[int, str]:
        """House labels ("3-1-0802") by id; unknown ids are left out."""
        return HouseQuery(session).labels_by_id(house_ids)

    def find_by_label(self, session: Session, *, compound_id: int, label: str) -> House | None:
        """A compound's house by its label, or None."""
        return HouseQuery(session).by_label(compound_id, label)

    def search(
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int | None,
        building_id: int | None = None,
        unit_id: int | None = None,
        status: str | None = None,
        q: str | None = None,
        offset: int,
        limit: int,
    ) -> tuple[list[House], int]:
        """Houses the caller may see, filtered (label contains `q`), one page, and the total."""
        return HouseListQuery(session).search(
            who,
            compound_id=compound_id,
            building_id=building_id,
            unit_id=unit_id,
            status=status,
            q=q,
            offset=offset,
            limit=limit,
        )

    def list_rows(self, session: Session, houses: list[House]) -> list[tuple[House, str, str, int]]:
        """Each house with its building's name, its unit's number and its number of current occupants."""
        repo = HouseListQuery(session)
        names = repo.building_names({h.building_id for h in houses})
        units = repo.unit_numbers({h.unit_id for h in houses})
        counts = repo.occupant_counts([h.id for h in houses])
        return [(h, names.get(h.building_id, ""), units.get(h.unit_id, ""), counts.get(h.id, 0)) for h in houses]

    def mine(self, session: Session, *, who: Principal) -> list[House]:
        """The caller's own current homes."""
        return HouseListQuery(session).own(who)

    def household(self, session: Session, house: House) -> Household:
        """A house with its current members (masked) and active vehicles."""
        repo = HouseListQuery(session)
        rows = repo.current_members(house.id)
        tags = person_service.tags_of(session, [p.id for _, p in rows])
        return Household(
            house=house_read(house),
            members=[
                HouseholdMember(person_id=p.id, name=p.name, role=o.role, phone_masked=p.phone_masked, tags=tags[p.id])
                for o, p in rows
            ],
            vehicles=[VehicleRead.model_validate(v) for v in repo.active_vehicles(house.id)],
        )

    def buildings(self, session: Session, *, compound_id: int) -> list[Building]:
        """A compound's buildings in order."""
        return HouseListQuery(session).buildings(compound_id)

    def require_building(self, session: Session, *, compound_id: int, building_id: int) -> Building:
        """The compound's building; another compound's or no such building is a 404."""
        b = session.get(Building, building_id)
        if b is None or b.compound_id != compound_id:
            raise NotFound(f"building {building_id} not found", zh="未找到该楼栋")
        return b

    def tree(self, session: Session, *, compound_id: int) -> tuple[list[Building], list[tuple[Unit, int, int]]]:
        """A compound's buildings, and each unit with its number of houses and of occupied houses."""
        return HouseQuery(session).tree(compound_id)

    def open_occupancies(self, session: Session, *, house_id: int) -> list[Occupancy]:
        """The house's occupancies that have not ended (current and future move-ins)."""
        return HouseQuery(session).active_occupancies(house_id)

    def update(self, session: Session, *, who: Principal, house: House, data: HouseUpdate) -> House:
        who.require(RegistryPerm.write)
        areas = {"registered_area", "surveyed_area", "contract_area"} & data.model_fields_set
        if any(getattr(data, name) != getattr(house, name) for name in areas):
            refuse_area_change_during_vote(session, house.compound_id)  # the electorate is frozen (R-V7)
        with audited_update(session, house, user_id=who.user_id, entity="house", snapshot=house_snapshot):
            for name in data.model_fields_set:
                value = getattr(data, name)
                if name == "status" and value is None:
                    continue
                setattr(house, name, value)
        return house


class VehicleService:
    def create(self, session: Session, *, who: Principal, data: VehicleCreate) -> Vehicle:
        who.require(RegistryPerm.people_write)
        if not who.in_scope(data.compound_id):
            raise NotFound(f"compound {data.compound_id} not found", zh="未找到该小区")
        if data.house_id is not None:
            h = house_service.get_readable(session, who=who, house_id=data.house_id)
            if h.compound_id != data.compound_id:
                raise Invalid("house belongs to another compound", zh="房屋不属于该小区")
        if data.person_id is not None:
            p = person_service.get_readable(session, who=who, person_id=data.person_id)
            if p.compound_id != data.compound_id:
                raise Invalid("person belongs to another compound", zh="人员不属于该小区")
        v = Vehicle(**data.model_dump())
        session.add(v)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as e:
            raise Conflict(f"plate {data.plate} is already registered", zh="车牌已登记") from e
        record_change(
            session,
            user_id=who.user_id,
            compound_id=v.compound_id,
            entity="vehicle",
            entity_id=v.id,
            action="create",
            before=None,
            after={"plate": mask_plate(v.plate), "house_id": v.house_id},
        )
        return v

    def list(self, session: Session, *, who: Principal) -> Any:
        return readable_vehicles(who)

    def search(
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int | None,
        plate: str | None,
        active_only: bool = False,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Vehicle], int]:
        """Vehicles the caller may see (plate contains `plate`), one page, and the total."""
        return VehicleQuery(session).search(
            who, compound_id=compound_id, plate=plate, active_only=active_only, offset=offset, limit=limit
        )

    def owners(self, session: Session, vehicles: Sequence[Vehicle]) -> tuple[dict[int, str], dict[int, str]]:
        """House labels and owners' names for a page of vehicles."""
        labels = HouseQuery(session).labels_by_id({v.house_id for v in vehicles if v.house_id})
        names = VehicleQuery(session).person_names({v.person_id for v in vehicles if v.person_id})
        return labels, names


def _house_status_after_change(session: Session, house: House) -> None:
    occs = HouseQuery(session).active_occupancies(house.id)
    if house.status == HouseStatus.developer_unsold and not occs:
        return
    if not occs:
        house.status = HouseStatus.vacant
    elif any(o.role == OccupancyRole.tenant for o in occs):
        house.status = HouseStatus.rented
    else:
        house.status = HouseStatus.self_occupied


def move_in(session: Session, *, who: Principal | None, house: House, data: MoveIn) -> Occupancy:
    """Link a person to a house (creating the person if needed) and announce it."""
    if data.role == OccupancyRole.tenant and data.lease_end is None:
        raise Invalid(
            "a tenant needs a lease end date",
            zh="租户须填写租约到期日",
            fields=[{"field": "lease_end", "message": "required for tenants"}],
        )
    if data.lease_end is not None and data.lease_end < data.on:
        raise Invalid("lease end is before move-in", zh="租约到期日早于入住日")
    if data.person_id is not None:
        if who is not None:
            person = person_service.get_readable(session, who=who, person_id=data.person_id)
        else:
            found = session.get(Person, data.person_id)
            if found is None:
                raise NotFound(f"person {data.person_id} not found")
            person = found
    elif data.person is not None:
        if data.person.compound_id != house.compound_id:
            raise Invalid("person and house are in different compounds", zh="人员与房屋不在同一小区")
        person = person_service.create(session, who=who, data=data.person)
    else:
        raise Invalid("give person_id or person", zh="请提供人员")
    if person.compound_id != house.compound_id:
        raise Invalid("person and house are in different compounds", zh="人员与房屋不在同一小区")
    if person.status != PersonStatus.active:
        raise Conflict("person is not active", zh="该人员状态不可入住")
    for o in HouseQuery(session).active_occupancies(house.id):
        if o.person_id == person.id:
            raise Conflict("person already lives in this house", zh="该人员已在此房屋登记")
    occ = Occupancy(
        compound_id=house.compound_id,
        house_id=house.id,
        person_id=person.id,
        role=data.role,
        started_on=data.on,
        lease_end=data.lease_end,
    )
    session.add(occ)
    session.flush()
    _house_status_after_change(session, house)
    record_change(
        session,
        user_id=who.user_id if who else None,
        compound_id=house.compound_id,
        entity="occupancy",
        entity_id=occ.id,
        action="create",
        before=None,
        after={"house": house.label, "person_id": person.id, "role": data.role.value},
    )
    events.publish(
        session,
        ResidentMovedIn(
            person_id=person.id, house_id=house.id, compound_id=house.compound_id, role=data.role.value, on=data.on
        ),
        compound_id=house.compound_id,
    )
    return occ


def move_out(session: Session, *, who: Principal | None, house: House, data: MoveOut) -> list[Occupancy]:
    """End occupancies; credentials and passes are revoked by subscribers of ResidentMovedOut."""
    occs = HouseQuery(session).active_occupancies(house.id)
    if data.person_ids is not None:
        wanted = set(data.person_ids)
        occs = [o for o in occs if o.person_id in wanted]
        missing = wanted - {o.person_id for o in occs}
        if missing:
            raise NotFound(f"not living in this house: {sorted(missing)}", zh="该人员未在此房屋登记")
    if not occs:
        raise Conflict("nobody to move out", zh="该房屋无在住人员")
    for o in occs:
        if data.on < o.started_on:
            raise Invalid("move-out date is before move-in", zh="迁出日期早于入住日期")
        o.ended_on = data.on
    session.flush()
    _house_status_after_change(session, house)
    for o in occs:
        still = (
            session.execute(
                select(Occupancy.id).where(Occupancy.person_id == o.person_id, open_occupancy_clause())
            ).first()
            is not None
        )
        if not still:
            person = session.get(Person, o.person_id)
            if person is not None and person.status == PersonStatus.active:
                person.status = PersonStatus.moved_out
        record_change(
            session,
            user_id=who.user_id if who else None,
            compound_id=house.compound_id,
            entity="occupancy",
            entity_id=o.id,
            action="end",
            before={"ended_on": None},
            after={"ended_on": data.on.isoformat(), "reason": data.reason},
        )
        events.publish(
            session,
            ResidentMovedOut(
                person_id=o.person_id,
                house_id=house.id,
                compound_id=house.compound_id,
                on=data.on,
                still_resident=still,
            ),
            compound_id=house.compound_id,
        )
    session.flush()
    return occs


def today() -> date:
    return china_date()


class UnmaskGuard(Protocol):
    def __call__(self, session: Session, *, who: Principal, person: Person) -> int | None: ...


_unmask_guards: list[UnmaskGuard] = []


def register_unmask_guard(guard: UnmaskGuard) -> None:
    """Add a check every unmasking passes (privacy registers R-P6's minor approval at start-up)."""
    if guard not in _unmask_guards:
        _unmask_guards.append(guard)


def _unmask_approval(session: Session, *, who: Principal, person: Person) -> int | None:
    """Run every registered guard (each raises to refuse); the first approval id found, for the audit reason."""
    if not _unmask_guards:  # fail closed: never unmask without the privacy rules in place
        raise RuntimeError("no unmask guard registered: call anju.startup.register_all() at start-up")
    approvals = [guard(session, who=who, person=person) for guard in _unmask_guards]
    return next((a for a in approvals if a is not None), None)


person_service = PersonService()
house_service = HouseService()
vehicle_service = VehicleService()


def compounds_by_id(session: Session, *, compound_ids: Sequence[int] | None = None) -> list[Compound]:
    """Compounds (all, or those ids) oldest first: names and site plans for maps, reports and jobs."""
    stmt = select(Compound).order_by(Compound.id)
    if compound_ids is not None:
        stmt = stmt.where(Compound.id.in_(list(compound_ids)))
    return list(session.execute(stmt).scalars())
