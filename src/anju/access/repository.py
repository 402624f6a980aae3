"""Every query of the access domain, one class per sub-aggregate (issue 10 item 3):

PointQuery (access points, terminals) · HolderQuery (residents, homes, grants, blacklist) ·
CredentialQuery (cards, PINs, QR, face) · LogQuery (decisions, QR replay) · VisitorQuery (passes) ·
TerminalListQuery (offline allow-lists, pushes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.access.enums import CredentialKind, CredentialStatus, Decision, Method, PassKind, PassStatus
from anju.access.models import (
    AccessCredential,
    AccessGrant,
    AccessLog,
    AccessLogKey,
    AccessPoint,
    BlacklistEntry,
    DeliveryRule,
    FacePia,
    QrTokenUse,
    Terminal,
    TerminalAccessPoint,
    TerminalListEntry,
    TerminalPush,
    VisitorPass,
)
from anju.accounts.models import DeviceCredential, User
from anju.core.auth import Principal
from anju.registry.enums import PersonStatus
from anju.registry.models import House, Occupancy, Person
from anju.registry.occupancy import current_occupancy_clause

# The gate decision's hot path runs these on every attempt. Built once with bind
# parameters, they skip rebuilding the expression and its cache key per call (a
# measurable share of a decision's CPU; see bench/access_http.py).
_TERMINAL_BY_KEY = (
    select(Terminal)
    .join(DeviceCredential, DeviceCredential.id == Terminal.device_credential_id)
    .where(DeviceCredential.key_id == bindparam("key"), DeviceCredential.active.is_(True))
)
_HOMES = (
    select(House.id, House.building_id, House.unit_id, House.floor)
    .join(Occupancy, Occupancy.house_id == House.id)
    .where(
        Occupancy.person_id == bindparam("person"),
        Occupancy.compound_id == bindparam("compound"),
        current_occupancy_clause(bindparam("today")),
    )
)
# A person's state and current homes in a compound in one round trip (the gate's who-may-pass check).
_PERSON_HOMES = (
    select(Person.status, Person.frozen_at, House.id, House.building_id, House.unit_id, House.floor)
    .select_from(Person)
    .outerjoin(
        Occupancy,
        and_(
            Occupancy.person_id == Person.id,
            Occupancy.compound_id == bindparam("compound"),
            current_occupancy_clause(bindparam("today")),
        ),
    )
    .outerjoin(House, House.id == Occupancy.house_id)
    .where(Person.id == bindparam("person"))
)
_CARD = (
    select(AccessCredential)
    .where(
        AccessCredential.compound_id == bindparam("compound"),
        AccessCredential.kind == CredentialKind.card,
        AccessCredential.card_bidx == bindparam("bidx"),
    )
    .order_by(AccessCredential.status, AccessCredential.id.desc())
    .limit(1)
)
_CONTROLLED_POINT = (
    select(AccessPoint)
    .join(TerminalAccessPoint, TerminalAccessPoint.access_point_id == AccessPoint.id)
    .where(TerminalAccessPoint.terminal_id == bindparam("terminal"), AccessPoint.id == bindparam("point"))
)
_PINS = select(AccessCredential).where(
    AccessCredential.compound_id == bindparam("compound"),
    AccessCredential.kind == CredentialKind.pin,
    AccessCredential.status == CredentialStatus.active,
    AccessCredential.pin_digest.in_(bindparam("digests", expanding=True)),
    AccessCredential.person_id.in_(bindparam("people", expanding=True)),
)
_LAST_PASSAGE = (
    select(AccessLog.direction)
    .where(
        AccessLog.person_id == bindparam("person"),
        AccessLog.compound_id == bindparam("compound"),
        AccessLog.server_at >= bindparam("since"),
        AccessLog.decision == Decision.allow,
        AccessLog.method != Method.remote,
    )
    .order_by(AccessLog.server_at.desc(), AccessLog.id.desc())
    .limit(1)
)
# The house a keypad's room names (its label, or its number at a door of its unit) with the active PINs of its
# current occupants, in one round trip; no row when no house matches, (house, None) when it has no PIN holder.
_ROOM = (
    select(House.id)
    .where(
        House.compound_id == bindparam("compound"),
        or_(
            House.label == bindparam("room"),
            and_(House.unit_id == bindparam("unit"), House.number == bindparam("room")),
        ),
    )
    .order_by(House.id)
    .limit(1)
    .subquery()
)
_ROOM_PINS = (
    select(_ROOM.c.id, AccessCredential)
    .select_from(_ROOM)
    .outerjoin(
        Occupancy,
        and_(
            Occupancy.house_id == _ROOM.c.id,
            Occupancy.compound_id == bindparam("compound"),
            current_occupancy_clause(bindparam("today")),
        ),
    )
    .outerjoin(
        AccessCredential,
        and_(
            AccessCredential.person_id == Occupancy.person_id,
            AccessCredential.compound_id == bindparam("compound"),
            AccessCredential.kind == CredentialKind.pin,
            AccessCredential.status == CredentialStatus.active,
        ),
    )
    .order_by(AccessCredential.id)
)
_QR_USE: dict[str, Any] = {}


def _qr_use_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id for a QR token's first use, built once per dialect.

    Core, not the ORM bulk path: RETURNING says whether the row went in.
    """
    stmt = _QR_USE.get(dialect)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = QrTokenUse.__table__
        stmt = (
            insert(table)
            .values(digest=bindparam("digest"), access_point_id=bindparam("point"), used_at=bindparam("at"))
            .on_conflict_do_nothing()
            .returning(table.c.id)
        )
        _QR_USE[dialect] = stmt
    return stmt


_BLACKLIST_BASE = select(BlacklistEntry).where(
    BlacklistEntry.compound_id == bindparam("compound"), BlacklistEntry.active.is_(True)
)
_BLACKLIST = {
    (True, False): _BLACKLIST_BASE.where(BlacklistEntry.person_id == bindparam("person")).limit(1),
    (False, True): _BLACKLIST_BASE.where(BlacklistEntry.card_bidx == bindparam("bidx")).limit(1),
    (True, True): _BLACKLIST_BASE.where(
        or_(BlacklistEntry.person_id == bindparam("person"), BlacklistEntry.card_bidx == bindparam("bidx"))
    ).limit(1),
}


def _gate_facts(with_card: bool) -> Any:
    """_PERSON_HOMES with the person's (or their card's) active blacklist entry as a column: the checks every
    credential shares, in one round trip."""
    hit = (_BLACKLIST[(True, with_card)].with_only_columns(BlacklistEntry.id)).scalar_subquery()
    return _PERSON_HOMES.add_columns(hit.label("blacklist_id"))


_GATE_FACTS = {False: _gate_facts(False), True: _gate_facts(True)}


@dataclass(frozen=True)
class GateFacts:
    """What a gate needs to know of a credential's holder: an active blacklist entry on the person (or the card
    presented), and the person's (status, frozen_at) with their current homes, or None if there is no person."""

    blacklist_id: int | None
    person: tuple[tuple[PersonStatus, datetime | None], list[tuple[int, int, int, int]]] | None


def readable_points(who: Principal) -> Select[AccessPoint]:
    if who.is_staff:
        return select(AccessPoint).where(AccessPoint.compound_id.in_(who.compound_ids))
    return select(AccessPoint).where(false())


def readable_passes(who: Principal) -> Select[VisitorPass]:
    if who.is_staff:
        return select(VisitorPass).where(VisitorPass.compound_id.in_(who.compound_ids))
    if who.house_ids:
        return select(VisitorPass).where(VisitorPass.host_house_id.in_(who.house_ids))
    return select(VisitorPass).where(false())


class _Query:
    def __init__(self, session: Session) -> None:
        self.session = session


class PointQuery(_Query):
    """Access points and the terminals that control them."""

    def controls(self, terminal_id: int, access_point_id: int) -> bool:
        return (
            self.session.execute(
                select(TerminalAccessPoint.id).where(
                    TerminalAccessPoint.terminal_id == terminal_id,
                    TerminalAccessPoint.access_point_id == access_point_id,
                )
            ).first()
            is not None
        )

    def points_of_terminal(self, terminal_id: int) -> list[AccessPoint]:
        return list(
            self.session.execute(
                select(AccessPoint)
                .join(TerminalAccessPoint, TerminalAccessPoint.access_point_id == AccessPoint.id)
                .where(TerminalAccessPoint.terminal_id == terminal_id)
                .order_by(AccessPoint.id)
            ).scalars()
        )

    def terminals_of_compound(self, compound_id: int) -> list[Terminal]:
        return list(
            self.session.execute(
                select(Terminal)
                .where(Terminal.compound_id == compound_id, Terminal.active.is_(True))
                .order_by(Terminal.id)
            ).scalars()
        )

    def terminal_ids_for_point(self, access_point_id: int) -> list[int]:
        return list(
            self.session.execute(
                select(TerminalAccessPoint.terminal_id).where(TerminalAccessPoint.access_point_id == access_point_id)
            ).scalars()
        )

    def terminal_by_key(self, key_id: str) -> Terminal | None:
        return self.session.execute(_TERMINAL_BY_KEY, {"key": key_id}).scalar_one_or_none()

    def controlled_point(self, terminal_id: int, access_point_id: int) -> AccessPoint | None:
        return self.session.execute(
            _CONTROLLED_POINT, {"terminal": terminal_id, "point": access_point_id}
        ).scalar_one_or_none()

    def terminal_by_device(self, device_credential_id: int) -> Terminal | None:
        return self.session.execute(
            select(Terminal).where(Terminal.device_credential_id == device_credential_id)
        ).scalar_one_or_none()

    def evacuation_points(self, compound_id: int) -> list[AccessPoint]:
        return list(
            self.session.execute(
                select(AccessPoint).where(
                    AccessPoint.compound_id == compound_id,
                    AccessPoint.evacuation_route.is_(True),
                    AccessPoint.active.is_(True),
                )
            ).scalars()
        )

    def current_pia(self, compound_id: int, method: str) -> FacePia | None:
        return self.session.execute(
            select(FacePia)
            .where(FacePia.compound_id == compound_id, FacePia.method == method)
            .order_by(FacePia.assessed_on.desc(), FacePia.id.desc())
            .limit(1)
        ).scalar_one_or_none()


class HolderQuery(_Query):
    """Who may pass: residents and their homes, houses and occupants, staff grants, the blacklist."""

    def homes(self, person_id: int, compound_id: int, today: date) -> list[tuple[int, int, int, int]]:
        """(house_id, building_id, unit_id, floor) of current occupancies; tenants until lease end."""
        rows = self.session.execute(_HOMES, {"person": person_id, "compound": compound_id, "today": today}).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def person_homes(
        self, person_id: int, compound_id: int, today: date
    ) -> tuple[tuple[PersonStatus, datetime | None], list[tuple[int, int, int, int]]] | None:
        """person_state() and homes() in one query; None when there is no such person."""
        rows = self.session.execute(_PERSON_HOMES, {"person": person_id, "compound": compound_id, "today": today}).all()
        if not rows:
            return None
        homes = [(r[2], r[3], r[4], r[5]) for r in rows if r[2] is not None]
        return (rows[0][0], rows[0][1]), homes

    def gate_facts(self, person_id: int, compound_id: int, today: date, *, card_bidx: str | None) -> GateFacts:
        """blacklisted() and person_homes() in one query."""
        rows = self.session.execute(
            _GATE_FACTS[card_bidx is not None],
            {"person": person_id, "compound": compound_id, "today": today, "bidx": card_bidx},
        ).all()
        if not rows:  # no such person: the blacklist may still name the card
            hit = self.blacklisted(compound_id, person_id=person_id, card_bidx=card_bidx)
            return GateFacts(hit.id if hit is not None else None, None)
        homes = [(r[2], r[3], r[4], r[5]) for r in rows if r[2] is not None]
        return GateFacts(rows[0][6], ((rows[0][0], rows[0][1]), homes))

    def person(self, person_id: int) -> Person | None:
        return self.session.get(Person, person_id)

    def household_members(self, house_ids: set[int]) -> set[int]:
        if not house_ids:
            return set()
        return set(
            self.session.execute(
                select(Occupancy.person_id).where(Occupancy.house_id.in_(house_ids), current_occupancy_clause())
            ).scalars()
        )

    def grants(self, compound_id: int, *, person_id: int | None, user_id: int | None) -> list[AccessGrant]:
        conds = []
        if person_id is not None:
            conds.append(AccessGrant.person_id == person_id)
        if user_id is not None:
            conds.append(AccessGrant.user_id == user_id)
        if not conds:
            return []
        return list(
            self.session.execute(
                select(AccessGrant).where(
                    AccessGrant.compound_id == compound_id, AccessGrant.active.is_(True), or_(*conds)
                )
            ).scalars()
        )

    def blacklisted(self, compound_id: int, *, person_id: int | None, card_bidx: str | None) -> BlacklistEntry | None:
        if person_id is None and card_bidx is None:
            return None
        q = _BLACKLIST[(person_id is not None, card_bidx is not None)]
        return self.session.execute(
            q, {"compound": compound_id, "person": person_id, "bidx": card_bidx}
        ).scalar_one_or_none()

    def house(self, house_id: int) -> House | None:
        return self.session.get(House, house_id)

    def delivery_rule(self, compound_id: int) -> DeliveryRule | None:
        """The compound's courier and rider rule (issue 18); None = the defaults."""
        return self.session.execute(
            select(DeliveryRule).where(DeliveryRule.compound_id == compound_id)
        ).scalar_one_or_none()

    def host_is_resident(self, house_id: int, person_id: int) -> bool:
        return (
            self.session.execute(
                select(Occupancy.id).where(
                    Occupancy.house_id == house_id, Occupancy.person_id == person_id, current_occupancy_clause()
                )
            ).first()
            is not None
        )

    def any_active_occupant(self, house_id: int) -> bool:
        return (
            self.session.execute(
                select(Occupancy.id).where(Occupancy.house_id == house_id, current_occupancy_clause())
            ).first()
            is not None
        )

    def room_pins(
        self, compound_id: int, room: str, *, unit_id: int | None, today: date
    ) -> tuple[int | None, list[AccessCredential]]:
        """The house a keypad names, by its full label ("3-1-0802") or, at a door of one unit, its number in that
        unit ("0802"), and the active PINs of its current occupants, in one query: (None, []) when no house matches."""
        if not room:
            return None, []
        rows = self.session.execute(
            _ROOM_PINS, {"compound": compound_id, "room": room, "unit": unit_id, "today": today}
        ).all()
        if not rows:
            return None, []
        seen: dict[int, AccessCredential] = {}
        for _, c in rows:  # a person with two current occupancies of the house comes twice
            if c is not None:
                seen.setdefault(c.id, c)
        return int(rows[0][0]), list(seen.values())

    def pin_holders(self, compound_id: int, *, house_id: int | None, unit_id: int | None, today: date) -> list[int]:
        """People who may hold a PIN typed for a house (its occupants) or at a unit's door (the unit's)."""
        q = (
            select(Occupancy.person_id)
            .join(House, House.id == Occupancy.house_id)
            .where(
                Occupancy.compound_id == compound_id,
                current_occupancy_clause(today),
            )
            .distinct()
        )
        q = q.where(Occupancy.house_id == house_id) if house_id is not None else q.where(House.unit_id == unit_id)
        return sorted(self.session.execute(q).scalars())


class CredentialQuery(_Query):
    """Cards, PINs, resident QR and face credentials."""

    def card(self, compound_id: int, bidx: str) -> AccessCredential | None:
        return self.session.execute(_CARD, {"compound": compound_id, "bidx": bidx}).scalar_one_or_none()

    def pins_of(self, compound_id: int, digests: list[str], person_ids: list[int]) -> list[AccessCredential]:
        """Active PINs with one of the digests, held by one of the people."""
        return list(
            self.session.execute(_PINS, {"compound": compound_id, "digests": digests, "people": person_ids}).scalars()
        )

    def by_subject(self, compound_id: int, subject_ref: str) -> AccessCredential | None:
        return self.session.execute(
            select(AccessCredential)
            .where(
                AccessCredential.compound_id == compound_id,
                AccessCredential.kind == CredentialKind.face,
                AccessCredential.subject_ref == subject_ref,
                AccessCredential.status == CredentialStatus.active,
            )
            .limit(1)
        ).scalar_one_or_none()

    def credentials_of(
        self, *, person_id: int | None = None, user_id: int | None = None, active_only: bool = True
    ) -> list[AccessCredential]:
        q = select(AccessCredential)
        q = (
            q.where(AccessCredential.person_id == person_id)
            if person_id is not None
            else q.where(AccessCredential.user_id == user_id)
        )
        if active_only:
            q = q.where(AccessCredential.status == CredentialStatus.active)
        return list(self.session.execute(q.order_by(AccessCredential.id)).scalars())

    def resident_qr(self, compound_id: int, person_id: int) -> AccessCredential | None:
        return self.session.execute(
            select(AccessCredential)
            .where(
                AccessCredential.compound_id == compound_id,
                AccessCredential.person_id == person_id,
                AccessCredential.kind == CredentialKind.qr,
                AccessCredential.status == CredentialStatus.active,
            )
            .limit(1)
        ).scalar_one_or_none()

    def active_credentials(self, compound_id: int) -> list[AccessCredential]:
        return list(
            self.session.execute(
                select(AccessCredential).where(
                    AccessCredential.compound_id == compound_id, AccessCredential.status == CredentialStatus.active
                )
            ).scalars()
        )


class LogQuery(_Query):
    """The access log (decisions) and QR replay records."""

    def log_by_record(self, terminal_id: int, record_id: str) -> AccessLog | None:
        """The log row of a terminal's record, found through its key by the full (id, server_at): on PostgreSQL the
        lookup reads one monthly partition. None when the record is new (or its month was dropped past retention)."""
        key = self.session.execute(
            select(AccessLogKey.log_id, AccessLogKey.server_at).where(
                AccessLogKey.terminal_id == terminal_id, AccessLogKey.record_id == record_id
            )
        ).first()
        if key is None:
            return None
        return self.session.execute(
            select(AccessLog).where(AccessLog.id == key.log_id, AccessLog.server_at == key.server_at)
        ).scalar_one_or_none()

    def add_log(self, row: AccessLog) -> bool:
        """Store a decision; one that carries a terminal's record id only if that record is new.

        False when the record was logged before (a retry, an offline replay sent twice, or a concurrent twin: on
        PostgreSQL the second insert of the key waits for the first transaction, then conflicts); nothing is then
        stored. The row and its key go in one savepoint, so a refused key takes its row with it.
        """
        if row.terminal_id is None or not row.record_id:
            self.session.add(row)
            self.session.flush()
            return True
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
                self.session.add(
                    AccessLogKey(
                        terminal_id=row.terminal_id, record_id=row.record_id, log_id=row.id, server_at=row.server_at
                    )
                )
        except IntegrityError:
            return False
        return True

    def last_direction(self, compound_id: int, person_id: int, *, since: datetime) -> str | None:
        """The direction of the person's last passage in the compound after `since`.

        Walks ix_access_log_person_compound_at backwards from now to `since` only: a person with no
        recent passage costs an empty index range, not a scan of the whole log.
        """
        return self.session.execute(
            _LAST_PASSAGE, {"person": person_id, "compound": compound_id, "since": since}
        ).scalar_one_or_none()

    def use_qr_token(self, digest: str, access_point_id: int, at: datetime) -> bool:
        """Record a QR token's first use at a door; False if it was used there before (a replay).

        One INSERT … ON CONFLICT DO NOTHING: the unique (digest, door) decides even between
        two gates racing, without a savepoint's extra round trips on every scan.
        """
        stmt = _qr_use_statement(self.session.get_bind().dialect.name)
        return self.session.execute(stmt, {"digest": digest, "point": access_point_id, "at": at}).first() is not None

    def feed(self, compound_ids: set[int], after_id: int, limit: int = 50) -> list[Any]:
        q = (
            select(AccessLog, AccessPoint.name, VisitorPass.visitor_name, Person.name)
            .outerjoin(AccessPoint, AccessPoint.id == AccessLog.access_point_id)
            .outerjoin(VisitorPass, VisitorPass.id == AccessLog.visitor_pass_id)
            .outerjoin(Person, Person.id == AccessLog.person_id)
            .where(AccessLog.compound_id.in_(compound_ids or {-1}), AccessLog.id > after_id)
            .order_by(AccessLog.id.desc())
            .limit(limit)
        )
        return list(reversed(self.session.execute(q).all()))


class VisitorQuery(_Query):
    """Visitor and courier passes."""

    def passes_hosted(self, house_id: int, person_id: int | None) -> list[VisitorPass]:
        q = select(VisitorPass).where(
            VisitorPass.host_house_id == house_id, VisitorPass.status.in_([PassStatus.active, PassStatus.pending])
        )
        if person_id is not None:
            q = q.where(VisitorPass.host_person_id == person_id)
        return list(self.session.execute(q).scalars())

    def passes_hosted_by(self, person_id: int) -> list[VisitorPass]:
        return list(
            self.session.execute(
                select(VisitorPass).where(
                    VisitorPass.host_person_id == person_id,
                    VisitorPass.status.in_([PassStatus.active, PassStatus.pending]),
                )
            ).scalars()
        )

    def of_source(self, source: str) -> list[VisitorPass]:
        return list(
            self.session.execute(select(VisitorPass).where(VisitorPass.source == source).order_by(VisitorPass.id))
            .scalars()
            .all()
        )

    def live_of_source(self, source: str) -> list[VisitorPass]:
        return [vp for vp in self.of_source(source) if vp.status in (PassStatus.active, PassStatus.pending)]

    def live_delivery_passes(self, compound_id: int) -> list[VisitorPass]:
        """Active courier and rider passes of a compound: terminals re-learn them when its delivery rule changes."""
        return list(
            self.session.execute(
                select(VisitorPass).where(
                    VisitorPass.compound_id == compound_id,
                    VisitorPass.kind.in_([PassKind.courier, PassKind.rider]),
                    VisitorPass.status == PassStatus.active,
                )
            ).scalars()
        )

    def entry_points(self, compound_id: int) -> list[AccessPoint]:
        """A compound's active gates and locker banks, for a visitor's page (issue 18)."""
        return list(
            self.session.execute(
                select(AccessPoint)
                .where(AccessPoint.compound_id == compound_id, AccessPoint.active.is_(True))
                .order_by(AccessPoint.name)
            ).scalars()
        )

    def household_users(self, house_id: int, person_id: int | None) -> list[int]:
        """Active accounts to tell about a visitor: the host, else every current occupant of the house."""
        q = (
            select(User.id)
            .join(Occupancy, Occupancy.person_id == User.person_id)
            .where(Occupancy.house_id == house_id, current_occupancy_clause(), User.active.is_(True))
        )
        if person_id is not None:
            q = q.where(User.person_id == person_id)
        return sorted(set(self.session.execute(q).scalars()))

    def pass_ids_for_terminals(self, compound_id: int, now: datetime) -> list[VisitorPass]:
        return list(
            self.session.execute(
                select(VisitorPass).where(
                    VisitorPass.compound_id == compound_id,
                    VisitorPass.status == PassStatus.active,
                    VisitorPass.valid_until > now,
                )
            ).scalars()
        )

    def active_passes_in(self, compound_id: int) -> Select[VisitorPass]:
        return select(VisitorPass).where(
            VisitorPass.compound_id == compound_id, and_(VisitorPass.status == PassStatus.active)
        )


class TerminalListQuery(_Query):
    """Terminals' offline allow-lists and "sync now" pushes."""

    def list_entries(self, terminal_id: int) -> dict[str, TerminalListEntry]:
        return {
            e.entry_key: e
            for e in self.session.execute(
                select(TerminalListEntry).where(TerminalListEntry.terminal_id == terminal_id)
            ).scalars()
        }

    def list_entries_for_keys(
        self, terminal_ids: list[int], keys: list[str]
    ) -> dict[tuple[int, str], TerminalListEntry]:
        if not terminal_ids or not keys:
            return {}
        rows = self.session.execute(
            select(TerminalListEntry).where(
                TerminalListEntry.terminal_id.in_(terminal_ids), TerminalListEntry.entry_key.in_(keys)
            )
        ).scalars()
        return {(e.terminal_id, e.entry_key): e for e in rows}

    def keys_with_prefix(self, terminal_ids: list[int], like: str) -> dict[tuple[int, str], TerminalListEntry]:
        if not terminal_ids:
            return {}
        rows = self.session.execute(
            select(TerminalListEntry).where(
                TerminalListEntry.terminal_id.in_(terminal_ids),
                TerminalListEntry.entry_key.like(like),
                TerminalListEntry.deleted.is_(False),
            )
        ).scalars()
        return {(e.terminal_id, e.entry_key): e for e in rows}

    def changes_since(self, terminal_id: int, since: int, limit: int) -> list[TerminalListEntry]:
        q = select(TerminalListEntry).where(
            TerminalListEntry.terminal_id == terminal_id, TerminalListEntry.version > since
        )
        if since == 0:
            q = q.where(TerminalListEntry.deleted.is_(False))  # a fresh terminal needs no tombstones
        return list(
            self.session.execute(q.order_by(TerminalListEntry.version, TerminalListEntry.id).limit(limit)).scalars()
        )

    def overdue_tombstones(self, before: datetime) -> list[tuple[Terminal, int]]:
        """Terminals that have not synced past a face tombstone older than `before` (R-F5)."""
        q = (
            select(Terminal, func.count(TerminalListEntry.id))
            .join(TerminalListEntry, TerminalListEntry.terminal_id == Terminal.id)
            .where(
                TerminalListEntry.deleted.is_(True),
                TerminalListEntry.entry_key.like("face:%"),
                TerminalListEntry.changed_at < before,
                TerminalListEntry.version > Terminal.acked_version,
            )
            .group_by(Terminal.id)
        )
        return [(t, int(n)) for t, n in self.session.execute(q).all()]

    def due_pushes(self, now: datetime, limit: int = 100) -> list[TerminalPush]:
        return list(
            self.session.execute(
                select(TerminalPush)
                .where(TerminalPush.status.in_(["pending", "failed"]), TerminalPush.next_try_at <= now)
                .order_by(TerminalPush.id)
                .limit(limit)
            ).scalars()
        )
