"""A dedicated, really-committed database for tests that need separate connections
(concurrency, raw file or dump inspection), beside the shared rollback database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from anju.core import db as core_db
from anju.core.config import reset_settings
from anju.core.crypto import reset_keys
from tests.conftest import Seed, prepared_database


@contextmanager
def dedicated_database(tmp_path: Path, tag: str, *, seed: Seed = False) -> Iterator[tuple[str, Engine]]:
    """A fresh migrated (and optionally seeded) database of its own, made the app's engine.

    A copy of this process's template (tests/conftest.py), so it costs a file copy rather than
    the migrations and the demo build. Restores the previous engine, session factory and
    ANJU_DATABASE_URL afterwards, so tests that run later in the same process keep using the
    shared test database.
    """
    saved_engine, saved_factory = core_db._engine, core_db._sessionmaker
    saved_url = os.environ.get("ANJU_DATABASE_URL")
    engine = None
    drop = None
    try:
        url, engine, drop = prepared_database(tmp_path, tag, seed=seed)
        yield url, engine
    finally:
        core_db._engine, core_db._sessionmaker = saved_engine, saved_factory
        if saved_url is None:
            os.environ.pop("ANJU_DATABASE_URL", None)
        else:
            os.environ["ANJU_DATABASE_URL"] = saved_url
        reset_settings()
        reset_keys()
        if engine is not None:
            engine.dispose()
        if drop is not None:
            drop()
