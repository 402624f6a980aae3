"""Deposits and prepaid wallets (issue 18): money held for a house or prepaid by a resident, in fen.

- A deposit (the decoration deposit) is charged once per `source` ("decoration:12") and settled once:
  each deduction is a ledger entry with its reason, the rest is refunded. The decoration domain asks for
  both through the outbox (decoration.DepositDue, decoration.DepositReleased); the answers go back the same
  way (fees.DepositCharged, fees.DepositSettled).
- A wallet is a resident's prepaid balance in one compound (e-bike charging). Every movement is an entry
  with a unique `source_key`, and the balance moves in the same transaction by one compare-and-set UPDATE
  that refuses to go below zero: a retried debit or two sessions started at once never overdraw it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.fees.enums import DepositEntryKind, DepositState, WalletEntryKind
from anju.fees.events import DepositCharged, DepositSettled
from anju.fees.exceptions import BadAmount, DeductionTooLarge, InsufficientBalance
from anju.fees.models import Deposit, DepositEntry, Wallet, WalletEntry
from anju.fees.permissions import FeesPerm

MAX_TOPUP_FEN = 100_000  # 1,000 yuan at a time: a wallet for charging, not a bank account


def _receipt(prefix: str) -> str:
    return f"{prefix}{utcnow():%Y%m%d}-{secrets.token_hex(5).upper()}"


@dataclass(frozen=True)
class Deduction:
    amount_fen: int
    reason: str


class DepositService:
    def charge(
        self, session: Session, *, compound_id: int, house_id: int, source: str, purpose: str, amount_fen: int
    ) -> Deposit:
        """Hold a deposit for `source`; a second call for the same source returns the first (no double charge)."""
        if amount_fen <= 0:
            raise BadAmount("a deposit must be positive", zh="押金必须大于零")
        prior = self.by_source(session, source)
        if prior is not None:
            return prior
        dep = Deposit(
            compound_id=compound_id,
            house_id=house_id,
            source=source,
            purpose=purpose[:64],
            amount_fen=amount_fen,
            status=DepositState.held.value,
            receipt_no=_receipt("D"),
            charged_at=utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(dep)
                session.flush()
        except IntegrityError:
            prior = self.by_source(session, source)
            if prior is None:
                raise
            return prior
        self._entry(session, dep, DepositEntryKind.charge, amount_fen, purpose, user_id=None)
        events.publish(
            session,
            DepositCharged(source=source, deposit_id=dep.id, amount_fen=amount_fen, receipt_no=dep.receipt_no),
            compound_id=compound_id,
        )
        return dep

    def settle(
        self, session: Session, *, source: str, deductions: list[Deduction], user_id: int | None
    ) -> Deposit | None:
        """Record each deduction with its reason and refund the rest, once; None when nothing was held."""
        dep = self.by_source(session, source)
        if dep is None:
            return None
        total = sum(d.amount_fen for d in deductions)
        if any(d.amount_fen <= 0 or not d.reason.strip() for d in deductions):
            raise BadAmount("each deduction needs a positive amount and a reason", zh="每项扣款须有金额和原因")
        if total > dep.amount_fen:
            raise DeductionTooLarge()
        now = utcnow()
        res = session.execute(
            update(Deposit)
            .where(Deposit.id == dep.id, Deposit.status == DepositState.held.value)
            .values(
                status=DepositState.settled.value,
                deducted_fen=total,
                refunded_fen=dep.amount_fen - total,
                settled_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        session.refresh(dep)
        if res.rowcount != 1:  # type: ignore[attr-defined]
            return dep  # settled before: a replay changes nothing
        for d in deductions:
            self._entry(session, dep, DepositEntryKind.deduction, d.amount_fen, d.reason.strip(), user_id=user_id)
        if dep.refunded_fen:
            self._entry(session, dep, DepositEntryKind.refund, dep.refunded_fen, "押金退还", user_id=user_id)
        events.publish(
            session,
            DepositSettled(
                source=source, deposit_id=dep.id, deducted_fen=dep.deducted_fen, refunded_fen=dep.refunded_fen
            ),
            compound_id=dep.compound_id,
        )
        return dep

    def by_source(self, session: Session, source: str) -> Deposit | None:
        return session.execute(select(Deposit).where(Deposit.source == source)).scalar_one_or_none()

    def entries(self, session: Session, *, deposit_id: int) -> list[DepositEntry]:
        return list(
            session.execute(
                select(DepositEntry).where(DepositEntry.deposit_id == deposit_id).order_by(DepositEntry.id)
            ).scalars()
        )

    def of_houses(self, session: Session, *, who: Principal, compound_id: int | None = None) -> list[Deposit]:
        """Staff: their compounds' deposits; residents: their houses'."""
        q = select(Deposit).order_by(Deposit.id.desc()).limit(200)
        if who.is_staff and who.can(FeesPerm.read):
            q = q.where(Deposit.compound_id.in_(who.compound_ids))
            if compound_id is not None:
                q = q.where(Deposit.compound_id == compound_id)
        else:
            q = q.where(Deposit.house_id.in_(who.house_ids or [-1]))
        return list(session.execute(q).scalars())

    @staticmethod
    def _entry(
        session: Session, dep: Deposit, kind: DepositEntryKind, fen: int, reason: str, *, user_id: int | None
    ) -> None:
        session.add(
            DepositEntry(
                compound_id=dep.compound_id,
                deposit_id=dep.id,
                kind=kind.value,
                amount_fen=fen,
                reason=reason[:255],
                receipt_no=_receipt("E"),
                user_id=user_id,
            )
        )
        session.flush()


class WalletService:
    def balance(self, session: Session, *, compound_id: int, user_id: int) -> int:
        w = self._wallet(session, compound_id, user_id, create=False)
        return w.balance_fen if w is not None else 0

    def top_up(
        self, session: Session, *, compound_id: int, user_id: int, amount_fen: int, source_key: str, by: int | None
    ) -> WalletEntry:
        """Money in (a counter receipt or a provider's transaction: `source_key` makes a replay harmless)."""
        if not 0 < amount_fen <= MAX_TOPUP_FEN:
            raise BadAmount(
                f"a top-up is 0.01 to {MAX_TOPUP_FEN // 100} yuan", zh=f"单次充值 0.01–{MAX_TOPUP_FEN // 100} 元"
            )
        return self._move(session, compound_id, user_id, amount_fen, WalletEntryKind.topup, source_key, "充值", by=by)

    def debit(
        self, session: Session, *, compound_id: int, user_id: int, amount_fen: int, source_key: str, reason: str
    ) -> WalletEntry:
        """Take a prepayment; 409 when the balance is short. Idempotent by `source_key`."""
        if amount_fen <= 0:
            raise BadAmount("a debit must be positive", zh="扣款金额必须大于零")
        return self._move(
            session, compound_id, user_id, -amount_fen, WalletEntryKind.debit, source_key, reason, by=user_id
        )

    def credit(
        self, session: Session, *, compound_id: int, user_id: int, amount_fen: int, source_key: str, reason: str
    ) -> WalletEntry | None:
        """Return the unused part of a prepayment; nothing when it is zero. Idempotent by `source_key`."""
        if amount_fen <= 0:
            return None
        return self._move(
            session, compound_id, user_id, amount_fen, WalletEntryKind.credit, source_key, reason, by=None
        )

    def entries(self, session: Session, *, compound_id: int, user_id: int, limit: int = 50) -> list[WalletEntry]:
        w = self._wallet(session, compound_id, user_id, create=False)
        if w is None:
            return []
        return list(
            session.execute(
                select(WalletEntry).where(WalletEntry.wallet_id == w.id).order_by(WalletEntry.id.desc()).limit(limit)
            ).scalars()
        )

    def entry(self, session: Session, source_key: str) -> WalletEntry | None:
        return session.execute(select(WalletEntry).where(WalletEntry.source_key == source_key)).scalar_one_or_none()

    def _wallet(self, session: Session, compound_id: int, user_id: int, *, create: bool) -> Wallet | None:
        q = select(Wallet).where(Wallet.compound_id == compound_id, Wallet.user_id == user_id)
        w = session.execute(q).scalar_one_or_none()
        if w is not None or not create:
            return w
        try:
            with session.begin_nested():
                w = Wallet(compound_id=compound_id, user_id=user_id, balance_fen=0)
                session.add(w)
                session.flush()
        except IntegrityError:
            w = session.execute(q).scalar_one()
        return w

    def _move(
        self,
        session: Session,
        compound_id: int,
        user_id: int,
        fen: int,
        kind: WalletEntryKind,
        source_key: str,
        reason: str,
        *,
        by: int | None,
    ) -> WalletEntry:
        prior = self.entry(session, source_key)
        if prior is not None:
            return prior
        w = self._wallet(session, compound_id, user_id, create=True)
        assert w is not None
        # The balance first (a row lock on PostgreSQL, SQLite's write lock), then the entry: a rival with the
        # same key waits here and then finds the entry below.
        res = session.execute(
            update(Wallet)
            .where(Wallet.id == w.id, Wallet.balance_fen + fen >= 0)
            .values(balance_fen=Wallet.balance_fen + fen, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise InsufficientBalance()
        prior = self.entry(session, source_key)
        if prior is not None:  # a rival recorded it while we waited: undo our move
            session.execute(
                update(Wallet)
                .where(Wallet.id == w.id)
                .values(balance_fen=Wallet.balance_fen - fen)
                .execution_options(synchronize_session=False)
            )
            return prior
        entry = WalletEntry(
            compound_id=compound_id,
            wallet_id=w.id,
            kind=kind.value,
            amount_fen=fen,
            source_key=source_key[:64],
            reason=reason[:255],
            receipt_no=_receipt("W"),
            user_id=by,
        )
        session.add(entry)
        session.flush()
        session.refresh(w)
        return entry


deposit_service = DepositService()
wallet_service = WalletService()
