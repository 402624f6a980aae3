"""Migrations build the schema from nothing, and the models match them exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from anju.core.migrate import alembic_config, upgrade
from anju.core.partitions import all_partition_names
from anju.models import metadata
from tests.core.databases import dedicated_database


class TestUpgrade:
    def test_upgrade_from_empty_reaches_head(self, tmp_path):
        with dedicated_database(tmp_path, "mig_empty") as (_, engine):
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            with engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
                tables = set(inspect(conn).get_table_names())
            assert set(metadata.tables) <= tables
            # post_upgrade seeds the record of processing
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM processing_record")).scalar_one() > 0

    def test_upgrade_twice_is_a_no_op(self, tmp_path):
        with dedicated_database(tmp_path, "mig_twice") as (_, engine):
            upgrade()
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1

    def test_downgrade_to_base_and_back(self, tmp_path):
        from alembic import command

        with dedicated_database(tmp_path, "mig_down") as (_, engine):
            command.downgrade(alembic_config(), "base")
            with engine.connect() as conn:
                left = set(inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
            upgrade()
            with engine.connect() as conn:
                assert set(metadata.tables) <= set(inspect(conn).get_table_names())


class TestModelsMatchMigrations:
    def test_no_drift_between_models_and_migrations(self, tmp_path):
        with dedicated_database(tmp_path, "mig_drift") as (_, engine), engine.connect() as conn:
            # PostgreSQL's monthly partitions (issue 19) are parts of their parent table, not tables of a model.
            parts = all_partition_names(conn)
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_name": lambda name, kind, parent: (
                        name not in parts and not (kind == "index" and parent.get("table_name") in parts)
                    ),
                },
            )
            diff = compare_metadata(ctx, metadata)
        assert diff == [], "models differ from migrations; add a migration:\n" + "\n".join(map(str, diff))
