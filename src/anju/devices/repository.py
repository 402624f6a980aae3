"""Every device query, scoped to what the caller may see (R11); intake's bulk statements."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.kit.pagination import paginate
from anju.core.partitions import row_purge_bound
from anju.devices.enums import CommandStatus, DeviceStatus, DeviceType
from anju.devices.models import (
    DeadLetter,
    Device,
    DeviceCommand,
    DeviceMessage,
    DeviceMessageKey,
    DeviceRuleSet,
    DeviceState,
    RuleState,
)


def readable_devices(who: Principal) -> Select[Device]:
    return select(Device).where(Device.compound_id.in_(who.compound_ids))


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def id_in(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`: one bind and one statement text for every batch
    size (an expanded IN list is a new text per size, which psycopg parses again each time and never prepares)."""
    if _is_pg(session):
        item = String() if values and isinstance(next(iter(values)), str) else Integer()
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(item)))
    return column.in_(values)


# PostgreSQL intake (issue 19): the batch travels as one JSON parameter (json_to_recordset), so the key insert, the
# message insert and their RETURNING are one statement and one round trip, without per-row parameter processing in
# Python (arrays of strings would be escaped element by element). The keys are inserted in (device_id, event_id)
# order: one lock order for every gateway. A nested `json` field keeps its text as sent.
_PG_INSERT_MESSAGES = text(
    """
WITH v AS (
    SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS v(
        device_id integer, compound_id integer, event_id varchar, kind varchar, device_at timestamptz,
        received_at timestamptz, data json)
), k AS (
    INSERT INTO device_message_key (device_id, event_id, received_at)
    SELECT device_id, event_id, received_at FROM v ORDER BY device_id, event_id
    ON CONFLICT (device_id, event_id) DO NOTHING
    RETURNING device_id, event_id
), m AS (
    INSERT INTO device_message (device_id, compound_id, event_id, kind, device_at, received_at, data)
    SELECT v.device_id, v.compound_id, v.event_id, v.kind, v.device_at, v.received_at, v.data
    FROM v JOIN k ON k.device_id = v.device_id AND k.event_id = v.event_id
)
SELECT device_id, event_id FROM k
"""
)

# The rows were locked by `states_for(..., lock=True)` in device order, so one UPDATE … FROM can set them all.
_PG_UPDATE_STATES = text(
    """
UPDATE device_state AS s SET
    status = v.status, last_seen_at = v.last_seen_at, last_device_at = v.last_device_at, "values" = v."values",
    offline_since = v.offline_since, updated_at = v.updated_at
FROM json_to_recordset(CAST(:rows AS json)) AS v(
    device_id integer, status varchar, last_seen_at timestamptz, last_device_at timestamptz, "values" json,
    offline_since timestamptz, updated_at timestamptz)
WHERE s.device_id = v.device_id
"""
)


def _iso(v: Any) -> Any:
    if isinstance(v, datetime):
        if v.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")  # as core.db.UTCDateTime
        return v.isoformat()
    raise TypeError(f"{type(v).__name__} is not JSON serializable")


def _rows_json(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Rows as one JSON array for json_to_recordset (times ISO-8601 with their offset, enums as their values)."""
    return json.dumps([{c: r[c] for c in columns} for r in rows], default=_iso)


class DeviceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- registry ---------------------------------------------------------------------------
    def get_readable(self, who: Principal, device_id: int) -> Device | None:
        return self.session.execute(readable_devices(who).where(Device.id == device_id)).scalar_one_or_none()

    def search(
        self,
        who: Principal,
        *,
        compound_id: int | None,
        device_type: DeviceType | None,
        building_id: int | None,
        status: DeviceStatus | None,
        q: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[tuple[Device, DeviceState | None]], int]:
        stmt = (
            select(Device, DeviceState)
            .outerjoin(DeviceState, DeviceState.device_id == Device.id)
            .where(Device.compound_id.in_(who.compound_ids))
        )
        if compound_id is not None:
            stmt = stmt.where(Device.compound_id == compound_id)
        if device_type is not None:
            stmt = stmt.where(Device.device_type == device_type)
        if building_id is not None:
            stmt = stmt.where(Device.building_id == building_id)
        if status is not None:
            stmt = stmt.where(func.coalesce(DeviceState.status, DeviceStatus.unknown.value) == status.value)
        if q:
            stmt = stmt.where(Device.name.contains(q, autoescape=True) | Device.device_key.contains(q, autoescape=True))
        rows, total = paginate(self.session, stmt, order_by=Device.id, offset=offset, limit=limit, scalars=False)
        return [(d, s) for d, s in rows], total

    def state(self, device_id: int) -> DeviceState | None:
        return self.session.get(DeviceState, device_id)

    def recent_messages(self, device_id: int, limit: int = 20) -> list[DeviceMessage]:
        return list(
            self.session.execute(
                select(DeviceMessage)
                .where(DeviceMessage.device_id == device_id)
                .order_by(DeviceMessage.received_at.desc(), DeviceMessage.id.desc())
                .limit(limit)
            ).scalars()
        )

    def recent_commands(self, device_id: int, limit: int = 10) -> list[DeviceCommand]:
        return list(
            self.session.execute(
                select(DeviceCommand)
                .where(DeviceCommand.device_id == device_id)
                .order_by(DeviceCommand.id.desc())
                .limit(limit)
            ).scalars()
        )

    def by_key(self, device_key: str) -> tuple[Device, str] | None:
        from anju.registry.models import Compound

        row = self.session.execute(
            select(Device, Compound.code)
            .join(Compound, Compound.id == Device.compound_id)
            .where(Device.device_key == device_key)
        ).first()
        return (row[0], row[1]) if row else None

    def key_exists(self, device_key: str) -> bool:
        return self.session.execute(select(Device.id).where(Device.device_key == device_key)).first() is not None

    # --- intake -----------------------------------------------------------------------------
    def insert_messages(self, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
        """INSERT … ON CONFLICT DO NOTHING (R9); returns the (device_id, event_id) pairs actually inserted.

        The key first: a duplicate (a resend with a new receive time, or a concurrent insert of the same message,
        which waits on the key's unique index until the first commits) gets no key and no row. One row per new key,
        also when a batch carries the same message twice. Keys go in (device_id, event_id) order: one lock order
        for every gateway. PostgreSQL: one statement for keys and rows; SQLite: driver-level statements.
        """
        if not rows:
            return set()
        unique: dict[tuple[int, str], dict[str, Any]] = {}
        for r in rows:
            unique.setdefault((r["device_id"], r["event_id"]), r)
        if _is_pg(self.session):
            return self._insert_messages_pg(list(unique.values()))
        keys = sorted(unique.values(), key=lambda r: (r["device_id"], r["event_id"]))
        k_cols = ("device_id", "event_id", "received_at")
        new: set[tuple[int, str]] = set()
        for i in range(0, len(keys), 500):
            chunk = self._driver_rows(DeviceMessageKey.__table__, k_cols, keys[i : i + 500])
            sql = (
                f"INSERT INTO device_message_key ({', '.join(k_cols)}) VALUES {', '.join(['(?, ?, ?)'] * len(chunk))} "
                "ON CONFLICT (device_id, event_id) DO NOTHING RETURNING device_id, event_id"
            )
            res = self.session.connection().exec_driver_sql(sql, tuple(v for row in chunk for v in row))
            new.update((int(d), str(e)) for d, e in res.all())
        fresh = [r for pair, r in unique.items() if pair in new]
        if fresh:
            m_cols = ("device_id", "compound_id", "event_id", "kind", "device_at", "received_at", "data")
            self.session.connection().exec_driver_sql(
                f"INSERT INTO device_message ({', '.join(m_cols)}) VALUES ({', '.join(['?'] * len(m_cols))})",
                self._driver_rows(DeviceMessage.__table__, m_cols, fresh),
            )
        return new

    def _driver_rows(self, table: Any, cols: tuple[str, ...], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Rows as DB-API tuples, each value through its column type's own bind processor (the stored text is what
        an ORM or Core insert stores), without the per-row work of compiled parameters (SQLite intake, issue 19)."""
        dialect = self.session.get_bind().dialect
        columns: list[list[Any]] = []
        for c in cols:  # column by column: one map() per column instead of a generator per row
            proc = table.c[c].type.bind_processor(dialect)
            values = [r[c] for r in rows]
            columns.append(list(map(proc, values)) if proc is not None else values)
        return list(zip(*columns, strict=True))

    def _insert_messages_pg(self, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
        cols = ("device_id", "compound_id", "event_id", "kind", "device_at", "received_at", "data")
        params = {"rows": _rows_json(rows, cols)}
        res = self.session.connection().execute(_PG_INSERT_MESSAGES, params)
        return {(int(d), str(e)) for d, e in res.all()}

    def add_dead_letters(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.connection().execute(DeadLetter.__table__.insert(), rows)

    def states_for(
        self, device_ids: Iterable[int], *, lock: bool = False
    ) -> dict[int, tuple[str, datetime | None, dict[str, Any]]]:
        """Latest state per device. `lock`: FOR UPDATE in device order (PostgreSQL), held to the commit, so two
        gateways handling the same device take turns (no lost update of its values) and cannot deadlock."""
        ids = sorted(device_ids)
        if not ids:
            return {}
        stmt = select(DeviceState.device_id, DeviceState.status, DeviceState.last_device_at, DeviceState.values).where(
            id_in(self.session, DeviceState.device_id, ids)
        )
        if lock:
            stmt = stmt.order_by(DeviceState.device_id).with_for_update()
        rows = self.session.connection().execute(stmt).all()
        return {int(d): (str(st), at, dict(v or {})) for d, st, at, v in rows}

    def insert_states(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            stmt = _insert(self.session, DeviceState.__table__).on_conflict_do_nothing(index_elements=["device_id"])
            self.session.connection().execute(stmt, rows)

    def update_states(self, rows: list[dict[str, Any]]) -> None:
        """Write device states; on PostgreSQL the caller holds their row locks (`states_for(..., lock=True)`)."""
        if rows and _is_pg(self.session):
            ordered = sorted(rows, key=lambda r: r["device_id"])
            cols = ("device_id", "status", "last_seen_at", "last_device_at", "values", "offline_since", "updated_at")
            params = {"rows": _rows_json(ordered, cols)}
            self.session.connection().execute(_PG_UPDATE_STATES, params)
        elif rows:
            # In device order: one order for every writer. Driver-level executemany, as insert_messages.
            ordered = sorted(rows, key=lambda r: r["device_id"])
            cols = ("status", "last_seen_at", "last_device_at", "values", "offline_since", "updated_at", "device_id")
            self.session.connection().exec_driver_sql(
                'UPDATE device_state SET status = ?, last_seen_at = ?, last_device_at = ?, "values" = ?, '
                "offline_since = ?, updated_at = ? WHERE device_id = ?",
                self._driver_rows(DeviceState.__table__, cols, ordered),
            )

    def rule_states(self, device_ids: Iterable[int]) -> dict[tuple[int, str], RuleState]:
        ids = list(device_ids)
        if not ids:
            return {}
        rows = self.session.execute(select(RuleState).where(id_in(self.session, RuleState.device_id, ids))).scalars()
        return {(r.device_id, r.rule_key): r for r in rows}

    def rule_sets(self, compound_ids: Iterable[int]) -> dict[tuple[int, str], list[dict[str, Any]]]:
        ids = list(compound_ids)
        if not ids:
            return {}
        rows = self.session.execute(select(DeviceRuleSet).where(DeviceRuleSet.compound_id.in_(ids))).scalars()
        return {(r.compound_id, r.device_type.value): list(r.rules) for r in rows}

    def delete_rule_state(self, device_id: int, rule_key: str) -> None:
        self.session.execute(delete(RuleState).where(RuleState.device_id == device_id, RuleState.rule_key == rule_key))

    # --- heartbeats ---------------------------------------------------------------------------
    def overdue(self, *, now: datetime, intervals: int, limit: int = 1000) -> list[tuple[Device, DeviceState]]:
        """Online devices whose last message is older than `intervals` heartbeat intervals (R-A6)."""
        rows = self.session.execute(
            select(Device, DeviceState)
            .join(DeviceState, DeviceState.device_id == Device.id)
            .where(DeviceState.status == DeviceStatus.online, Device.active.is_(True))
            .order_by(DeviceState.last_seen_at)
            .limit(limit * 4)
        ).all()
        out = []
        for d, s in rows:
            if s.last_seen_at is not None and (now - s.last_seen_at).total_seconds() >= intervals * d.heartbeat_seconds:
                out.append((d, s))
        return out[:limit]

    def cas_offline(self, device_id: int, *, seen_at: datetime, now: datetime) -> bool:
        res = self.session.execute(
            update(DeviceState)
            .where(
                DeviceState.device_id == device_id,
                DeviceState.status == DeviceStatus.online,
                DeviceState.last_seen_at == seen_at,
            )
            .values(status=DeviceStatus.offline, offline_since=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    # --- commands -----------------------------------------------------------------------------
    def open_command(self, device_id: int, command: str) -> DeviceCommand | None:
        return (
            self.session.execute(
                select(DeviceCommand).where(
                    DeviceCommand.device_id == device_id,
                    DeviceCommand.command == command,
                    DeviceCommand.status.in_((CommandStatus.queued, CommandStatus.sent)),
                )
            )
            .scalars()
            .first()
        )

    def commands_to_send(self, limit: int) -> list[DeviceCommand]:
        return list(
            self.session.execute(
                select(DeviceCommand)
                .where(DeviceCommand.status == CommandStatus.queued)
                .order_by(DeviceCommand.id)
                .limit(limit)
            ).scalars()
        )

    def cas_command(
        self,
        command_id: int | None,
        *,
        expected: tuple[CommandStatus, ...],
        values: dict[str, Any],
        correlation_id: str | None = None,
        device_id: int | None = None,
    ) -> bool:
        conds: list[ColumnElement[bool]] = [DeviceCommand.status.in_(expected)]
        if command_id is not None:
            conds.append(DeviceCommand.id == command_id)
        if correlation_id is not None:
            conds.append(DeviceCommand.correlation_id == correlation_id)
        if device_id is not None:
            conds.append(DeviceCommand.device_id == device_id)
        res = self.session.execute(
            update(DeviceCommand).where(and_(*conds)).values(**values).execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def expire_commands(self, *, now: datetime) -> int:
        res = self.session.execute(
            update(DeviceCommand)
            .where(DeviceCommand.status.in_((CommandStatus.queued, CommandStatus.sent)), DeviceCommand.expires_at < now)
            .values(status=CommandStatus.timed_out)
            .execution_options(synchronize_session=False)
        )
        return int(res.rowcount)  # type: ignore[attr-defined]

    # --- retention ------------------------------------------------------------------------------
    def purge_messages(self, *, before: datetime, limit: int = 10_000) -> int:
        # Partitioned (PostgreSQL): whole months go by the partition job; rows go here only before the oldest month.
        before = row_purge_bound(self.session.connection(), DeviceMessage.__tablename__, before)
        ids = select(DeviceMessage.id).where(DeviceMessage.received_at < before).limit(limit).scalar_subquery()
        res = self.session.execute(delete(DeviceMessage).where(DeviceMessage.id.in_(ids)))
        return int(res.rowcount)  # type: ignore[attr-defined]

    def purge_dead_letters(self, *, before: datetime, limit: int = 10_000) -> int:
        ids = select(DeadLetter.id).where(DeadLetter.received_at < before).limit(limit).scalar_subquery()
        res = self.session.execute(delete(DeadLetter).where(DeadLetter.id.in_(ids)))
        return int(res.rowcount)  # type: ignore[attr-defined]

    def purge_message_keys(self, *, before: datetime, limit: int = 10_000) -> int:
        k = DeviceMessageKey
        batch = select(k.device_id, k.event_id).where(k.received_at < before).limit(limit)
        res = self.session.execute(
            delete(k).where(tuple_(k.device_id, k.event_id).in_(batch)).execution_options(synchronize_session=False)
        )
        return int(res.rowcount)  # type: ignore[attr-defined]
