"""The audit chain stays linear when several transactions append at once (R-P5)."""

from __future__ import annotations

from anju.core import db as core_db
from anju.core.audit import ObjectChange, PiiAccess, record_change, record_pii_access, verify_chain
from tests.core.databases import dedicated_database
from tests.core.job_race import race


class TestConcurrentAppend:
    def test_r_p5_parallel_appenders_never_fork_the_chain(self, tmp_path):
        with dedicated_database(tmp_path, "audit_race"):

            def append(k: int) -> None:
                for n in range(15):
                    with core_db.transaction() as s:
                        record_pii_access(
                            s,
                            user_id=None,
                            compound_id=None,
                            subject=f"person:{k}",
                            field="phone",
                            reason=f"race {k}/{n}",
                        )
                    with core_db.transaction() as s:
                        record_change(
                            s,
                            user_id=None,
                            compound_id=None,
                            entity="house",
                            entity_id=k,
                            action="update",
                            before={"n": n},
                            after={"n": n + 1},
                        )

            race(4, append)  # an exception in any appender fails the test
            with core_db.new_session() as s:
                for model in (PiiAccess, ObjectChange):
                    report = verify_chain(s, model)
                    assert report.rows == 60 and report.broken_at == [], report
