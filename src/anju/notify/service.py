"""Notification rules: inbox rows in the caller's transaction; external sends only after commit.

External deliveries (SMS, voice, webhook) are rows written with the change that caused them and
a `DeliveryQueued` event; the worker claims a row by compare-and-swap, decrypts the phone only
here (auditing the read), sends outside any transaction, then records the outcome. Failures retry
with exponential backoff from the `notify.retry_deliveries` job. Delivery is at-least-once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.audit import record_pii_access
from anju.core.auth import Principal
from anju.core.crypto import decrypt, encrypt
from anju.core.db import transaction, utcnow
from anju.core.errors import NotFound
from anju.notify.config import notify_settings
from anju.notify.events import DeliveryQueued
from anju.notify.models import Delivery, Notification, WebhookEndpoint
from anju.notify.providers import ChannelOff, SendFailed, phone_provider, post_webhook

log = logging.getLogger("anju.notify")


# Other domains' recipient kinds ("visitor:7"), registered at start-up: kind -> (session, id) -> phone or None.
_phone_resolvers: dict[str, Callable[[Session, int], str | None]] = {}


def register_phone_resolver(kind: str, resolve: Callable[[Session, int], str | None]) -> None:
    """Let a domain own a recipient kind; its phone is decrypted only at send time, and the read is audited."""
    _phone_resolvers[kind] = resolve


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


class NotifyService:
    # --- writing (inside the caller's transaction) -------------------------------------------
    def inbox(
        self,
        session: Session,
        *,
        user_ids: list[int],
        compound_id: int,
        category: str,
        title: str,
        body: str,
        alarm_id: int | None = None,
    ) -> int:
        for uid in user_ids:
            session.add(
                Notification(
                    compound_id=compound_id,
                    user_id=uid,
                    category=category,
                    title=title[:255],
                    body=body,
                    alarm_id=alarm_id,
                )
            )
        return len(user_ids)

    def queue_phone(
        self,
        session: Session,
        *,
        compound_id: int,
        channel: str,
        recipient_ref: str,
        recipient_masked: str | None,
        purpose: str,
        text: str,
        alarm_id: int | None = None,
    ) -> Delivery:
        d = Delivery(
            compound_id=compound_id,
            channel=channel,
            recipient_ref=recipient_ref,
            recipient_masked=recipient_masked,
            purpose=purpose,
            alarm_id=alarm_id,
            payload={"text": text},
        )
        session.add(d)
        session.flush()
        events.publish(session, DeliveryQueued(delivery_id=d.id), compound_id=compound_id)
        return d

    def queue_webhooks(
        self, session: Session, *, compound_id: int, kind: str, payload: dict[str, Any], alarm_id: int | None = None
    ) -> int:
        hooks = (
            session.execute(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.compound_id == compound_id, WebhookEndpoint.active.is_(True)
                )
            )
            .scalars()
            .all()
        )
        n = 0
        for h in hooks:
            if h.kinds and kind not in h.kinds:
                continue
            d = Delivery(
                compound_id=compound_id,
                channel="webhook",
                recipient_ref=f"webhook:{h.id}",
                recipient_masked=h.url[:255],
                purpose="alarm",
                alarm_id=alarm_id,
                payload=payload,
            )
            session.add(d)
            session.flush()
            events.publish(session, DeliveryQueued(delivery_id=d.id), compound_id=compound_id)
            n += 1
        return n

    def add_webhook(
        self, session: Session, *, compound_id: int, url: str, secret: str, kinds: list[str] | None = None
    ) -> WebhookEndpoint:
        h = WebhookEndpoint(
            compound_id=compound_id, url=url, secret_enc=encrypt(secret, context="webhook.secret"), kinds=kinds or []
        )
        session.add(h)
        session.flush()
        return h

    # --- reading ------------------------------------------------------------------------------
    def mine(self, session: Session, *, by: Principal, unread_only: bool, limit: int) -> list[Notification]:
        stmt = select(Notification).where(Notification.user_id == by.user_id)
        if unread_only:
            stmt = stmt.where(Notification.read_at.is_(None))
        return list(session.execute(stmt.order_by(Notification.id.desc()).limit(limit)).scalars())

    def get_mine(self, session: Session, *, by: Principal, notification_id: int) -> Notification:
        """One of my messages; another user's (or no such id) is a 404."""
        n = session.get(Notification, notification_id)
        if n is None or n.user_id != by.user_id:
            raise NotFound(f"notification {notification_id}", zh="未找到该消息")
        return n

    def unread_count(self, session: Session, *, by: Principal) -> int:
        """How many of my messages are unread (the badge next to 消息)."""
        stmt = select(func.count()).where(Notification.user_id == by.user_id, Notification.read_at.is_(None))
        return int(session.execute(stmt).scalar_one())

    def mark_read(self, session: Session, *, by: Principal, notification_id: int, now: datetime | None = None) -> bool:
        res = session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id, Notification.user_id == by.user_id, Notification.read_at.is_(None)
            )
            .values(read_at=now or utcnow())
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    # --- sending (the worker; its own short transactions around the slow call) ------------------
    def deliver(self, delivery_id: int, *, now: datetime | None = None) -> str:
        """Claim, send and record one delivery; returns its new status (or "skipped")."""
        s = notify_settings()
        now = now or utcnow()
        with transaction() as session:
            free = or_(Delivery.locked_until.is_(None), Delivery.locked_until < now)
            res = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status.in_(("queued", "retrying")),
                    Delivery.next_attempt_at <= now,
                    free,
                )
                .values(
                    status="sending",
                    attempts=Delivery.attempts + 1,
                    locked_until=now + timedelta(seconds=s.lease_seconds),
                )
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]
                return "skipped"  # sent already, or another worker holds it
            d = session.get(Delivery, delivery_id)
            assert d is not None
            channel, payload, attempts = d.channel, dict(d.payload), d.attempts
            target = self._resolve(session, d)
        error: str | None = None
        ref: str | None = None
        off = False
        try:
            if target is None:
                raise SendFailed("recipient has no usable address")
            if channel == "webhook":
                url, secret = target
                ref = post_webhook(url, secret, payload, delivery_id=delivery_id, timeout=s.webhook_timeout_seconds)
            elif channel == "voice":
                ref = phone_provider(s.phone_provider_name).call(target[0], payload.get("text", ""))
            else:
                ref = phone_provider(s.phone_provider_name).send_sms(target[0], payload.get("text", ""))
        except ChannelOff as e:
            error, off = str(e)[:500], True
        except SendFailed as e:
            error = str(e)[:500]
        except Exception as e:  # a provider bug must not lose the delivery
            log.exception("delivery %s failed", delivery_id)
            error = f"{type(e).__name__}: {e}"[:500]
        with transaction() as session:
            values: dict[str, Any] = {"locked_until": None}
            if error is None:
                values.update(status="sent", sent_at=utcnow(), provider_ref=ref, last_error=None)
            elif attempts >= s.max_attempts or target is None or off:
                values.update(status="failed", last_error=error)
            else:
                values.update(status="retrying", last_error=error, next_attempt_at=now + _backoff(attempts))
            session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
            return str(values["status"])

    def _resolve(self, session: Session, d: Delivery) -> tuple[str, str] | None:
        """The address: decrypted here and only here, and every phone read is audited."""
        kind, _, raw_id = d.recipient_ref.partition(":")
        if kind == "webhook":
            h = session.get(WebhookEndpoint, int(raw_id))
            if h is None or not h.active:
                return None
            return h.url, decrypt(h.secret_enc, context="webhook.secret") or ""
        from anju.registry.models import EmergencyContact, Person

        if kind == "person":
            p = session.get(Person, int(raw_id))
            if p is None or p.frozen_at is not None or not p.phone_enc:
                return None
            phone = decrypt(p.phone_enc, context="person.phone")
        elif kind == "contact":
            c = session.get(EmergencyContact, int(raw_id))
            if c is None or not c.phone_enc:
                return None
            phone = decrypt(c.phone_enc, context="contact.phone")
        elif kind in _phone_resolvers:
            phone = _phone_resolvers[kind](session, int(raw_id))
            if not phone:
                return None
        else:
            return None
        record_pii_access(
            session, user_id=None, compound_id=d.compound_id, subject=d.recipient_ref, field="phone", reason=d.purpose
        )
        return (phone or "", "")

    def due_retries(self, session: Session, *, now: datetime, limit: int = 100) -> list[int]:
        """Deliveries to (re)try: retrying and due, or stuck in sending past their lease."""
        stmt = (
            select(Delivery.id)
            .where(
                or_(
                    Delivery.status.in_(("queued", "retrying")),
                    (Delivery.status == "sending") & (Delivery.locked_until < now),
                ),
                Delivery.next_attempt_at <= now,
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
        return list(session.execute(stmt).scalars())

    def release_stuck(self, session: Session, *, now: datetime) -> None:
        session.execute(
            update(Delivery)
            .where(Delivery.status == "sending", Delivery.locked_until < now)
            .values(status="retrying", locked_until=None)
        )


notify_service = NotifyService()
