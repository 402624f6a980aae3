"""Hourly rollups (issue 19): per-compound counts per hour, kept by one leased job, read together with the raw tail.

The domain that owns a raw history table registers a `Rollup` for it (access passages, alarms, device readings):

- `table`: its rollup table, keyed by (compound_id, hour, *keys) (hour = the UTC hour start; China has no daylight
  saving, so UTC hours are China hours) with integer value columns;
- `aggregate(session, start, end, compound_ids)`: the rollup rows of [start, end) recomputed from the raw table
  (all compounds when `compound_ids` is None);
- `dirty(session, after_id, upto_id, after_aux, upto_aux)`: the (compound, hour) cells touched by raw rows whose
  id lies in (after_id, upto_id] (and, for rows that change later such as an alarm's outcome, by the change log's
  ids in (after_aux, upto_aux]);
- `max_ids(session)`: the newest raw id (and change-log id).

`run_rollups(now)` (the job `core.rollups`, every 5 minutes) closes the hours before `now - SETTLE` and
recomputes the hours that received late rows, per rollup:

1. every hour in [rolled_until, upto) is aggregated from scratch (newly closed hours);
2. every older cell touched by a raw row (or a change) seen since the run before last is recomputed: late rows
   (an offline terminal's replay, an alarm raised with its device's old time, a closed alarm's outcome) fold in;
3. `rolled_until` moves to `upto`; the id watermarks move to what the *previous* run saw, so a row whose id was
   taken before a run but committed after it is still looked at (one whole run interval of commit lag allowed).

Recomputing a cell replaces it (delete the span, then INSERT … ON CONFLICT DO UPDATE), so a run is idempotent and
two workers running it at once (a lease that expired under a long run) write the same rows, never twice the
counts. Readers (`split`) take whole hours before `rolled_until` from the rollup and everything after it, plus
partial hours at the edges, from the raw table, through the same repository call on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, String, Table, cast, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from anju.core.db import Base, UTCDateTime, new_session, utcnow
from anju.core.jobs import job

log = logging.getLogger("anju.rollup")

HOUR = timedelta(hours=1)
SETTLE = timedelta(minutes=2)  # an hour is closed this long after its end (commit lag of the writers)
CHUNK = timedelta(days=31)  # a first run (or a long outage) aggregates history a month per transaction
SPAN_MERGE = 48  # more dirty hours than this in one compound: recompute their whole range in one query
UPSERT_BATCH = 500


class RollupState(Base):
    """How far each rollup is complete (`rolled_until`) and which raw ids it has looked at."""

    __tablename__ = "rollup_state"
    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    rolled_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)  # raw ids <= this were folded in
    seen_id: Mapped[int] = mapped_column(BigInteger, default=0)  # the newest raw id at the last run
    last_aux_id: Mapped[int] = mapped_column(BigInteger, default=0)  # the same for the change log
    seen_aux_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


Cell = tuple[int, datetime]  # (compound id, hour start)


@dataclass(frozen=True)
class Rollup:
    name: str
    table: Table
    keys: tuple[str, ...]  # key columns besides compound_id and hour
    values: tuple[str, ...]  # integer columns
    aggregate: Callable[[Session, datetime, datetime, Sequence[int] | None], list[dict[str, Any]]]
    dirty: Callable[[Session, int, int, int, int], set[Cell]]
    max_ids: Callable[[Session], tuple[int, int]]
    earliest: Callable[[Session], datetime | None]  # the oldest raw timestamp (where a first run starts)


_rollups: dict[str, Rollup] = {}


def register_rollup(rollup: Rollup) -> None:
    _rollups[rollup.name] = rollup


def registered_rollups() -> dict[str, Rollup]:
    return dict(_rollups)


def hour_floor(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_ceil(at: datetime) -> datetime:
    f = hour_floor(at)
    return f if f == at else f + HOUR


def epoch_hour(session: Session, col: Any) -> ColumnElement[int]:
    """SQL: the whole hours since 1970 of a UTC timestamp column (group by it; `from_epoch_hour` reads it back)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", col) / 3600), BigInteger)
    return cast(func.strftime("%s", col), Integer) // 3600  # SQLite stores UTC text; integer division


def from_epoch_hour(n: int | float) -> datetime:
    return datetime.fromtimestamp(int(n) * 3600, UTC)


@dataclass(frozen=True)
class RawLog:
    """A raw, id-ordered table a rollup reads: the hours its new rows touch (by id watermark), its newest id and
    its oldest timestamp. `id`, `compound_id` and `at` are the table's columns."""

    id: Any
    compound_id: Any
    at: Any

    def touched(self, session: Session, after: int, upto: int) -> set[Cell]:
        """The (compound, hour) cells of the rows with `after` < id <= `upto`."""
        if upto <= after:
            return set()
        h = epoch_hour(session, self.at)
        rows = session.execute(
            select(self.compound_id, h).where(self.id > after, self.id <= upto).group_by(self.compound_id, h)
        )
        return {(int(c), from_epoch_hour(hr)) for c, hr in rows}

    def dirty(self, session: Session, after: int, upto: int, _after_aux: int, _upto_aux: int) -> set[Cell]:
        """`Rollup.dirty` for a rollup with no change log."""
        return self.touched(session, after, upto)

    def max_id(self, session: Session) -> int:
        return int(session.execute(select(func.max(self.id))).scalar_one() or 0)

    def max_ids(self, session: Session) -> tuple[int, int]:
        """`Rollup.max_ids` for a rollup with no change log."""
        return self.max_id(session), 0

    def earliest(self, session: Session) -> datetime | None:
        result: datetime | None = session.execute(select(func.min(self.at))).scalar_one()
        return result


@dataclass(frozen=True)
class Split:
    """How a reader covers [since, until): `rolled` hours from the rollup, the `raw` ranges from the raw table."""

    rolled: tuple[datetime, datetime] | None
    raw: list[tuple[datetime, datetime | None]]


def split(session: Session, name: str, since: datetime, until: datetime | None = None) -> Split:
    """Whole hours before the rollup's `rolled_until` come from the rollup; the edges and the rest stay raw."""
    state = session.get(RollupState, name)
    done = state.rolled_until if state is not None else None
    if done is None:
        return Split(None, [(since, until)])
    start = hour_ceil(since)
    end = min(hour_floor(until), done) if until is not None else done
    if end <= start:
        return Split(None, [(since, until)])
    raw: list[tuple[datetime, datetime | None]] = []
    if since < start:
        raw.append((since, start))
    if until is None or end < until:
        raw.append((end, until))
    return Split((start, end), raw)


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def replace_span(
    session: Session,
    rollup: Rollup,
    start: datetime,
    end: datetime,
    compound_ids: Sequence[int] | None,
) -> int:
    """Recompute the rollup rows of [start, end) (of some compounds, or all): delete, then upsert; returns rows."""
    rows = rollup.aggregate(session, start, end, compound_ids)
    t = rollup.table
    stmt = delete(t).where(t.c.hour >= start, t.c.hour < end)
    if compound_ids is not None:
        stmt = stmt.where(t.c.compound_id.in_(list(compound_ids)))
    session.execute(stmt)
    index = ["compound_id", "hour", *rollup.keys]
    for i in range(0, len(rows), UPSERT_BATCH):
        ins = _insert(session, t).values(rows[i : i + UPSERT_BATCH])
        # A rival run that inserted the same cell first: take our (equal or newer) figures.
        session.execute(
            ins.on_conflict_do_update(index_elements=index, set_={v: ins.excluded[v] for v in rollup.values})
        )
    return len(rows)


def _spans(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Contiguous runs of hours as [start, end) spans; many scattered hours become one covering span."""
    hs = sorted(set(hours))
    if len(hs) > SPAN_MERGE:
        return [(hs[0], hs[-1] + HOUR)]
    spans: list[tuple[datetime, datetime]] = []
    for h in hs:
        if spans and spans[-1][1] == h:
            spans[-1] = (spans[-1][0], h + HOUR)
        else:
            spans.append((h, h + HOUR))
    return spans


@dataclass
class RunReport:
    name: str
    closed_hours: int = 0
    late_cells: int = 0
    rows: int = 0


def run_rollup(rollup: Rollup, *, now: datetime | None = None) -> RunReport:
    """One run of one rollup (see the module doc); each step commits on its own, the state last."""
    now = now or utcnow()
    upto = hour_floor(now - SETTLE)
    report = RunReport(rollup.name)
    with new_session() as s:
        state = s.get(RollupState, rollup.name)
        if state is None:
            s.add(RollupState(name=rollup.name))
            try:
                s.commit()
            except Exception:  # noqa: BLE001 - a rival run created it first
                s.rollback()
            state = s.get(RollupState, rollup.name)
        assert state is not None
        done, last_id, seen_id = state.rolled_until, state.last_id, state.seen_id
        last_aux, seen_aux = state.last_aux_id, state.seen_aux_id
        max_id, max_aux = rollup.max_ids(s)
        if done is None:
            first = rollup.earliest(s)
            done = hour_floor(first) if first is not None else upto
    # 1. newly closed hours, all compounds, a chunk per transaction
    start = done
    while start < upto:
        end = min(start + CHUNK, upto)
        with new_session() as s:
            report.rows += replace_span(s, rollup, start, end, None)
            s.commit()
        report.closed_hours += int((end - start) / HOUR)
        start = end
    # 2. late rows and changes in hours closed before
    if state.rolled_until is not None:
        with new_session() as s:
            cells = {c for c in rollup.dirty(s, last_id, max_id, last_aux, max_aux) if c[1] < state.rolled_until}
        by_compound: dict[int, list[datetime]] = defaultdict(list)
        for compound_id, hour in cells:
            by_compound[compound_id].append(hour)
        report.late_cells = len(cells)
        for compound_id, hours in sorted(by_compound.items()):
            with new_session() as s:
                for a, b in _spans(hours):
                    report.rows += replace_span(s, rollup, a, b, [compound_id])
                s.commit()
    # 3. the watermarks: forward only (a slower rival run never moves them back)
    with new_session() as s:
        st = s.get(RollupState, rollup.name, with_for_update=True)
        assert st is not None
        if st.rolled_until is None or st.rolled_until < upto:
            st.rolled_until = upto
        st.last_id = (
            max(st.last_id, min(seen_id, max_id)) if state.rolled_until is not None else max(st.last_id, max_id)
        )
        st.seen_id = max(st.seen_id, max_id)
        st.last_aux_id = (
            max(st.last_aux_id, min(seen_aux, max_aux))
            if state.rolled_until is not None
            else max(st.last_aux_id, max_aux)
        )
        st.seen_aux_id = max(st.seen_aux_id, max_aux)
        st.updated_at = utcnow()
        s.commit()
    return report


def run_rollups(*, now: datetime | None = None) -> list[RunReport]:
    return [run_rollup(r, now=now) for r in _rollups.values()]


@job("core.rollups", every=timedelta(minutes=5))
def rollups_job() -> None:
    """Close the past hours of every registered rollup and fold in late rows (idempotent; see the module doc)."""
    for r in run_rollups():
        if r.closed_hours or r.late_cells:
            log.info("rollup %s: %d hours closed, %d late cells, %d rows", r.name, r.closed_hours, r.late_cells, r.rows)
