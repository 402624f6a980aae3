"""Every device query, scoped to what the caller may see (R11); intake's bulk statements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, func, select, tuple_, update
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

        One cached statement run as executemany ("insertmanyvalues" batches it into multi-row
        INSERTs with RETURNING on both dialects) instead of compiling a fresh VALUES list per batch.
        """
        if not rows:
            return set()
        # The key first: a duplicate (a resend with a new receive time, or a concurrent insert of the same
        # message, which waits on the key's unique index until the first commits) gets no key and no row.
        k = DeviceMessageKey.__table__
        stmt = (
            _insert(self.session, k)
            .on_conflict_do_nothing(index_elements=["device_id", "event_id"])
            .returning(k.c.device_id, k.c.event_id)
        )
        conn = self.session.connection()
        keys = [{"device_id": r["device_id"], "event_id": r["event_id"], "received_at": r["received_at"]} for r in rows]
        keys.sort(key=lambda k: (k["device_id"], k["event_id"]))  # one lock order for every gateway
        new = {(int(d), str(e)) for d, e in conn.execute(stmt, keys).all()}
        fresh, taken = [], set()
        for r in rows:  # one row per new key, also when a batch carries the same message twice
            pair = (r["device_id"], r["event_id"])
            if pair in new and pair not in taken:
                taken.add(pair)
                fresh.append(r)
        if fresh:
            conn.execute(DeviceMessage.__table__.insert(), fresh)
        return new

    def add_dead_letters(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.connection().execute(DeadLetter.__table__.insert(), rows)

    def states_for(self, device_ids: Iterable[int]) -> dict[int, tuple[str, datetime | None, dict[str, Any]]]:
        ids = list(device_ids)
        if not ids:
            return {}
        rows = self.session.execute(
            select(DeviceState.device_id, DeviceState.status, DeviceState.last_device_at, DeviceState.values).where(
                DeviceState.device_id.in_(ids)
            )
        ).all()
        return {int(d): (str(st), at, dict(v or {})) for d, st, at, v in rows}

    def insert_states(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            stmt = _insert(self.session, DeviceState.__table__).on_conflict_do_nothing(index_elements=["device_id"])
            self.session.connection().execute(stmt, rows)

    def update_states(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            t = DeviceState.__table__
            stmt = (
                update(t)
                .where(t.c.device_id == bindparam("b_device_id"))
                .values(
                    status=bindparam("status"),
                    last_seen_at=bindparam("last_seen_at"),
                    last_device_at=bindparam("last_device_at"),
                    values=bindparam("values"),
                    offline_since=bindparam("offline_since"),
                    updated_at=bindparam("updated_at"),
                )
            )
            # In device order: gateways sharing a subscription update overlapping devices at once, and rows locked
            # in one order by every writer cannot deadlock.
            ordered = sorted(rows, key=lambda r: r["device_id"])
            self.session.connection().execute(stmt, [{**r, "b_device_id": r["device_id"]} for r in ordered])

    def rule_states(self, device_ids: Iterable[int]) -> dict[tuple[int, str], RuleState]:
        ids = list(device_ids)
        if not ids:
            return {}
        rows = self.session.execute(select(RuleState).where(RuleState.device_id.in_(ids))).scalars()
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
