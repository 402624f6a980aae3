"""Count and paginate: the one way a list endpoint or page reads "page N of a filtered query"."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

AnySelect: TypeAlias = Select[*tuple[Any, ...]]  # a select of any columns (SQLAlchemy 2.1's Select[*Ts])


def count(session: Session, stmt: AnySelect) -> int:
    """How many rows `stmt` selects (its ORDER BY, if any, is dropped)."""
    return int(session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())


def paginate(
    session: Session,
    stmt: AnySelect,
    *,
    order_by: ColumnElement[Any] | Any,
    offset: int,
    limit: int,
    scalars: bool = True,
) -> tuple[list[Any], int]:
    """One page of `stmt` in `order_by` order, and the total it pages through.

    `scalars=False` returns rows (tuples) for multi-entity selects. The order must be total
    (end on a unique column), or rows can repeat or vanish between pages.
    """
    total = count(session, stmt)
    page = stmt.order_by(*(order_by if isinstance(order_by, tuple | list) else (order_by,))).offset(offset).limit(limit)
    result = session.execute(page)
    rows = list(result.scalars()) if scalars else [tuple(r) for r in result]
    return rows, total


def page_offset(page: int, page_size: int) -> int:
    """The row offset of a 1-based page."""
    return (max(page, 1) - 1) * page_size
