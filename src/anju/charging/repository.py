"""Every query of the charging domain (the piles' device rows and messages are read-only views of their tables)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anju.charging.enums import LIVE, SessionStatus
from anju.charging.models import ChargingCard, ChargingCursor, ChargingSession, ChargingTariff
from anju.devices.enums import DeviceType
from anju.devices.models import Device, DeviceMessage, DeviceState

CURSOR = "piles"


class ChargingQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- sockets (devices) ---------------------------------------------------------------------------------
    def socket_by_key(self, device_key: str) -> Device | None:
        return self.session.execute(
            select(Device).where(Device.device_key == device_key, Device.device_type == DeviceType.ebike_charger)
        ).scalar_one_or_none()

    def socket(self, device_id: int) -> Device | None:
        d = self.session.get(Device, device_id)
        return d if d is not None and d.device_type == DeviceType.ebike_charger else None

    def sockets(self, compound_id: int) -> list[tuple[Device, DeviceState | None]]:
        rows = self.session.execute(
            select(Device, DeviceState)
            .outerjoin(DeviceState, DeviceState.device_id == Device.id)
            .where(
                Device.compound_id == compound_id,
                Device.device_type == DeviceType.ebike_charger,
                Device.active.is_(True),
            )
            .order_by(Device.device_key)
        ).all()
        return [(d, s) for d, s in rows]

    def state(self, device_id: int) -> DeviceState | None:
        return self.session.get(DeviceState, device_id)

    def pile_messages(self, after_id: int, limit: int) -> list[tuple[DeviceMessage, Device]]:
        """The piles' telemetry and events after the cursor, oldest first."""
        rows = self.session.execute(
            select(DeviceMessage, Device)
            .join(Device, Device.id == DeviceMessage.device_id)
            .where(
                DeviceMessage.id > after_id,
                Device.device_type == DeviceType.ebike_charger,
                DeviceMessage.kind.in_(("telemetry", "event")),
            )
            .order_by(DeviceMessage.id)
            .limit(limit)
        ).all()
        return [(m, d) for m, d in rows]

    def first_cursor(self, now: datetime, look_back: timedelta) -> int:
        """Where reading starts the first time: before the earliest live session and the last `look_back` (a card
        swiped just now), never the piles' whole history."""
        since = self.session.execute(
            select(func.min(ChargingSession.started_at)).where(ChargingSession.status.in_([s.value for s in LIVE]))
        ).scalar_one()
        start = min(since, now - look_back) if since is not None else now - look_back
        return int(
            self.session.execute(
                select(func.coalesce(func.max(DeviceMessage.id), 0)).where(DeviceMessage.received_at < start)
            ).scalar_one()
        )

    # --- sessions ------------------------------------------------------------------------------------------
    def live_on(self, device_id: int) -> ChargingSession | None:
        return self.session.execute(
            select(ChargingSession).where(ChargingSession.live_device_id == device_id)
        ).scalar_one_or_none()

    def live_on_many(self, device_ids: list[int]) -> dict[int, ChargingSession]:
        if not device_ids:
            return {}
        rows = self.session.execute(
            select(ChargingSession).where(ChargingSession.live_device_id.in_(device_ids))
        ).scalars()
        return {s.device_id: s for s in rows}

    def of_user(self, user_id: int, *, limit: int = 20) -> list[ChargingSession]:
        return list(
            self.session.execute(
                select(ChargingSession)
                .where(ChargingSession.user_id == user_id)
                .order_by(ChargingSession.id.desc())
                .limit(limit)
            ).scalars()
        )

    def of_compound(self, compound_id: int, *, limit: int = 50) -> list[ChargingSession]:
        return list(
            self.session.execute(
                select(ChargingSession)
                .where(ChargingSession.compound_id == compound_id)
                .order_by(ChargingSession.id.desc())
                .limit(limit)
            ).scalars()
        )

    def due(self, now: datetime) -> list[int]:
        """Running sessions whose paid time is over."""
        return list(
            self.session.execute(
                select(ChargingSession.id).where(
                    ChargingSession.status == SessionStatus.running, ChargingSession.ends_at <= now
                )
            ).scalars()
        )

    def unconfirmed_since(self, before: datetime) -> list[int]:
        return list(
            self.session.execute(
                select(ChargingSession.id).where(
                    ChargingSession.status == SessionStatus.running,
                    ChargingSession.confirmed_at.is_(None),
                    ChargingSession.started_at <= before,
                )
            ).scalars()
        )

    def paused_since(self, before: datetime) -> list[int]:
        return list(
            self.session.execute(
                select(ChargingSession.id).where(
                    ChargingSession.status == SessionStatus.paused, ChargingSession.paused_at <= before
                )
            ).scalars()
        )

    def cas_status(self, session_id: int, old: frozenset[SessionStatus] | set[SessionStatus], **values: Any) -> bool:
        """Move a session on only from an expected status: two workers (or a worker and the resident) at once,
        only the first wins."""
        res = self.session.execute(
            update(ChargingSession)
            .where(ChargingSession.id == session_id, ChargingSession.status.in_([s.value for s in old]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    # --- tariff, cards, cursor -----------------------------------------------------------------------------
    def by_pay_ref(self, pay_ref: str) -> ChargingSession | None:
        return self.session.execute(
            select(ChargingSession).where(ChargingSession.pay_ref == pay_ref)
        ).scalar_one_or_none()

    def tariff(self, compound_id: int) -> ChargingTariff | None:
        return self.session.execute(
            select(ChargingTariff).where(ChargingTariff.compound_id == compound_id)
        ).scalar_one_or_none()

    def card(self, compound_id: int, card_uid: str) -> ChargingCard | None:
        return self.session.execute(
            select(ChargingCard).where(ChargingCard.compound_id == compound_id, ChargingCard.card_uid == card_uid)
        ).scalar_one_or_none()

    def cards_of(self, user_id: int) -> list[ChargingCard]:
        return list(
            self.session.execute(
                select(ChargingCard).where(ChargingCard.user_id == user_id).order_by(ChargingCard.id)
            ).scalars()
        )

    def cursor(self) -> int | None:
        row = self.session.get(ChargingCursor, CURSOR)
        return None if row is None else row.last_message_id

    def advance_cursor(self, old: int | None, new: int, now: datetime) -> bool:
        """Compare-and-set the cursor; False when another worker moved it first."""
        if old is None:
            from sqlalchemy.exc import IntegrityError

            try:
                with self.session.begin_nested():
                    self.session.add(ChargingCursor(name=CURSOR, last_message_id=new, updated_at=now))
                    self.session.flush()
            except IntegrityError:
                return False
            return True
        res = self.session.execute(
            update(ChargingCursor)
            .where(ChargingCursor.name == CURSOR, ChargingCursor.last_message_id == old)
            .values(last_message_id=new, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]


__all__ = ["LIVE", "ChargingQuery"]
