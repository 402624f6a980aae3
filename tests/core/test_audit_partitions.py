"""Issue 19 item 2, audit reads: pii_access partitioned by month on PostgreSQL, whole months dropped past
ANJU_AUDIT_RETENTION_DAYS (R-P5: at least 6 months), and the chains still tamper-evident after the drop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from pydantic import ValidationError
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from anju.core import audit
from anju.core import db as core_db
from anju.core.audit import (
    AUDIT_PARTITIONS,
    LEGACY,
    AuditChainCut,
    PiiAccess,
    _digest,
    _payload,
    anchor_heads,
    record_pii_access,
    verify_anchors,
    verify_chains,
)
from anju.core.config import Settings
from anju.core.migrate import alembic_config, upgrade
from anju.core.partitions import drop_expired, ensure, monthly, partition_names, registered
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database

JAN = datetime(2031, 1, 10, 8, 0, tzinfo=UTC)
MAR = datetime(2031, 3, 5, 8, 0, tzinfo=UTC)
SEP = datetime(2031, 9, 15, 8, 0, tzinfo=UTC)  # 200 days' retention: the cutoff is 2031-02-27
BEFORE = "zn20261208_global_ids"


def _read(session: Session, monkeypatch, when: datetime, compound_id: int | None, k: int) -> None:
    monkeypatch.setattr(audit, "utcnow", lambda: when)
    record_pii_access(
        session, user_id=None, compound_id=compound_id, subject=f"person:{k}", field="phone", reason=f"part {k}"
    )


def _rows(session: Session, compound_id: int | None) -> list[PiiAccess]:
    where = PiiAccess.compound_id.is_(None) if compound_id is None else PiiAccess.compound_id == compound_id
    session.expire_all()
    return list(session.execute(select(PiiAccess).where(where).order_by(PiiAccess.id)).scalars())


def _broken(session: Session) -> dict[object, list[int]]:
    session.expire_all()  # rows edited behind the ORM's back are read again
    return {k: r.broken_at for k, r in verify_chains(session, PiiAccess).items() if not r.intact}


def _two_months(session: Session, ids, monkeypatch, *, before_drop=None) -> dict:
    """Reads in January and March 2031 (compounds A and B; the platform chain only in January), anchored in
    January, then the partition job at SEP: January is past the retention and dropped, March kept."""
    if DB_KIND != "postgresql":
        pytest.skip("native partitions are PostgreSQL's; SQLite keeps one table")
    conn = session.connection()
    made = ensure(conn, AUDIT_PARTITIONS, JAN)
    assert made == ["pii_access_p203101", "pii_access_p203102", "pii_access_p203103"]
    a, b = ids["A"], ids["B"]
    for k in range(3):
        _read(session, monkeypatch, JAN + timedelta(minutes=k), a, k)
        _read(session, monkeypatch, JAN + timedelta(minutes=k), b, k)
    _read(session, monkeypatch, JAN, None, 9)
    assert anchor_heads(session, at=JAN + timedelta(hours=1)) is not None  # heads that the drop will take
    jan_heads = {c: (r.id, r.row_hash) for c in (a, b, None) for r in _rows(session, c)[-1:]}
    for k in range(3, 6):
        _read(session, monkeypatch, MAR + timedelta(minutes=k), a, k)
        _read(session, monkeypatch, MAR + timedelta(minutes=k), b, k)
    assert _broken(session) == {}
    if before_drop:
        before_drop()
    dropped = drop_expired(conn, AUDIT_PARTITIONS, SEP)
    return {"a": a, "b": b, "dropped": dropped, "jan_heads": jan_heads}


@pytest.fixture
def months(session, ids, monkeypatch):
    return _two_months(session, ids, monkeypatch)


@pytest.mark.postgres
class TestMonthlyAuditPartitions:
    def test_r_p5_audit_reads_dropped_by_month_past_retention_i19(self, session, months):
        assert AUDIT_PARTITIONS is registered()["pii_access"]
        assert AUDIT_PARTITIONS.retention() == timedelta(days=200)
        assert "pii_access_p203101" in months["dropped"]
        assert "pii_access_p203102" not in months["dropped"]  # February ends after the cutoff: kept whole
        assert "pii_access_p203103" not in months["dropped"]
        left = session.execute(text("SELECT min(at) FROM pii_access WHERE at >= '2031-01-01'")).scalar_one()
        assert left >= datetime(2031, 3, 1, tzinfo=UTC)  # January's reads went with their month
        assert {"pii_access_p203102", "pii_access_p203103"} <= set(monthly(session.connection(), "pii_access").values())

    def test_r_p5_each_cut_chain_records_its_last_dropped_row_i19(self, session, months):
        for c, head in months["jan_heads"].items():
            where = AuditChainCut.compound_id.is_(None) if c is None else AuditChainCut.compound_id == c
            cut = (
                session.execute(
                    select(AuditChainCut)
                    .where(where, AuditChainCut.table_name == "pii_access", ~AuditChainCut.legacy)
                    .order_by(AuditChainCut.last_id.desc())
                )
                .scalars()
                .first()
            )
            assert (cut.last_id, cut.row_hash) == head
            assert cut.upto == datetime(2031, 2, 1, tzinfo=UTC)

    def test_r_p5_chains_and_anchors_verify_after_the_drop_i19(self, session, months):
        assert _broken(session) == {}
        reports = verify_chains(session, PiiAccess)
        assert reports[months["a"]].rows >= 3  # March's rows, verified from the cut
        n, problems = verify_anchors(session)
        assert n >= 1 and problems == []  # the January anchor's heads are checked against the cuts
        assert anchor_heads(session, at=SEP) is not None  # the heads moved (the platform chain has none left)
        assert verify_anchors(session)[1] == []

    def test_r_p5_a_chain_emptied_by_the_drop_continues_from_its_cut_i19(self, session, months, monkeypatch):
        assert _rows(session, None) == [] or all(r.at < JAN for r in _rows(session, None))
        _read(session, monkeypatch, SEP, None, 10)
        new = _rows(session, None)[-1]
        assert new.prev_hash == months["jan_heads"][None][1]
        assert _broken(session) == {}

    def test_r_p5_a_tampered_kept_row_is_named_after_the_drop_i19(self, session, months):
        a, b = months["a"], months["b"]
        first, second = _rows(session, a)[-3:-1]
        session.execute(text("DROP TRIGGER pii_access_append_only ON pii_access"))
        session.execute(text("UPDATE pii_access SET reason = 'edited' WHERE id = :i"), {"i": second.id})
        assert _broken(session) == {a: [second.id]}
        # the first kept row re-linked to a forged predecessor, its own hash recomputed: only the cut shows it
        forged = "0" * 64
        first_payload = _payload(first)
        session.execute(
            text("UPDATE pii_access SET prev_hash = :p, row_hash = :h WHERE id = :i"),
            {"p": forged, "h": _digest(forged, first_payload), "i": first.id},
        )
        broken = _broken(session)
        assert first.id in broken[a] and b not in broken
        from typer.testing import CliRunner

        from anju.cli import app

        out = CliRunner().invoke(app, ["audit", "verify"])
        assert out.exit_code == 1
        assert f"pii_access compound {a}: 3 rows, TAMPERED at rows [{first.id}, {second.id}]" in out.output
        assert "retention: months before 2031-02-01 dropped" in out.output
        (line_b,) = [x for x in out.output.splitlines() if x.startswith(f"pii_access compound {b}: ")]
        assert line_b.endswith("intact")

    def test_r_p5_append_only_on_every_partition_i19(self, session, months):
        conn = session.connection()
        parts = partition_names(conn, "pii_access")
        assert "pii_access_p203103" in parts and "pii_access_pdefault" in parts
        guarded = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname = 'pii_access_append_only'"
                )
            )
        }
        assert set(parts) <= guarded
        row = _rows(session, months["a"])[-1]
        for statement in (
            "UPDATE pii_access_p203103 SET reason = 'x' WHERE id = :i",
            "DELETE FROM pii_access WHERE id = :i",
        ):
            with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
                session.execute(text(statement), {"i": row.id})


@pytest.mark.db_agnostic
def test_r_p5_audit_retention_below_six_months_refused_i19():
    with pytest.raises(ValidationError, match="R-P5"):
        Settings(audit_retention_days=182)
    assert Settings(audit_retention_days=183).audit_retention_days == 183


def test_r_p5_chain_with_no_row_left_continues_from_its_cut_i19(session, monkeypatch):
    """The head of a chain whose every row was dropped is its cut's hash (both databases: the same code)."""
    compound = 987_651  # a chain of its own
    last = session.execute(text("SELECT coalesce(max(id), 0) FROM pii_access")).scalar_one()  # dropped before now
    session.add(
        AuditChainCut(
            table_name="pii_access", compound_id=compound, legacy=False, last_id=last, row_hash="c" * 64, upto=JAN
        )
    )
    session.flush()
    _read(session, monkeypatch, MAR, compound, 1)
    _read(session, monkeypatch, MAR - timedelta(days=1), compound, 2)  # stamped earlier: `at` never goes back
    first, second = _rows(session, compound)
    assert first.prev_hash == "c" * 64 and second.prev_hash == first.row_hash
    assert second.at == first.at
    assert verify_chains(session, PiiAccess, compound_id=compound)[compound].intact
    assert verify_chains(session, PiiAccess)[compound].intact


@pytest.mark.sqlite_only
def test_r_p5_sqlite_keeps_one_append_only_table_i19(session, ids, monkeypatch):
    if DB_KIND != "sqlite":
        pytest.skip("SQLite path")
    conn = session.connection()
    _read(session, monkeypatch, JAN, ids["A"], 1)
    assert ensure(conn, AUDIT_PARTITIONS, SEP) == [] and drop_expired(conn, AUDIT_PARTITIONS, SEP) == []
    assert _rows(session, ids["A"])[-1].at == JAN  # past retention, still there: SQLite keeps every read
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM pii_access WHERE at < :t"), {"t": SEP - timedelta(days=200)})
    assert verify_chains(session, PiiAccess)[ids["A"]].intact


def test_r_p5_migration_partitions_audit_reads_in_place_i19(tmp_path):
    with dedicated_database(tmp_path, "audit_parts") as (_, engine):
        command.downgrade(alembic_config(), BEFORE)
        old = (core_db.utcnow() - timedelta(days=400)).replace(microsecond=0)
        heads: dict[int | None, str] = {}
        with engine.begin() as c:  # rows as the code before this revision chained them (no cut table yet)
            for k, when in enumerate((old, old + timedelta(days=40), old + timedelta(days=41), core_db.utcnow())):
                row = PiiAccess(
                    at=when, user_id=None, compound_id=5 + k % 2, subject=f"p:{k}", field="phone", reason="m"
                )
                prev = heads.get(row.compound_id, "")
                heads[row.compound_id] = _digest(prev, _payload(row))
                c.execute(
                    insert(PiiAccess.__table__),
                    {**_payload(row), "at": when, "prev_hash": prev, "row_hash": heads[row.compound_id]},
                )
        with engine.connect() as c:
            before = c.execute(text("SELECT * FROM pii_access ORDER BY id")).all()
        upgrade()
        with engine.connect() as c:
            assert c.execute(text("SELECT * FROM pii_access ORDER BY id")).all() == before
            if DB_KIND == "postgresql":
                months = monthly(c, "pii_access")
                assert min(months) == datetime(old.year, old.month, 1, tzinfo=UTC)  # from the oldest row
                pk = c.execute(
                    text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_pii_access'")
                ).scalar_one()
                assert pk == "PRIMARY KEY (id, at)"
                assert c.execute(text("SELECT nextval(pg_get_serial_sequence('pii_access', 'id'))")).scalar_one() > max(
                    r.id for r in before
                )
        with core_db.new_session() as s:
            assert all(r.intact for r in verify_chains(s, PiiAccess).values())
        command.downgrade(alembic_config(), BEFORE)
        with engine.connect() as c:
            assert c.execute(text("SELECT * FROM pii_access ORDER BY id")).all() == before
            assert partition_names(c, "pii_access") == []
        upgrade()


@pytest.mark.postgres
def test_r_p5_legacy_global_chain_cut_by_the_drop_keeps_verifying_i19(session, ids, monkeypatch):
    """Rows from before the per-compound split (one global chain, AuditChainOrigin) lose their oldest month: the
    legacy chain verifies from its own cut, and each compound's first later row still links to its legacy row."""
    if DB_KIND != "postgresql":
        pytest.skip("native partitions are PostgreSQL's; SQLite keeps one table")
    conn = session.connection()
    ensure(conn, AUDIT_PARTITIONS, JAN)
    a, b = ids["A"], ids["B"]
    prev = ""
    feb = datetime(2031, 2, 20, tzinfo=UTC)
    for k, (when, c) in enumerate([(JAN, a), (JAN, b), (JAN, a), (feb, b), (feb, a)]):
        row = PiiAccess(at=when, user_id=None, compound_id=c, subject=f"p:{k}", field="phone", reason="legacy")
        row.prev_hash, row.row_hash = prev, _digest(prev, _payload(row))
        prev = row.row_hash
        session.add(row)
        session.flush()
    session.execute(text("DROP TRIGGER audit_chain_origin_append_only ON audit_chain_origin"))
    session.execute(
        text("UPDATE audit_chain_origin SET last_legacy_id = :i, legacy_head = :h WHERE table_name = 'pii_access'"),
        {"i": row.id, "h": row.row_hash},
    )
    for k in range(2):
        _read(session, monkeypatch, MAR, a, k)
        _read(session, monkeypatch, MAR, b, k)
    assert _rows(session, a)[-2].prev_hash == _rows(session, a)[-3].row_hash  # the split's link, before the drop
    assert "pii_access_p203101" in drop_expired(conn, AUDIT_PARTITIONS, SEP)
    legacy = session.execute(select(AuditChainCut).where(AuditChainCut.legacy)).scalars().one()
    assert legacy.row_hash == _rows(session, b)[0].prev_hash  # the last January legacy row links the first kept
    assert _broken(session) == {}
    reports = verify_chains(session, PiiAccess)
    assert reports[LEGACY].rows == 2 and reports[a].rows == 2
    assert verify_chains(session, PiiAccess, compound_id=b)[b].intact
    session.execute(text("DROP TRIGGER pii_access_append_only ON pii_access"))
    first_kept = _rows(session, b)[0]  # February's legacy row of B: the legacy chain's first after the cut
    session.execute(text("UPDATE pii_access SET subject = 'p:x' WHERE id = :i"), {"i": first_kept.id})
    assert _broken(session) == {LEGACY: [first_kept.id]}


@pytest.mark.postgres
def test_r_p5_a_month_with_a_tampered_row_is_kept_not_dropped_i19(session, ids, monkeypatch):
    """Evidence of tampering is never dropped: the month goes, its rows stay (in the default partition), named."""
    victim: list[int] = []

    def tamper() -> None:
        victim.append(_rows(session, ids["B"])[-4].id)  # B's last January read
        session.execute(text("DROP TRIGGER pii_access_append_only ON pii_access"))
        session.execute(text("UPDATE pii_access SET field = 'id_number' WHERE id = :i"), {"i": victim[0]})

    months = _two_months(session, ids, monkeypatch, before_drop=tamper)
    assert "pii_access_p203101" in months["dropped"]  # the partition went ...
    where = text("SELECT tableoid::regclass::text FROM pii_access WHERE id = :i")
    assert session.execute(where, {"i": victim[0]}).scalar_one() == "pii_access_pdefault"  # ... its rows did not
    assert (
        session.execute(select(AuditChainCut).where(AuditChainCut.upto == datetime(2031, 2, 1, tzinfo=UTC))).first()
        is None
    )
    assert _broken(session) == {ids["B"]: [victim[0]]}
    _read(session, monkeypatch, SEP, None, 10)  # the platform chain continues from its kept January row
    assert _rows(session, None)[-1].prev_hash == months["jan_heads"][None][1]
    # later months are still cut and dropped (their first rows link into the kept month), the edited row still named
    nov = datetime(2031, 11, 15, tzinfo=UTC)
    assert "pii_access_p203103" in drop_expired(session.connection(), AUDIT_PARTITIONS, nov)
    april = datetime(2031, 4, 1, tzinfo=UTC)
    cut = select(AuditChainCut.last_id).where(AuditChainCut.compound_id == ids["B"], AuditChainCut.upto == april)
    assert session.execute(cut).scalar_one() > victim[0]
    assert _broken(session) == {ids["B"]: [victim[0]]}
