"""Alembic environment: runs against the engine Anju is configured with."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from anju.core.db import get_engine
from anju.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    # SQLite alters a table by copying it (batch mode) and dropping the old one; with foreign keys
    # enforced, dropping a table other tables refer to fails. Keys are switched off for the run (the
    # pragma only takes effect outside a transaction) and checked as a whole before the commit.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        if connection.in_transaction():
            connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left rows pointing at missing rows: {broken[:5]}")
    finally:
        if sqlite:
            if connection.in_transaction():
                connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    with get_engine().connect() as connection:
        _run(connection)
        if connection.in_transaction():
            connection.commit()


run_migrations_online()
