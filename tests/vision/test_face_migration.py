"""The model-change migration (n20261206_face_models) on a real, migrated database (SQLite or PostgreSQL):
dlib templates are marked stale and keep their model name; the PIA is redone for the new method (R-F7)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from anju.core.migrate import alembic_config, upgrade
from anju.vision.face import LEGACY_MODEL, MODEL_NAME
from tests.core.databases import dedicated_database

BEFORE = "m20261206_law_compliance"


def test_migration_marks_dlib_templates_stale_and_redoes_the_pia(tmp_path):
    with dedicated_database(tmp_path, "mig_face", seed=True) as (_, engine):
        command.downgrade(alembic_config(), BEFORE)
        with engine.begin() as conn:
            compound = conn.execute(text("SELECT id FROM compound ORDER BY id")).scalars().first()
            conn.execute(text("DELETE FROM face_pia"))
            conn.execute(
                text(
                    "INSERT INTO face_template (compound_id, subject_ref, template_enc, model, created_at) "
                    "VALUES (:c, 'old-subject', 'v1:x', :m, CURRENT_TIMESTAMP)"
                ),
                {"c": compound, "m": LEGACY_MODEL},
            )
            conn.execute(
                text(
                    "INSERT INTO face_pia (compound_id, assessed_on, purpose, method, scope, risks, measures, "
                    "created_at, keep_until) VALUES (:c, '2026-01-05', '人脸通行', :m, '南门', '泄露', '加密', "
                    "CURRENT_TIMESTAMP, '2029-01-05')"
                ),
                {"c": compound, "m": LEGACY_MODEL},
            )
        upgrade()
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT model, model_version, stale_since FROM face_template WHERE subject_ref = 'old-subject'")
            ).one()
            assert row.model == LEGACY_MODEL and row.model_version == "v1" and row.stale_since is not None
            pias = conn.execute(
                text("SELECT method, scope, risks, keep_until FROM face_pia WHERE compound_id = :c ORDER BY id"),
                {"c": compound},
            ).all()
            assert [p.method for p in pias] == [LEGACY_MODEL, MODEL_NAME]  # the old record is kept (≥ 3 years)
            assert pias[1].scope == "南门" and "SFace" in pias[1].risks and "重新录入" in pias[1].risks
            assert conn.execute(text("SELECT count(*) FROM access_point WHERE face_liveness_required")).scalar() == 0
