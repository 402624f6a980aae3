"""The repair-fund share of common income (R-M3, Shanghai 上海规定 第51条).

A compound whose common income mainly funds repairs records a policy: a share above
one half. Each finished quarter, that share of the quarter's net common income (gross
minus documented costs) moves to the repair fund, once: the unique (compound, quarter)
row makes the quarterly job and a manual run idempotent, also when two workers race.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.fees.exceptions import BadQuarter, RepairShareTooSmall
from anju.fees.models import CommonIncome, IncomePolicy, RepairFundTransfer
from anju.fees.permissions import FeesPerm
from anju.fees.service import check_year, staff_scope

_QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarter(day: date) -> str:
    year, q = day.year, (day.month - 1) // 3 + 1
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First day of the quarter and first day of the next one."""
    m = _QUARTER.fullmatch(quarter or "")
    if m is None:
        raise BadQuarter(f"bad quarter {quarter!r}", fields=[{"field": "quarter", "message": "YYYYQn"}])
    year, q = check_year(int(m.group(1)), field="quarter", error=BadQuarter), int(m.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


def share_of(net_fen: int, permille: int) -> int:
    """The repair-fund amount: the share of a positive net, rounded up to the fen so it stays above half."""
    if net_fen <= 0:
        return 0
    return -(-net_fen * permille // 1000)


class RepairFundService:
    def set_policy(
        self, session: Session, *, by: Principal, compound_id: int, share_permille: int, rule_ref: str
    ) -> IncomePolicy:
        staff_scope(by, compound_id, FeesPerm.manage)
        if not 500 < share_permille <= 1000:
            raise RepairShareTooSmall(
                f"share {share_permille}‰ must be above 500‰ and at most 1000‰",
                fields=[{"field": "share_permille", "message": "501..1000"}],
            )
        policy = session.execute(
            select(IncomePolicy).where(IncomePolicy.compound_id == compound_id)
        ).scalar_one_or_none()
        if policy is None:
            policy = IncomePolicy(compound_id=compound_id)
            session.add(policy)
        policy.repair_share_permille, policy.rule_ref, policy.user_id = share_permille, rule_ref.strip(), by.user_id
        session.flush()
        return policy

    def transfer(
        self, session: Session, *, by: Principal | None, compound_id: int, quarter: str, today: date
    ) -> RepairFundTransfer | None:
        """Move the quarter's share once; None where the compound has no policy. The quarter must be over."""
        if by is not None:
            staff_scope(by, compound_id, FeesPerm.manage)
        start, end = quarter_bounds(quarter)
        if end > today:
            raise BadQuarter(f"quarter {quarter} is not over yet", zh="该季度尚未结束")
        existing = self._existing(session, compound_id, quarter)
        if existing is not None:
            return existing
        policy = session.execute(
            select(IncomePolicy).where(IncomePolicy.compound_id == compound_id)
        ).scalar_one_or_none()
        if policy is None:
            return None
        net = int(
            session.execute(
                select(func.coalesce(func.sum(CommonIncome.gross_fen - CommonIncome.cost_fen), 0)).where(
                    CommonIncome.compound_id == compound_id,
                    CommonIncome.occurred_on >= start,
                    CommonIncome.occurred_on < end,
                )
            ).scalar_one()
        )
        row = RepairFundTransfer(
            compound_id=compound_id,
            quarter=quarter,
            net_fen=net,
            share_permille=policy.repair_share_permille,
            amount_fen=share_of(net, policy.repair_share_permille),
            user_id=by.user_id if by else None,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another worker or a manual run moved this quarter first
            return self._existing(session, compound_id, quarter)
        return row

    def _existing(self, session: Session, compound_id: int, quarter: str) -> RepairFundTransfer | None:
        return session.execute(
            select(RepairFundTransfer).where(
                RepairFundTransfer.compound_id == compound_id, RepairFundTransfer.quarter == quarter
            )
        ).scalar_one_or_none()

    def summary(self, session: Session, compound_id: int) -> dict[str, Any]:
        """What the ledger shows owners: the policy, each quarter's transfer, and the total moved."""
        policy = session.execute(
            select(IncomePolicy).where(IncomePolicy.compound_id == compound_id)
        ).scalar_one_or_none()
        rows = list(
            session.execute(
                select(RepairFundTransfer)
                .where(RepairFundTransfer.compound_id == compound_id)
                .order_by(RepairFundTransfer.quarter.desc())
            ).scalars()
        )
        return {"policy": policy, "transfers": rows, "transferred_fen": sum(r.amount_fen for r in rows)}


repair_fund_service = RepairFundService()
