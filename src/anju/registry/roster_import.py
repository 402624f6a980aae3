"""Roster import: plan (match people, decide changes) and apply, idempotently, with a report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Table, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.audit import batched_changes, record_change
from anju.core.auth import Principal
from anju.core.crypto import blind_index, decrypt
from anju.core.errors import AppError, Invalid
from anju.registry.enums import HouseStatus, OccupancyRole, PersonStatus, PersonTagKind, PopulationType
from anju.registry.events import ResidentMovedIn
from anju.registry.models import EmergencyContact, House, Occupancy, Person, PersonTag
from anju.registry.permissions import RegistryPerm
from anju.registry.repository import HouseQuery, PersonQuery
from anju.registry.roster_columns import (
    CONTACT_RELATION,
    CONTACTS_MAX,
    PROGRESS_EVERY,
    ImportReport,
    Progress,
    RowError,
    _invalid,
    map_header,
    read_table,
)
from anju.registry.roster_queries import HouseRow, RosterQuery, check_scope
from anju.registry.roster_rows import RosterRow, RowParser
from anju.registry.roster_template import create_missing_houses, house_column_values
from anju.registry.schemas import (
    EmergencyContactIn,
    MoveIn,
    PersonCreate,
    PersonUpdate,
)
from anju.registry.service import contact_row, move_in, person_service, person_snapshot, set_id_number, set_phone, today

WRITE_BATCH = 5 * PROGRESS_EVERY  # rows a batch writes in a few statements (progress is reported per batch)

# --- planning: match people, decide what changes ----------------------------------------------------------


@dataclass
class _Plan:
    row: RosterRow
    person_id: int | None  # None: create a new person
    changes: dict[str, Any] = field(default_factory=dict)  # PersonUpdate fields that differ
    move_in: bool = False
    new_contacts: list[EmergencyContactIn] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The report counter this row adds to."""
        return "created" if self.person_id is None else "updated" if self.changes or self.move_in else "unchanged"


class _Planner:
    """Matches rows to people already on record and works out the smallest change for each."""

    def __init__(self, session: Session, compound_id: int, on: date, parser: RowParser) -> None:
        self.session = session
        self.on = on
        self.parser = parser
        q = RosterQuery(session)
        self.by_id: dict[str, int] = {}
        self.by_phone: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
        for pid, name, id_bidx, phone_bidx in q.people_keys(compound_id):
            if id_bidx:
                self.by_id[id_bidx] = pid
            if phone_bidx:
                self.by_phone[phone_bidx].append((pid, name, id_bidx))
        self.links: set[tuple[int, int]] = set()
        self.house_names: dict[tuple[int, str], list[int]] = defaultdict(list)
        for pid, hid, name in q.active_links(compound_id):
            self.links.add((pid, hid))
            self.house_names[(hid, name)].append(pid)

    def match(self, r: RosterRow) -> tuple[int | None, str | None]:
        """The existing person this row is about, or an error for an ambiguous match."""
        id_bidx = blind_index(r.id_number, context="id_number") if r.id_number else None
        if id_bidx and id_bidx in self.by_id:
            return self.by_id[id_bidx], None
        if r.phone:
            # Without a known ID number, the same name and phone is the same person, unless the
            # record already carries a different ID number.
            same = [
                pid
                for pid, name, known in self.by_phone.get(blind_index(r.phone, context="phone") or "", [])
                if name == r.name and not (id_bidx and known)
            ]
        elif not r.id_number:
            same = self.house_names.get((r.house_id, r.name), [])
        else:
            same = []
        if len(same) > 1:
            return None, "ambiguous"
        return (same[0] if same else None), None

    def plan(self, rows: list[RosterRow]) -> list[_Plan]:
        """One plan per row that can go ahead (unchanged rows included); the rest get errors."""
        plans: list[_Plan] = []
        matched: list[tuple[RosterRow, int]] = []
        for r in rows:
            pid, problem = self.match(r)
            if problem:
                self.parser.fail(
                    r.row,
                    "name",
                    "匹配到多位同名人员，请填写身份证号",
                    "several people match this name; add the ID number",
                )
            elif pid is None:
                if self._lease_ok(r):
                    plans.append(_Plan(row=r, person_id=None, move_in=True))
            else:
                matched.append((r, pid))
        ids = sorted({pid for _, pid in matched})
        q = RosterQuery(self.session)
        people = q.people(ids)
        tags = PersonQuery(self.session).tags_of(ids)
        contacts = q.contacts(sorted({pid for r, pid in matched if r.contact_name}))
        for r, pid in matched:
            p = people[pid]
            changes = self._changes(r, p, tags[pid], contacts.get(pid, []))
            if changes is None:
                continue
            needs_link = (pid, r.house_id) not in self.links
            if not changes and not needs_link:
                plans.append(_Plan(row=r, person_id=pid))
            elif p.frozen_at is not None or p.status == PersonStatus.erased:
                self.parser.fail(
                    r.row, "name", "该人员数据已删除或冻结，不能修改", "this person's data is erased or frozen"
                )
            elif needs_link and p.status != PersonStatus.active:
                self.parser.fail(
                    r.row,
                    "house",
                    "该人员已迁出，请在系统中办理入住",
                    "this person has moved out; register the move-in in the console",
                )
            elif not needs_link or self._lease_ok(r):
                plans.append(_Plan(row=r, person_id=pid, changes=changes, move_in=needs_link))
        return plans

    def _lease_ok(self, r: RosterRow) -> bool:
        if r.lease_end is not None and r.lease_end < self.on:
            self.parser.fail(r.row, "lease_end", "租约已到期，不能登记入住", "the lease has already ended")
            return False
        return True

    def _changes(
        self, r: RosterRow, p: Person, tags: list[PersonTagKind], contacts: list[EmergencyContact]
    ) -> dict[str, Any] | None:
        """Fields of `p` the row changes; empty cells leave a field as it is. None after an error."""
        changes: dict[str, Any] = {}
        if r.name != p.name:
            changes["name"] = r.name
        if r.phone and blind_index(r.phone, context="phone") != p.phone_bidx:
            changes["phone"] = r.phone
        if r.id_number and blind_index(r.id_number, context="id_number") != p.id_number_bidx:
            changes["id_number"] = r.id_number
        for name in ("gender", "birth_date", "population_type"):
            value = getattr(r, name)
            if value is not None and value != getattr(p, name):
                changes[name] = value
        if r.tags is not None and set(r.tags) != set(tags):
            changes["tags"] = r.tags
        if r.contact_name:
            current = [(c.name, c.relation, decrypt(c.phone_enc, context="contact.phone")) for c in contacts]
            if not any(
                n == r.contact_name and (r.contact_phone is None or ph == r.contact_phone) for n, _, ph in current
            ):
                named = [i for i, (n, _, _) in enumerate(current) if n == r.contact_name]
                if named:
                    n, rel, _ = current[named[0]]
                    current[named[0]] = (n, rel, r.contact_phone)
                elif len(current) >= CONTACTS_MAX:
                    self.parser.fail(
                        r.row,
                        "contact_name",
                        f"紧急联系人已达{CONTACTS_MAX}个上限",
                        f"this person already has {CONTACTS_MAX} emergency contacts",
                    )
                    return None
                else:
                    current.append((r.contact_name, CONTACT_RELATION, r.contact_phone))
                changes["contacts"] = [{"name": n, "relation": rel, "phone": ph} for n, rel, ph in current]
        return changes


def _duplicates(rows: list[RosterRow], parser: RowParser) -> list[RosterRow]:
    """Drop (and report) a row that names the same person as an earlier row of the file."""
    seen: dict[tuple[str, ...], int] = {}
    kept: list[RosterRow] = []
    for r in rows:
        if r.id_number:
            key: tuple[str, ...] = ("id", r.id_number)
        elif r.phone:
            key = ("phone", r.name, r.phone)
        else:
            key = ("house", r.name, r.house_label)
        first = seen.setdefault(key, r.row)
        if first == r.row:
            kept.append(r)
        elif key[0] == "id":
            parser.fail(r.row, "id_number", f"身份证号与第{first}行重复", f"duplicate ID number (same as row {first})")
        else:
            parser.fail(r.row, "name", f"与第{first}行为同一人", f"same person as row {first}")
    return kept


class _Abort(Exception):
    """Leaves the import's savepoint, rolling back everything written so far."""


def _error_text(e: Exception) -> str:
    if isinstance(e, AppError):
        return f"{e.zh or e.message_zh} / {e.detail or e.message_en}"
    if isinstance(e, ValidationError):
        return "数据校验失败 / " + "; ".join(str(x.get("msg")) for x in e.errors())
    return "与已有数据冲突 / conflicts with existing data"


def import_roster(
    session: Session,
    *,
    who: Principal | None,
    compound_id: int,
    filename: str,
    data: bytes,
    all_or_nothing: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    create_missing_houses: bool = False,
) -> ImportReport:
    """Validate a roster file row by row and import its valid rows (or none, if asked); never commits.

    `create_missing_houses` (the admin ticks it): a row naming a house "{building}-{unit}-{floor}{nn}" the
    compound lacks creates it first; the houses are kept only if the import commits (a dry run or an
    all-or-nothing refusal leaves none behind)."""
    if not create_missing_houses:
        return _import_roster(session, who, compound_id, filename, data, all_or_nothing, dry_run, progress, False)
    with session.begin_nested() as houses:
        report = _import_roster(session, who, compound_id, filename, data, all_or_nothing, dry_run, progress, True)
        if not report.committed or dry_run:
            houses.rollback()
    return report


def _import_roster(
    session: Session,
    who: Principal | None,
    compound_id: int,
    filename: str,
    data: bytes,
    all_or_nothing: bool,
    dry_run: bool,
    progress: Progress | None,
    create_houses: bool,
) -> ImportReport:
    # who=None is the trusted command line. A dry run only reads. Writes happen inside one
    # SAVEPOINT, so an abort leaves nothing half-written; the caller's boundary commits.
    compound = check_scope(session, who, compound_id, RegistryPerm.roster_import)
    if who is not None:
        who.require(RegistryPerm.people_write)  # rows are written through the people services
        if create_houses:
            who.require(RegistryPerm.structure)
    keep = set(session.identity_map.keys())  # the caller's objects; the import's own are let go per batch
    table = read_table(filename, data)
    if not table:
        raise _invalid("文件为空", "the file is empty")
    (_, header), body = table[0], table[1:]
    columns, ignored = map_header(header)
    on = today()
    errors: list[RowError] = []
    labels = HouseQuery(session).labels(compound_id)
    new_houses: list[str] = []
    if create_houses:
        wanted = house_column_values(header, body)
        new_houses = create_missing_houses(session, who=who, compound=compound, labels=wanted, known=set(labels))
        if new_houses:
            labels = HouseQuery(session).labels(compound_id)
            keep = set(session.identity_map.keys())
    parser = RowParser(columns, labels, on, errors)
    total = len(body)
    tick = progress or (lambda done, total: None)
    tick(0, total)
    parsed = [r for n, values in body if (r := parser.parse(n, values)) is not None]
    planner = _Planner(session, compound_id, on, parser)
    plans = planner.plan(_duplicates(parsed, parser))
    plans.sort(key=lambda pl: pl.row.row)
    report = ImportReport(
        total_rows=total,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        ignored_columns=ignored,
        houses_created=new_houses,
    )
    if dry_run or (all_or_nothing and errors) or not plans:
        if dry_run:
            for pl in plans:
                setattr(report, pl.kind, getattr(report, pl.kind) + 1)
        return _finish(report, errors, total, tick, committed=False)
    writer = _Writer(
        session, who=who, compound_id=compound_id, on=on, parser=parser, all_or_nothing=all_or_nothing, keep=keep
    )
    skipped = total - len(plans)  # rows rejected while validating count as processed
    try:
        with session.begin_nested():
            for start in range(0, len(plans), WRITE_BATCH):
                for pl in writer.write(plans[start : start + WRITE_BATCH]):
                    setattr(report, pl.kind, getattr(report, pl.kind) + 1)
                tick(skipped + min(start + WRITE_BATCH, len(plans)), total)
    except _Abort:
        report.created = report.updated = report.unchanged = 0
        return _finish(report, errors, total, tick, committed=False)
    return _finish(report, errors, total, tick, committed=report.created + report.updated + report.unchanged > 0)


class _Writer:
    """Writes plans a batch per savepoint; a failing batch is redone row by row, so only its bad row is lost."""

    def __init__(
        self,
        session: Session,
        *,
        who: Principal | None,
        compound_id: int,
        on: date,
        parser: RowParser,
        all_or_nothing: bool,
        keep: set[Any],
    ) -> None:
        self.session, self.who, self.compound_id, self.on = session, who, compound_id, on
        self.parser, self.all_or_nothing, self.keep = parser, all_or_nothing, keep
        self.people: dict[int, Person] = {}
        self.houses: dict[int, House] = {}  # for the row-by-row path (the services take ORM houses)
        self.house_rows: dict[int, HouseRow] = {}  # for the batch: id, label and compound, no ORM objects

    def write(self, plans: list[_Plan]) -> list[_Plan]:
        """Apply a batch of plans; returns those written (unchanged rows included)."""
        todo = [pl for pl in plans if pl.kind != "unchanged"]
        self.forget_written()
        q = RosterQuery(self.session)
        self.people = q.people(sorted({pl.person_id for pl in todo if pl.person_id is not None}))
        house_ids = sorted({pl.row.house_id for pl in todo if pl.move_in})
        self.houses = {}
        self.house_rows = q.house_rows(house_ids)
        try:
            with self.session.begin_nested(), batched_changes(self.session):
                self.apply_many(todo)
            return plans
        except (AppError, IntegrityError, ValidationError) as e:  # e.g. a concurrent edit since planning
            # Redo the batch row by row through the services: only the bad row is lost (or, all or
            # nothing, the first bad row is reported and the import stops).
            self.houses = q.houses(house_ids)
            written: list[_Plan] = []
            for pl in plans:
                if pl.kind == "unchanged" or self.write_one(pl):
                    written.append(pl)
                elif self.all_or_nothing:
                    raise _Abort from e
            return written

    def apply_many(self, plans: list[_Plan]) -> None:
        """The batch in a few statements: what `apply` does row by row through the services, with the same
        people, links, change records (in row order) and move-in events. Any refusal raises, and the caller
        redoes the batch row by row, where the services give each row its own reason."""
        s, who = self.session, self.who
        user_id = who.user_id if who else None
        created: dict[int, tuple[Person, list[PersonTagKind]]] = {}
        for i, pl in enumerate(plans):
            if pl.person_id is not None:
                if pl.changes:
                    person_service.update(s, who=who, person=self.people[pl.person_id], data=PersonUpdate(**pl.changes))
                continue
            r = pl.row
            contacts = (
                [EmergencyContactIn(name=r.contact_name, relation=CONTACT_RELATION, phone=r.contact_phone)]
                if r.contact_name
                else []
            )
            data = PersonCreate(
                compound_id=self.compound_id,
                name=r.name,
                gender=r.gender,
                birth_date=r.birth_date,
                phone=r.phone,
                id_number=r.id_number,
                population_type=r.population_type or PopulationType.registered,
                tags=r.tags or [],
                contacts=contacts,
            )
            p = Person(
                compound_id=self.compound_id,
                name=data.name,
                gender=data.gender,
                birth_date=data.birth_date,
                population_type=data.population_type,
                status=PersonStatus.active,
            )
            set_phone(p, data.phone)
            set_id_number(p, data.id_number)
            created[i] = (p, sorted(set(data.tags)))
            pl.new_contacts = data.contacts
        s.flush()  # the updates above, before the batch's own statements
        _insert_people(s, [p for p, _ in created.values()])
        tag_rows = [
            {"compound_id": p.compound_id, "person_id": p.id, "tag": t} for p, tags in created.values() for t in tags
        ]
        contact_rows = []
        for i, (p, _) in created.items():
            for c in plans[i].new_contacts:
                row = contact_row(p.compound_id, c)
                contact_rows.append(
                    {
                        "compound_id": p.compound_id,
                        "person_id": p.id,
                        "name": row.name,
                        "relation": row.relation,
                        "phone_enc": row.phone_enc,
                        "phone_masked": row.phone_masked,
                    }
                )
        # Core INSERTs of the tables (not the ORM's bulk path, which costs more than the database here).
        if tag_rows:
            s.execute(insert(PersonTag.__table__), tag_rows)
        if contact_rows:
            s.execute(insert(EmergencyContact.__table__), contact_rows)
        occupancies: dict[int, _NewLink] = {}
        for i, pl in enumerate(plans):
            if not pl.move_in:
                continue
            r = pl.row
            role = r.role or OccupancyRole.family
            if role == OccupancyRole.tenant and r.lease_end is None:
                raise Invalid("a tenant needs a lease end date", zh="租户须填写租约到期日")
            if r.lease_end is not None and r.lease_end < self.on:
                raise Invalid("lease end is before move-in", zh="租约到期日早于入住日")
            person_id = created[i][0].id if i in created else pl.person_id
            if person_id is None:  # a plan without a person is not a move-in plan
                raise Invalid("no person for this row", zh="该行没有人员")
            occupancies[i] = _NewLink(
                compound_id=self.compound_id,
                house_id=r.house_id,
                person_id=person_id,
                role=role,
                started_on=self.on,
                lease_end=r.lease_end,
            )
        _insert_occupancies(s, list(occupancies.values()))
        self._house_statuses({o.house_id for o in occupancies.values()})
        moved: list[tuple[ResidentMovedIn, int | None]] = []
        for i, pl in enumerate(plans):  # the records and events, in row order as `apply` writes them
            if i in created:
                p, tags = created[i]
                record_change(
                    s,
                    user_id=user_id,
                    compound_id=p.compound_id,
                    entity="person",
                    entity_id=p.id,
                    action="create",
                    before=None,
                    after=person_snapshot(p, tags),
                )
            if i in occupancies:
                o, house = occupancies[i], self.house_rows[pl.row.house_id]
                record_change(
                    s,
                    user_id=user_id,
                    compound_id=house.compound_id,
                    entity="occupancy",
                    entity_id=o.id,
                    action="create",
                    before=None,
                    after={"house": house.label, "person_id": o.person_id, "role": o.role.value},
                )
                moved.append(
                    (
                        ResidentMovedIn(
                            person_id=o.person_id,
                            house_id=house.id,
                            compound_id=house.compound_id,
                            role=o.role.value,
                            on=self.on,
                        ),
                        house.compound_id,
                    )
                )
        events.publish_many(s, moved)

    def _house_statuses(self, house_ids: set[int]) -> None:
        """Each touched house's status as a move-in sets it: every one now has an open link, so it is rented
        when one of its open links is a tenant's, else self-occupied (one query for the tenants)."""
        q = RosterQuery(self.session)
        rented = q.houses_with_open_tenant(sorted(house_ids))
        q.set_house_status(sorted(rented), HouseStatus.rented)
        q.set_house_status(sorted(house_ids - rented), HouseStatus.self_occupied)

    def write_one(self, plan: _Plan) -> bool:
        try:
            with self.session.begin_nested():
                self.apply(plan)
            return True
        except (AppError, IntegrityError, ValidationError) as e:
            self.reject(plan, e)
            return False

    def reject(self, plan: _Plan, e: Exception) -> None:
        self.parser.errors.append(RowError(row=plan.row.row, column=self.parser.header("name"), message=_error_text(e)))

    def apply(self, plan: _Plan) -> None:
        r = plan.row
        if plan.person_id is None:
            contacts = (
                [EmergencyContactIn(name=r.contact_name, relation=CONTACT_RELATION, phone=r.contact_phone)]
                if r.contact_name
                else []
            )
            person = person_service.create(
                self.session,
                who=self.who,
                data=PersonCreate(
                    compound_id=self.compound_id,
                    name=r.name,
                    gender=r.gender,
                    birth_date=r.birth_date,
                    phone=r.phone,
                    id_number=r.id_number,
                    population_type=r.population_type or PopulationType.registered,
                    tags=r.tags or [],
                    contacts=contacts,
                ),
            )
        else:
            person = self.people[plan.person_id]
            if plan.changes:
                person_service.update(self.session, who=self.who, person=person, data=PersonUpdate(**plan.changes))
        if plan.move_in:
            move_in(
                self.session,
                who=self.who,
                house=self.houses[r.house_id],
                data=MoveIn(
                    person_id=person.id, role=r.role or OccupancyRole.family, on=self.on, lease_end=r.lease_end
                ),
            )

    def forget_written(self) -> None:
        """Flush, then let go of the objects this import loaded or wrote."""
        # Bulk DELETEs in the services scan the whole identity map: keeping every row's
        # objects (and every house) would make a long import quadratic.
        self.session.flush()
        for key, obj in list(self.session.identity_map.items()):  # type: ignore[attr-defined]  # not in IdentityMap's stub
            if key not in self.keep:
                self.session.expunge(obj)


_PERSON_COLUMNS = (
    "compound_id",
    "name",
    "gender",
    "birth_date",
    "phone_enc",
    "phone_bidx",
    "phone_masked",
    "id_number_enc",
    "id_number_bidx",
    "id_number_masked",
    "population_type",
    "status",
)


def _insert_people(session: Session, people: list[Person]) -> None:
    """INSERT the new people in one multi-row statement and give each its id.

    Each row is known again by its phone or ID-number ciphertext (a fresh nonce makes every one unique),
    not by the order of RETURNING, which no database promises for a multi-row INSERT. The few people with
    neither (a child without a phone) are written one by one."""
    keyed = [p for p in people if p.phone_enc or p.id_number_enc]
    for p in people:
        if not (p.phone_enc or p.id_number_enc):
            session.add(p)
            session.flush()
    if not keyed:
        return
    table = Person.__table__
    values = [{c: getattr(p, c) for c in _PERSON_COLUMNS} for p in keyed]
    preset = _sequence_ids(session, table, len(keyed))
    if preset is not None:
        for p, v, new_id in zip(keyed, values, preset, strict=True):
            p.id = v["id"] = new_id
        session.execute(insert(table), values)
        return
    stmt = insert(table).returning(table.c.id, table.c.phone_enc, table.c.id_number_enc)
    rows = session.execute(stmt, values).all()
    ids = {(phone, idn): pid for pid, phone, idn in rows}
    for p in keyed:
        p.id = ids[(p.phone_enc, p.id_number_enc)]


def _sequence_ids(session: Session, table: Table, n: int) -> list[int] | None:
    """On PostgreSQL, n ids taken from the table's id sequence in one query, else None.

    With the ids known, the rows go in as a plain executemany (psycopg pipelines it) rather than one
    INSERT ... VALUES (...), (...) RETURNING of thousands of parameters, which psycopg re-parses for
    every batch: on PostgreSQL that parsing was most of the import's time."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    sequence = session.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar_one()
    if sequence is None:
        return None
    got = session.execute(text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": sequence, "n": n})
    return [int(i) for i in got.scalars()]


@dataclass
class _NewLink:
    """An occupancy a batch writes (a plain object: thousands of ORM instances cost more than their INSERT)."""

    compound_id: int
    house_id: int
    person_id: int
    role: OccupancyRole
    started_on: date
    lease_end: date | None
    id: int = 0


def _insert_occupancies(session: Session, links: list[_NewLink]) -> None:
    """INSERT the links in one statement; each is known again by (person, house), unique in a batch."""
    if not links:
        return
    if len({(o.person_id, o.house_id) for o in links}) != len(links):
        raise Invalid("a person is linked twice to one house in a batch", zh="同一人员重复登记同一房屋")
    table = Occupancy.__table__
    stmt = insert(table).returning(table.c.id, table.c.person_id, table.c.house_id)
    values: list[dict[str, Any]] = [
        {
            "compound_id": o.compound_id,
            "house_id": o.house_id,
            "person_id": o.person_id,
            "role": o.role,
            "started_on": o.started_on,
            "lease_end": o.lease_end,
        }
        for o in links
    ]
    preset = _sequence_ids(session, table, len(links))
    if preset is not None:
        for o, v, new_id in zip(links, values, preset, strict=True):
            o.id = v["id"] = new_id
        session.execute(insert(table), values)
        return
    ids = {(pid, hid): oid for oid, pid, hid in session.execute(stmt, values).all()}
    if len(ids) != len(links):
        raise Invalid("a person is linked twice to one house in a batch", zh="同一人员重复登记同一房屋")
    for o in links:
        o.id = ids[(o.person_id, o.house_id)]


def _finish(
    report: ImportReport, errors: list[RowError], total: int, tick: Progress, *, committed: bool
) -> ImportReport:
    report.errors = sorted(errors, key=lambda e: e.row)
    report.rejected = len({e.row for e in errors})
    report.imported = report.created + report.updated
    report.committed = committed
    tick(total, total)
    return report
