"""Global ids (issue 19 item 4): the rule for rows that may ever cross databases.

The rule:
- **Tenant rows keep local integer ids.** Configuration and people (compounds, houses, persons, devices, gates,
  orders, alarms…) are few and are always read with their `compound_id`, the distribution key. A compound lives
  whole in one database (a *cell*); a compound moved to another cell is re-keyed by the move, as Citus-style
  tenant moves do, and no foreign key ever crosses cells.
- **History and event rows carry global ids: a bigint with a cell prefix.** Their ids leave the database: the
  outbox id is the NATS message id (the bus dedupes by it), and telemetry, access decisions, alarm transitions,
  notifications and audit rows are the records a city platform gathers from many cells and a rollup's watermark
  follows. They are the tables in `GLOBAL_ID_TABLES`, each with a 64-bit id on PostgreSQL, whose sequence in cell
  `n` (`ANJU_CELL`) runs over `n * 2**48 + 1 … (n + 1) * 2**48 - 1`. Two cells never make the same id, and ids
  stay below 2**53 (cells 0-31), so a browser's JavaScript number holds them exactly.
- A database's cell is fixed by the first `anju db upgrade` that runs this rule (`ANJU_CELL`, default 0); a
  database from before keeps its ids and continues in its cell's range. Upgrading it later with another
  `ANJU_CELL` is refused: two databases with one cell number would make the same ids, so a new database of a
  city gets a new number and an existing one keeps its own. SQLite is one embedded node: cell 0 only.

`apply_cell` runs after every upgrade (`core.migrate.post_upgrade`); a new history table with a global id is added
to `GLOBAL_ID_TABLES` and declared with `BigId` (the registry test checks both ways).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, text
from sqlalchemy.orm import Session

# A 64-bit id on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit (and autoincrements only as INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")

CELL_BITS = 48
MAX_CELL = 31  # (MAX_CELL + 1) * 2**CELL_BITS == 2**53: every id is exact in a JavaScript number

# Tables whose `id` is global (see the rule above). Names, not models: the kernel imports no domain.
GLOBAL_ID_TABLES = (
    "access_log",
    "alarm_transition",
    "device_dead_letter",
    "device_message",
    "notification",
    "object_change",
    "outbox_event",
    "pii_access",
)


class CellError(RuntimeError):
    """The database's cell and ANJU_CELL disagree, or a cell is asked of SQLite."""


def cell_range(cell: int) -> tuple[int, int]:
    """The first and last id of a cell's sequences."""
    if not 0 <= cell <= MAX_CELL:
        raise CellError(f"ANJU_CELL must be 0-{MAX_CELL} (got {cell})")
    base = cell << CELL_BITS
    return base + 1, base + (1 << CELL_BITS) - 1


def cell_of(id_: int) -> int:
    """The cell that made a global id."""
    return id_ >> CELL_BITS


def _sequence_cell(min_value: int, max_value: int) -> int | None:
    """The cell a sequence is bound to, or None when it is not bound yet (a database from before cells)."""
    cell = cell_of(min_value - 1)
    lo, hi = cell_range(cell) if cell <= MAX_CELL else (0, 0)
    return cell if (min_value, max_value) == (lo, hi) else None


def apply_cell(session: Session, cell: int) -> list[str]:
    """Bind every global-id sequence to the cell's range (PostgreSQL); the sequences it changed.

    Idempotent. A sequence already bound to another cell is refused with the reason; an unbound one (cell 0's
    past) is bound, and continues above both its last value and the cell's first id."""
    lo, hi = cell_range(cell)
    if session.get_bind().dialect.name != "postgresql":
        if cell:
            raise CellError("SQLite is a single embedded database: ANJU_CELL must be 0 (or unset)")
        return []
    changed: list[str] = []
    for table in GLOBAL_ID_TABLES:
        row = session.execute(
            text(
                "SELECT s.schemaname || '.' || s.sequencename, s.min_value, s.max_value, s.last_value, s.data_type "
                "FROM pg_sequences s WHERE s.schemaname || '.' || s.sequencename = pg_get_serial_sequence(:t, 'id')"
            ),
            {"t": table},
        ).one_or_none()
        if row is None:
            raise CellError(f"{table}.id has no sequence: a global-id table is missing from the schema")
        seq, min_value, max_value, last_value, data_type = row
        if data_type != "bigint":
            raise CellError(f"{table}.id is {data_type}, not bigint: run `anju db upgrade`")
        bound = _sequence_cell(int(min_value), int(max_value))
        if bound == cell:
            continue
        if bound is not None:
            raise CellError(
                f"this database's ids are cell {bound} ({table}), but ANJU_CELL is {cell}: "
                "a database keeps its cell (two databases with one cell number would make the same ids)"
            )
        start = max(lo, int(last_value or 0) + 1)
        if start > hi:
            raise CellError(f"{table} has ids past cell {cell}'s range: choose a higher ANJU_CELL")
        session.execute(
            text(f"ALTER SEQUENCE {seq} MINVALUE {lo} MAXVALUE {hi} START WITH {start} RESTART WITH {start} NO CYCLE")
        )
        changed.append(table)
    return changed
