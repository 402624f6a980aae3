"""Test harness: a real database (SQLite or PostgreSQL), migrated with Alembic, a small
demo world built once per run, and per-test rollback (R16).

ANJU_TEST_DB=sqlite|postgresql picks the database. ANJU_REQUIRE_SERVICES=1 (set by
CI) turns "service not reachable" skips into failures.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

os.environ.setdefault("ANJU_ENV", "development")
os.environ.setdefault("ANJU_SECRET_KEY", "test-secret-key")

from anju.core import db as core_db
from anju.core.config import reset_settings
from anju.core.crypto import reset_keys
from anju.sim.demo import SECOND, SMALL, build_demo

REQUIRE = os.environ.get("ANJU_REQUIRE_SERVICES") == "1"
DB_KIND = os.environ.get("ANJU_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("ANJU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def service_unavailable(reason: str) -> None:
    """Skip with a clear reason, or fail when the run requires real services (CI)."""
    if REQUIRE:
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(f"service unavailable: {reason}")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw")


def make_database(tmp_root: Path, tag: str) -> tuple[str, Any]:
    """Create an empty database; returns its URL and a function that drops it."""
    if DB_KIND == "postgresql":
        if not port_open("127.0.0.1", 5432):
            service_unavailable("PostgreSQL on 127.0.0.1:5432")
        name = f"anju_t_{uuid.uuid4().hex[:8]}_{tag}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

        def drop() -> None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return url, drop
    path = tmp_root / f"anju_{tag}.db"
    return f"sqlite:///{path}", lambda: None


def migrate_and_seed(url: str, *, seed: bool = True) -> Engine:
    from anju.core.migrate import upgrade
    from anju.startup import post_upgrade

    os.environ["ANJU_DATABASE_URL"] = url
    reset_settings()
    reset_keys()
    engine = core_db.make_engine(url)
    core_db.set_engine(engine)
    upgrade()
    post_upgrade()
    if seed:
        with core_db.transaction() as s:
            build_demo(s, main_spec=SMALL, second_spec=SECOND)
    return engine


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url, drop = make_database(tmp_path_factory.mktemp("db"), _worker_suffix())
    eng = migrate_and_seed(url)
    yield eng
    core_db.set_engine(None)
    eng.dispose()
    drop()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test.

    The app's own sessions (API requests, event handlers) join the same
    connection through savepoints, so their commits are undone too.
    """
    conn = engine.connect()
    outer = conn.begin()
    factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    saved = core_db._sessionmaker
    core_db._sessionmaker = factory
    s = factory()
    try:
        yield s
    finally:
        s.close()
        core_db._sessionmaker = saved
        outer.rollback()
        conn.close()


@pytest.fixture
def client(session: Session) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from anju.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def login(client: Any, session: Session) -> Any:
    """login("manager_wang") -> headers with a bearer token for that demo persona.

    The token's session row is written in the test's transaction instead of
    signing in, which would verify an argon2 hash (deliberately slow) per persona
    per test; the sign-in path itself is tested in tests/accounts/test_auth.py.
    """
    from tests.accounts.tokens import bearer_factory

    return bearer_factory(session)


@pytest.fixture
def ids(session: Session) -> dict[str, int]:
    """Ids of the personas' compounds and houses."""
    from sqlalchemy import select

    from anju.accounts.models import User
    from anju.registry.models import Compound, House

    a = session.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
    b = session.execute(select(Compound.id).where(Compound.code == "XFL")).scalar_one()
    li_house = session.execute(select(House.id).where(House.compound_id == a, House.label == "3-1-0802")).scalar_one()
    li_person = session.execute(select(User.person_id).where(User.username == "resident_li")).scalar_one()
    return {"A": a, "B": b, "li_house": li_house, "li_person": li_person}


def run_worker_once() -> int:
    """Deliver every pending outbox event now (tests call this instead of a running worker)."""
    import anju.handlers  # noqa: F401
    from anju.core.events import deliver_pending

    total = 0
    while True:
        n = deliver_pending(worker_id="test")
        total += n
        if n == 0:
            return total
