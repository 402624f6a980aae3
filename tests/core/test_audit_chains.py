"""Per-compound audit chains (issue 19): one chain and one lock per (table, compound), verified per chain (R-P5)."""

from __future__ import annotations

import itertools
import json

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from anju.core import db as core_db
from anju.core.audit import (
    LEGACY,
    ObjectChange,
    PiiAccess,
    _digest,
    batched_changes,
    record_change,
    record_pii_access,
    verify_chain,
    verify_chains,
)
from anju.core.migrate import alembic_config, upgrade
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database
from tests.core.job_race import race


def _change(session: Session, compound_id: int | None, k: int) -> None:
    record_change(
        session,
        user_id=None,
        compound_id=compound_id,
        entity="house",
        entity_id=k,
        action="update",
        before={"n": k},
        after={"n": k + 1},
    )


def _read(session: Session, compound_id: int | None, k: int) -> None:
    record_pii_access(
        session, user_id=None, compound_id=compound_id, subject=f"person:{k}", field="phone", reason=f"chain {k}"
    )


def _chain(session: Session, model, compound_id: int | None) -> list:
    where = model.compound_id.is_(None) if compound_id is None else model.compound_id == compound_id
    return list(session.execute(select(model).where(where).order_by(model.id)).scalars())


def _drop_guard(session: Session, table: str) -> None:
    if DB_KIND == "postgresql":
        session.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
    else:
        session.execute(text(f"DROP TRIGGER {table}_no_update"))
        session.execute(text(f"DROP TRIGGER {table}_no_delete"))


class TestOneChainPerCompound:
    def test_r_p5_interleaved_writes_link_within_their_compound(self, session, ids):
        a, b = ids["A"], ids["B"]
        for k in range(4):
            _change(session, a, k)
            _change(session, b, k)
            _change(session, None, k)
            _read(session, a, k)
            _read(session, b, k)
        for model in (ObjectChange, PiiAccess):
            for compound_id in (a, b) + ((None,) if model is ObjectChange else ()):
                rows = _chain(session, model, compound_id)
                assert len(rows) >= 4
                new = rows[-4:]
                for prev, row in itertools.pairwise(new):
                    assert row.prev_hash == prev.row_hash  # the predecessor is the compound's, not the table's
            reports = verify_chains(session, model)
            assert reports[a].intact and reports[b].intact, reports
            assert verify_chain(session, model).broken_at == []

    def test_r_p5_a_batch_over_two_compounds_extends_both_chains(self, session, ids):
        a, b = ids["A"], ids["B"]
        _change(session, a, 100)
        head_a = _chain(session, ObjectChange, a)[-1].row_hash
        with batched_changes(session):
            for k in range(3):
                _change(session, b, k)
                _change(session, a, k)
        rows_a = _chain(session, ObjectChange, a)[-3:]
        assert rows_a[0].prev_hash == head_a
        assert rows_a[1].prev_hash == rows_a[0].row_hash
        reports = verify_chains(session, ObjectChange)
        assert reports[a].intact and reports[b].intact

    def test_r_p5_tampering_one_compound_names_its_row_and_spares_the_other(self, session, ids):
        a, b = ids["A"], ids["B"]
        for k in range(3):
            _read(session, a, k)
            _read(session, b, k)
        victim = _chain(session, PiiAccess, a)[-2].id
        _drop_guard(session, "pii_access")
        session.execute(text("UPDATE pii_access SET reason = 'nothing to see' WHERE id = :id"), {"id": victim})
        session.expire_all()
        reports = verify_chains(session, PiiAccess)
        assert reports[a].broken_at == [victim] and reports[a].compound_id == a
        assert reports[b].intact
        assert verify_chains(session, PiiAccess, compound_id=b)[b].intact
        assert verify_chains(session, PiiAccess, compound_id=a)[a].broken_at == [victim]

    def test_r_p5_a_deleted_row_breaks_only_its_compounds_next_link(self, session, ids):
        a, b = ids["A"], ids["B"]
        for k in range(3):
            _change(session, a, k)
            _change(session, b, k)
        victim, successor = (r.id for r in _chain(session, ObjectChange, b)[-2:])
        _drop_guard(session, "object_change")
        session.execute(text("DELETE FROM object_change WHERE id = :id"), {"id": victim})
        session.expire_all()
        reports = verify_chains(session, ObjectChange)
        assert reports[b].broken_at == [successor]
        assert reports[a].intact

    def test_r_p5_audit_verify_command_names_the_compound_and_row(self, session, ids):
        from typer.testing import CliRunner

        from anju.cli import app

        a, b = ids["A"], ids["B"]
        for k in range(2):
            _change(session, a, k)
            _change(session, b, k)
        ok = CliRunner().invoke(app, ["audit", "verify"])
        assert ok.exit_code == 0, ok.output
        victim = _chain(session, ObjectChange, a)[-1].id
        _drop_guard(session, "object_change")
        session.execute(text("UPDATE object_change SET entity_id = 999 WHERE id = :id"), {"id": victim})
        session.flush()
        bad = CliRunner().invoke(app, ["audit", "verify"])
        assert bad.exit_code == 1
        assert f"object_change compound {a}: " in bad.output and f"TAMPERED at rows [{victim}]" in bad.output
        assert f"object_change compound {b}: " in bad.output
        (line_b,) = [x for x in bad.output.splitlines() if x.startswith(f"object_change compound {b}: ")]
        assert line_b.endswith("intact")


class TestConcurrency:
    def test_r_p5_parallel_writers_in_several_compounds_never_fork_a_chain(self, tmp_path):
        compounds = (901, 902, None)
        with dedicated_database(tmp_path, "audit_chains_race"):

            def append(k: int) -> None:
                for n in range(8):
                    with core_db.transaction() as s:
                        _change(s, compounds[k % 3], k * 100 + n)
                        _read(s, compounds[(k + 1) % 3], k * 100 + n)
                    with core_db.transaction() as s, batched_changes(s):
                        _change(s, compounds[k % 3], k * 1000 + n)
                        _change(s, compounds[(k + 2) % 3], k * 1000 + n)

            race(6, append)  # an exception in any appender fails the test
            with core_db.new_session() as s:
                for model, per in ((ObjectChange, 6 * 8 * 3 // 3), (PiiAccess, 6 * 8 // 3)):
                    reports = verify_chains(s, model)
                    for compound_id in compounds:
                        assert reports[compound_id].rows == per and reports[compound_id].intact, reports
                        hashes = [r.prev_hash for r in _chain(s, model, compound_id)]
                        assert len(set(hashes)) == len(hashes)  # no two rows extend the same head

    @pytest.mark.skipif(DB_KIND != "postgresql", reason="PostgreSQL advisory locks")
    def test_r_p5_two_compounds_write_at_once_and_one_compound_waits(self, engine):
        """Two open transactions in two compounds both append; a third in the first compound cannot."""
        first, second, third = Session(bind=engine), Session(bind=engine), Session(bind=engine)
        try:
            _change(first, 911, 1)  # holds compound 911's chain lock until it ends
            second.execute(text("SET LOCAL lock_timeout = '10s'"))  # a regression fails rather than hangs
            _change(second, 912, 1)  # does not wait for the first transaction
            _read(second, 911, 1)  # nor does the other table's chain of the same compound
            held = second.execute(
                text(
                    "SELECT classid, objid, pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND classid IN (7100001, 7100002) AND objid IN (911, 912)"
                )
            ).all()
            assert {(r.classid, r.objid) for r in held} == {(7100002, 911), (7100002, 912), (7100001, 911)}
            assert len({r.pid for r in held}) == 2  # two sessions hold their chains at the same time
            third.execute(text("SET LOCAL lock_timeout = '50ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                _change(third, 911, 2)  # the same compound's chain is taken: it would queue
        finally:
            for s in (first, second, third):
                s.rollback()
                s.close()


class TestLegacyChain:
    def test_r_p5_rows_from_before_the_split_keep_verifying(self, tmp_path):
        """The migration re-links: legacy rows stay as written and verify as the old global chain; each
        compound's first new row links to its last legacy row; a tampered legacy row is still named."""
        with dedicated_database(tmp_path, "audit_legacy") as (_, engine):
            command.downgrade(alembic_config(), "w20261206_resident_services")
            prev = ""
            legacy: list[tuple[int, int | None, str]] = []
            with engine.begin() as conn:
                for k, compound_id in enumerate((921, 922, 921, None, 922)):
                    at = f"2026-12-0{k + 1}T08:00:00+00:00"
                    payload = {
                        "at": at,
                        "user_id": None,
                        "compound_id": compound_id,
                        "entity": "house",
                        "entity_id": k,
                        "action": "update",
                        "before": {"n": k},
                        "after": {"n": k + 1},
                    }
                    row_hash = _digest(prev, payload)
                    new_id = conn.execute(
                        text(
                            "INSERT INTO object_change (at, user_id, compound_id, entity, entity_id, action, before,"
                            " after, prev_hash, row_hash) VALUES (:at, NULL, :c, 'house', :e, 'update', :b, :a, :p, :h)"
                            " RETURNING id"
                        ),
                        {
                            "at": at.replace("T", " ").replace("+00:00", ""),
                            "c": compound_id,
                            "e": k,
                            "b": json.dumps({"n": k}),
                            "a": json.dumps({"n": k + 1}),
                            "p": prev,
                            "h": row_hash,
                        },
                    ).scalar_one()
                    legacy.append((new_id, compound_id, row_hash))
                    prev = row_hash
            upgrade()
            with core_db.transaction() as s:
                _change(s, 921, 50)
                _change(s, 923, 50)
            with core_db.new_session() as s:
                reports = verify_chains(s, ObjectChange)
                assert reports[LEGACY].rows == 5 and reports[LEGACY].intact, reports
                assert reports[921].rows == 1 and reports[921].intact
                assert _chain(s, ObjectChange, 921)[-1].prev_hash == legacy[2][2]  # 921's last legacy row
                assert _chain(s, ObjectChange, 923)[-1].prev_hash == ""  # a compound new since the split
                assert verify_chains(s, ObjectChange, compound_id=921)[921].intact
            with core_db.transaction() as s:
                _drop_guard(s, "object_change")
                s.execute(text("UPDATE object_change SET entity_id = 77 WHERE id = :id"), {"id": legacy[1][0]})
            with core_db.new_session() as s:
                reports = verify_chains(s, ObjectChange)
                assert reports[LEGACY].broken_at == [legacy[1][0]]
                assert reports[921].intact and reports[923].intact
