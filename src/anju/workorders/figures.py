"""Figures for reports and the 大屏: MTTA/MTTR by category, SLA compliance, satisfaction, patrol completion."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.workorders.enums import OPEN_STATUSES, OrderStatus, SlaState
from anju.workorders.models import GridWorker, WorkOrder
from anju.workorders.schemas import CategoryFigures, Figures


def _pct(hit: int, total: int) -> float | None:
    return round(100.0 * hit / total, 1) if total else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def figures(session: Session, *, compound_id: int, since: datetime | None) -> Figures:
    """One pass over the compound's orders (only the columns the figures need)."""
    cols = (
        WorkOrder.category,
        WorkOrder.status,
        WorkOrder.created_at,
        WorkOrder.accepted_at,
        WorkOrder.completed_at,
        WorkOrder.paused_seconds,
        WorkOrder.response_met,
        WorkOrder.resolution_met,
        WorkOrder.rating,
        WorkOrder.sla_state,
        WorkOrder.assignee_user_id,
    )
    stmt = select(*cols).where(WorkOrder.compound_id == compound_id)
    if since is not None:
        stmt = stmt.where(WorkOrder.created_at >= since)
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    met = total_decided = open_n = breached_open = 0
    ratings: list[float] = []
    for cat, status, created, accepted, completed, paused, r_met, s_met, rating, sla, _ in session.execute(stmt):
        counts[cat] += 1
        d = per[cat]
        if accepted is not None:
            d["mtta"].append((accepted - created).total_seconds() / 60)
        if completed is not None:
            d["mttr"].append(((completed - created).total_seconds() - (paused or 0)) / 60)
        for key, value in (("resp", r_met), ("reso", s_met)):
            if value is not None:
                d[key].append(1.0 if value else 0.0)
                met += int(bool(value))
                total_decided += 1
        if rating is not None:
            d["rating"].append(float(rating))
            ratings.append(float(rating))
        if status in OPEN_STATUSES:
            open_n += 1
            breached_open += int(sla == SlaState.breached)
    by_cat = [
        CategoryFigures(
            category=c,
            orders=counts[c],
            mtta_minutes=_mean(per[c]["mtta"]),
            mttr_minutes=_mean(per[c]["mttr"]),
            response_compliance=_pct(int(sum(per[c]["resp"])), len(per[c]["resp"])),
            resolution_compliance=_pct(int(sum(per[c]["reso"])), len(per[c]["reso"])),
            satisfaction=_mean(per[c]["rating"]),
            rated=len(per[c]["rating"]),
        )
        for c in sorted(counts)
    ]
    from anju.patrol.service import patrol_completion

    return Figures(
        compound_id=compound_id,
        since=since,
        orders=sum(counts.values()),
        open_orders=open_n,
        breached_open=breached_open,
        sla_compliance=_pct(met, total_decided),
        satisfaction=_mean(ratings),
        by_category=by_cat,
        patrol_completion=patrol_completion(session, compound_id=compound_id, since=since),
        grid_workers=grid_workload(session, compound_id=compound_id),
    )


def grid_workload(session: Session, *, compound_id: int) -> list[dict[str, object]]:
    """Each grid worker's open orders and on-time rate (resolution deadlines met among decided ones)."""
    from anju.accounts.models import User

    workers = session.execute(
        select(GridWorker.user_id, User.display_name, GridWorker.grid_id)
        .join(User, User.id == GridWorker.user_id)
        .where(GridWorker.compound_id == compound_id)
        .order_by(GridWorker.user_id)
    ).all()
    out = []
    for uid, name, grid_id in workers:
        rows = session.execute(
            select(WorkOrder.status, WorkOrder.resolution_met).where(
                WorkOrder.compound_id == compound_id, WorkOrder.assignee_user_id == uid
            )
        ).all()
        decided = [m for _, m in rows if m is not None]
        out.append(
            {
                "user_id": uid,
                "name": name,
                "grid_id": grid_id,
                "open": sum(1 for s, _ in rows if s in OPEN_STATUSES),
                "done": sum(
                    1 for s, _ in rows if s in (OrderStatus.completed, OrderStatus.followed_up, OrderStatus.closed)
                ),
                "on_time": _pct(sum(1 for m in decided if m), len(decided)),
            }
        )
    return out
