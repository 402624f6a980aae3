"""Every fees query, scoped to what the caller may see (R11)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.fees.enums import BillStatus, PayerKind
from anju.fees.models import Bill, CommonIncome, FeeItem, Payment
from anju.fees.permissions import FeesPerm
from anju.registry.models import Building, House


def readable_bills(who: Principal) -> Select[Bill]:
    """Staff with fees.read: their compounds' bills. Residents: their own households' bills."""
    if who.is_staff and who.can(FeesPerm.read):
        return select(Bill).where(Bill.compound_id.in_(who.compound_ids))
    if who.can(AccountsPerm.self_service) and who.house_ids:
        return select(Bill).where(Bill.house_id.in_(who.house_ids), Bill.payer_kind == PayerKind.owner.value)
    return select(Bill).where(false())


class FeeQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def items(self, compound_id: int, *, active_only: bool = True) -> list[FeeItem]:
        q = select(FeeItem).where(FeeItem.compound_id == compound_id).order_by(FeeItem.id)
        if active_only:
            q = q.where(FeeItem.active.is_(True))
        return list(self.session.execute(q).scalars())

    def bill_rows(
        self,
        who: Principal,
        *,
        compound_id: int | None = None,
        period: str | None = None,
        status: str | None = None,
        house_id: int | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[tuple[Bill, str, str]], int]:
        """Bills with their house label and item name, newest month first."""
        base = readable_bills(who)
        if compound_id is not None:
            base = base.where(Bill.compound_id == compound_id)
        if period:
            base = base.where(Bill.period == period)
        if status:
            base = base.where(Bill.status == status)
        if house_id is not None:
            base = base.where(Bill.house_id == house_id)
        sub = base.subquery()
        total = int(self.session.execute(select(func.count()).select_from(sub)).scalar_one())
        rows = self.session.execute(
            select(Bill, House.label, FeeItem.name)
            .join_from(sub, Bill, Bill.id == sub.c.id)
            .join(House, House.id == Bill.house_id)
            .join(FeeItem, FeeItem.id == Bill.item_id)
            .order_by(Bill.period.desc(), House.label, Bill.id)
            .offset(offset)
            .limit(limit)
        ).all()
        return [(b, label, name) for b, label, name in rows], total

    def arrears(self, compound_id: int, *, today: date) -> dict[str, Any]:
        """Overdue open bills as aggregates: houses, bills, amount, per building. No names, no labels."""
        owed = Bill.amount_fen - Bill.paid_fen
        where = (Bill.compound_id == compound_id, Bill.status == BillStatus.open.value, Bill.due_on < today)
        total = self.session.execute(
            select(func.count(func.distinct(Bill.house_id)), func.count(), func.coalesce(func.sum(owed), 0)).where(
                *where
            )
        ).one()
        per = self.session.execute(
            select(Building.name, func.count(func.distinct(Bill.house_id)), func.coalesce(func.sum(owed), 0))
            .join(House, House.id == Bill.house_id)
            .join(Building, Building.id == House.building_id)
            .where(*where)
            .group_by(Building.id, Building.name)
            .order_by(Building.id)
        ).all()
        return {
            "houses": int(total[0]),
            "bills": int(total[1]),
            "amount_fen": int(total[2]),
            "by_building": [{"building": n, "houses": int(h), "amount_fen": int(a)} for n, h, a in per],
        }

    def payments_of(self, bill_ids: list[int]) -> list[Payment]:
        if not bill_ids:
            return []
        return list(
            self.session.execute(select(Payment).where(Payment.bill_id.in_(bill_ids)).order_by(Payment.id)).scalars()
        )

    def income(self, compound_id: int, *, limit: int = 200) -> list[CommonIncome]:
        return list(
            self.session.execute(
                select(CommonIncome)
                .where(CommonIncome.compound_id == compound_id)
                .order_by(CommonIncome.occurred_on.desc(), CommonIncome.id.desc())
                .limit(limit)
            ).scalars()
        )

    def periods(self, compound_id: int) -> list[str]:
        return list(
            self.session.execute(
                select(Bill.period)
                .where(Bill.compound_id == compound_id)
                .group_by(Bill.period)
                .order_by(Bill.period.desc())
            ).scalars()
        )
