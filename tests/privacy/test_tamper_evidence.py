"""R-P5: audit logs are append-only and tamper-evident."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from anju.core.audit import ObjectChange, PiiAccess, record_change, record_pii_access, verify_chain
from tests.conftest import DB_KIND


def _some_audit_rows(session, compound_id: int) -> None:
    for k in range(3):
        record_pii_access(
            session, user_id=None, compound_id=compound_id, subject=f"person:{k}", field="phone", reason=f"test {k}"
        )
        record_change(
            session,
            user_id=None,
            compound_id=compound_id,
            entity="house",
            entity_id=k,
            action="update",
            before={"status": "vacant"},
            after={"status": "rented", "k": k},
        )


def _triggers(conn, table: str) -> set[str]:
    if DB_KIND == "postgresql":
        return set(
            conn.execute(
                text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"),
                {"t": table},
            ).scalars()
        )
    return set(
        conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table}
        ).scalars()
    )


def _drop_guard(session, table: str) -> None:
    if DB_KIND == "postgresql":
        session.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
    else:
        session.execute(text(f"DROP TRIGGER {table}_no_update"))
        session.execute(text(f"DROP TRIGGER {table}_no_delete"))


class TestVerifyChain:
    def test_r_p5_intact_chains_report_no_breaks(self, session, ids):
        _some_audit_rows(session, ids["A"])
        for model in (PiiAccess, ObjectChange):
            report = verify_chain(session, model)
            assert report.rows >= 3 and report.broken_at == [], report

    def test_r_p5_rows_link_to_their_predecessor(self, session, ids):
        _some_audit_rows(session, ids["A"])
        rows = session.execute(select(PiiAccess).order_by(PiiAccess.id)).scalars().all()
        assert rows[0].prev_hash == "" or rows[0].id > 1
        for a, b in itertools.pairwise(rows):
            assert b.prev_hash == a.row_hash


class TestAppendOnly:
    @pytest.mark.parametrize("model", [PiiAccess, ObjectChange])
    def test_r_p5_update_is_refused_by_the_database(self, session, ids, model):
        _some_audit_rows(session, ids["A"])
        table = model.__tablename__
        row_id = session.execute(select(model.id).order_by(model.id.desc()).limit(1)).scalar_one()
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(f"UPDATE {table} SET compound_id = 0 WHERE id = :id"), {"id": row_id})

    @pytest.mark.parametrize("model", [PiiAccess, ObjectChange])
    def test_r_p5_delete_is_refused_by_the_database(self, session, ids, model):
        _some_audit_rows(session, ids["A"])
        table = model.__tablename__
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(f"DELETE FROM {table}"))

    def test_r_p5_audit_models_have_their_guards(self, session):
        conn = session.connection()
        for table in ("pii_access", "object_change"):
            assert _triggers(conn, table), table


class TestTamperDetected:
    def test_r_p5_an_edited_row_is_named(self, session, engine, ids):
        _some_audit_rows(session, ids["A"])
        rows = session.execute(select(PiiAccess.id).order_by(PiiAccess.id)).scalars().all()
        victim = rows[-2]
        # Someone with database access removes the guard and rewrites a reason.
        _drop_guard(session, "pii_access")
        session.execute(text("UPDATE pii_access SET reason = 'nothing to see' WHERE id = :id"), {"id": victim})
        session.expire_all()
        assert verify_chain(session, PiiAccess).broken_at == [victim]
        # The guard is gone only inside this test's transaction.
        with engine.connect() as other:
            assert _triggers(other, "pii_access")

    def test_r_p5_a_deleted_row_breaks_the_next_link(self, session, engine, ids):
        _some_audit_rows(session, ids["A"])
        rows = session.execute(select(ObjectChange.id).order_by(ObjectChange.id)).scalars().all()
        victim, successor = rows[-2], rows[-1]
        _drop_guard(session, "object_change")
        session.execute(text("DELETE FROM object_change WHERE id = :id"), {"id": victim})
        session.expire_all()
        assert verify_chain(session, ObjectChange).broken_at == [successor]
        with engine.connect() as other:
            assert _triggers(other, "object_change")

    def test_r_p5_an_edited_change_record_is_named(self, session, ids):
        _some_audit_rows(session, ids["A"])
        victim = session.execute(select(ObjectChange.id).order_by(ObjectChange.id.desc()).limit(1)).scalar_one()
        _drop_guard(session, "object_change")
        session.execute(text("UPDATE object_change SET user_id = NULL, entity_id = 999 WHERE id = :id"), {"id": victim})
        session.expire_all()
        assert verify_chain(session, ObjectChange).broken_at == [victim]

    def test_guards_survive_the_tamper_tests(self, engine):
        with engine.connect() as conn:
            assert inspect(conn).has_table("pii_access")
            for table in ("pii_access", "object_change"):
                assert _triggers(conn, table), table
