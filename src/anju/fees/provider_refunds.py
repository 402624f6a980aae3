"""Refunds through the payment provider (issue 18: the unused part of a charging session paid on its own).

- `request` records what is owed, in the caller's transaction, once per `source_key` (a unique key: a retried or
  concurrent request finds the first row). Nothing leaves the building yet: no vendor call inside a transaction.
- `send_due` (the job `fees.send_refunds`, and callable after a commit) claims pending refunds by compare-and-set on
  a lease, calls the provider outside any transaction with the row's refund number, and marks the row done by
  compare-and-set. A crash or timeout after the provider paid leaves the row pending; the next run asks again with
  the same refund number and the provider answers with the first refund: the payer is refunded once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.db import transaction, utcnow
from anju.core.sqlite_retry import begin_immediate
from anju.fees.enums import ProviderRefundStatus
from anju.fees.models import ProviderRefund

log = logging.getLogger("anju.fees.refunds")

LEASE = timedelta(minutes=5)  # a claimed refund another worker may take over after this
BATCH = 50


@dataclass(frozen=True)
class _Claim:
    id: int
    provider: str
    refund_no: str
    txn_id: str
    amount_fen: int


class ProviderRefundService:
    def request(
        self,
        session: Session,
        *,
        compound_id: int,
        source_key: str,
        txn_id: str,
        amount_fen: int,
        user_id: int | None,
        reason: str,
        provider: str | None = None,
    ) -> ProviderRefund | None:
        """Owe the payer `amount_fen` of payment `txn_id` through `provider` (the one in use when not given);
        nothing for zero. Idempotent by `source_key`."""
        if amount_fen <= 0:
            return None
        prior = self.by_source(session, source_key)
        if prior is not None:
            return prior
        if provider is None:
            from anju.fees.providers import online_provider, simulated_provider

            in_use = online_provider()
            provider = in_use.name if in_use is not None else simulated_provider.name
        row = ProviderRefund(
            compound_id=compound_id,
            source_key=source_key[:64],
            refund_no=f"RF{utcnow():%Y%m%d}-{secrets.token_hex(6).upper()}",
            provider=provider,
            txn_id=txn_id[:64],
            amount_fen=amount_fen,
            reason=reason[:255],
            user_id=user_id,
            status=ProviderRefundStatus.pending.value,
            attempts=0,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            found = self.by_source(session, source_key)  # recorded by a rival at the same moment
            assert found is not None
            return found
        return row

    def by_source(self, session: Session, source_key: str) -> ProviderRefund | None:
        return session.execute(
            select(ProviderRefund).where(ProviderRefund.source_key == source_key[:64])
        ).scalar_one_or_none()

    def _claim(self, now: datetime, limit: int) -> list[_Claim]:
        """Take pending refunds whose lease is free (one transaction): two workers never hold the same one."""
        free = or_(ProviderRefund.claimed_until.is_(None), ProviderRefund.claimed_until < now)
        claimed: list[_Claim] = []
        with transaction() as s:
            begin_immediate(s)  # SQLite: the write lock first, so a rival claimer waits instead of failing
            rows = s.execute(
                select(ProviderRefund)
                .where(ProviderRefund.status == ProviderRefundStatus.pending.value, free)
                .order_by(ProviderRefund.id)
                .limit(limit)
            ).scalars()
            for r in list(rows):
                res = s.execute(
                    update(ProviderRefund)
                    .where(ProviderRefund.id == r.id, ProviderRefund.status == ProviderRefundStatus.pending.value, free)
                    .values(claimed_until=now + LEASE, attempts=ProviderRefund.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if res.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(_Claim(r.id, r.provider, r.refund_no, r.txn_id, r.amount_fen))
        return claimed

    def send_due(self, *, now: datetime | None = None, limit: int = BATCH) -> dict[str, int]:
        """Call the provider for each claimed refund (outside any transaction), then record the outcome."""
        from anju.fees.providers import provider_named

        at = now or utcnow()
        done = {"claimed": 0, "done": 0, "failed": 0}
        for c in self._claim(at, limit):
            done["claimed"] += 1
            provider = provider_named(c.provider)
            try:
                if provider is None:
                    raise LookupError(f"payment provider {c.provider} is not installed")
                receipt = provider.refund(refund_no=c.refund_no, txn_id=c.txn_id, amount_fen=c.amount_fen)
            except Exception as exc:  # noqa: BLE001 - the row stays pending and is retried after its lease
                log.warning("refund %s via %s failed: %s", c.refund_no, c.provider, exc)
                with transaction() as s:
                    s.execute(
                        update(ProviderRefund)
                        .where(ProviderRefund.id == c.id)
                        .values(last_error=str(exc)[:255])
                        .execution_options(synchronize_session=False)
                    )
                done["failed"] += 1
                continue
            with transaction() as s:
                res = s.execute(
                    update(ProviderRefund)
                    .where(ProviderRefund.id == c.id, ProviderRefund.status == ProviderRefundStatus.pending.value)
                    .values(
                        status=ProviderRefundStatus.done.value,
                        provider_refund_id=receipt.refund_id[:64],
                        completed_at=at,
                        last_error=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                done["done"] += res.rowcount  # type: ignore[attr-defined]
        return done


provider_refund_service = ProviderRefundService()
