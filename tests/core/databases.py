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
from tests.conftest import make_database, migrate_and_seed


@contextmanager
def dedicated_database(tmp_path: Path, tag: str, *, seed: bool = False) -> Iterator[tuple[str, Engine]]:
    """Create, migrate (and optionally seed) a fresh database and make it the app's engine.

    Restores the previous engine, session factory and ANJU_DATABASE_URL afterwards, so
    tests that run later in the same process keep using the shared test database.
    """
    url, drop = make_database(tmp_path, tag)
    saved_engine, saved_factory = core_db._engine, core_db._sessionmaker
    saved_url = os.environ.get("ANJU_DATABASE_URL")
    engine = None
    try:
        engine = migrate_and_seed(url, seed=seed)
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
        drop()
