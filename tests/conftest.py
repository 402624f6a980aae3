"""Test harness: a real database (SQLite or PostgreSQL), migrated with Alembic, a small
demo world built once per run, and per-test rollback (R16).

ANJU_TEST_DB=sqlite|postgresql picks the database. ANJU_REQUIRE_SERVICES=1 (set by
CI) turns "service not reachable" and "test data missing" skips into failures: every such
skip goes through `service_unavailable()`.

Personas (R16): `persona("manager_wang")` is the one way a test gets a demo user, as a
Principal for service calls (`.who`), bearer headers for the API (`.headers`) or a signed-in
web session (`.web(client)`); `login`, `web_login` and `who` are short views of it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pytest
from sqlalchemy import Engine, create_engine, select, text
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
    """The one way a test gives up for want of a service, a program or test data (images, models).

    Skips with the reason on a developer's machine; fails when the run requires everything
    (ANJU_REQUIRE_SERVICES=1, as in CI), so a suite cannot silently stop testing.
    """
    if REQUIRE:
        pytest.fail(f"required service or test data unavailable: {reason}", pytrace=False)
    pytest.skip(f"service unavailable: {reason}")


# Browser tests run in two xdist groups, each with its own live server and Chromium on one worker, so
# the walks (about 9 minutes in one process on a loaded machine) are not one indivisible tail of the
# PostgreSQL pass. The split is by module and roughly halves the walks' time; new walks join the first.
SECOND_BROWSER_GROUP = {
    "test_browser.py",
    "test_csp_browser.py",
    "test_breach_page.py",
    "test_walk_decoration.py",
    "test_walk_emergency.py",
    "test_walk_evacuation_live.py",
    "test_walk_field.py",
    "test_walk_parking.py",
    "test_walk_video.py",
    "test_walk_visitor.py",
    "test_walk_visitor_share.py",
}

# Tests of the web layer (page rendering, forms, the permission matrix over every route) prove
# what a person sees, not how a database behaves: they run once, in the PostgreSQL pass (the
# production database), like the API fuzz. Database behaviour is proven by the domains' tests.
ONCE_PATHS = ("tests/web/", "tests/test_permission_matrix.py")
# Whole modules of `once` tests whose collection builds the API's schema (about 20 s per process):
# not even collected in a pass that deselects `once`.
ONCE_MODULES = {"test_openapi_fuzz.py", "test_permission_matrix.py"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name in ONCE_MODULES and "not once" in (config.option.markexpr or ""):
        return True
    return None


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`db_agnostic` tests run on SQLite only (scripts/test.sh), so they must not touch the database.

    A test that drives Chromium is a browser test whether or not its module says so (it is then
    deselected where browser walks do not run). Browser tests share two xdist groups, so with
    `--dist loadgroup` (scripts/test.sh) two workers seed a live server and start Chromium for
    all of them instead of every worker doing it. Web-layer tests that use the database are
    `once` (ONCE_PATHS); a db_agnostic one stays in the SQLite pass, so every test runs somewhere.
    """
    for item in items:
        if {"browser", "live_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("browser"):
            second = item.path.name in SECOND_BROWSER_GROUP
            item.add_marker(pytest.mark.xdist_group("browser-b" if second else "browser"))
        elif item.nodeid.startswith(ONCE_PATHS) and not item.get_closest_marker("db_agnostic"):
            item.add_marker(pytest.mark.once)
    wrong = [
        item.nodeid
        for item in items
        if item.get_closest_marker("db_agnostic") and "engine" in getattr(item, "fixturenames", ())
    ]
    if wrong:
        raise pytest.UsageError(
            "marked db_agnostic but uses the database (it would never run on PostgreSQL): " + ", ".join(wrong)
        )


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


def attach(url: str) -> Engine:
    """Make `url` the app's database in this process (settings, keys, engine); returns the engine."""
    os.environ["ANJU_DATABASE_URL"] = url
    reset_settings()
    reset_keys()
    engine = core_db.make_engine(url)
    core_db.set_engine(engine)
    return engine


Seed = (
    bool | Literal["full"]
)  # False: schema only; True: the small demo world; "full": the demo as `anju demo` builds it


def migrate_and_seed(url: str, *, seed: Seed = True) -> Engine:
    """Attach an empty database, run every migration, and (seed=True) build the demo world in it."""
    from anju.core.migrate import upgrade
    from anju.startup import post_upgrade

    engine = attach(url)
    upgrade()
    post_upgrade()
    if seed == "full":
        with core_db.transaction() as s:
            build_demo(s)
    elif seed:
        with core_db.transaction() as s:
            build_demo(s, main_spec=SMALL, second_spec=SECOND)
    return engine


# Migrating (PostgreSQL ~10 s) and seeding (~15 s) are the slow part of a dedicated database, and
# most tests need one only to have it to themselves. So each test process migrates (and seeds) one
# template per kind, with the real migrations, and every later database is a copy of it:
# CREATE DATABASE … TEMPLATE on PostgreSQL, a file copy on SQLite. tests/core/test_migrations.py
# still runs the migrations themselves (upgrade twice, downgrade, model drift) on its copies.
# The full demo (~5,000 people, about a minute on PostgreSQL) is a template too, for the few tests that need a
# compound of real size (they share the xdist group "full_demo", so one process builds it once).
_templates: dict[Seed, str] = {}
_template_drops: list[Callable[[], None]] = []


def _template(seed: Seed) -> str:
    """URL of this process's migrated (and seeded) template database, built on first use."""
    if seed in _templates:
        return _templates[seed]
    import tempfile

    saved = (core_db._engine, core_db._sessionmaker, os.environ.get("ANJU_DATABASE_URL"))
    url, drop = make_database(
        Path(tempfile.mkdtemp(prefix="anju_tpl_")), f"tpl{'full' if seed == 'full' else int(seed)}_{_worker_suffix()}"
    )
    try:
        engine = migrate_and_seed(url, seed=seed)
        if DB_KIND == "sqlite":
            with engine.connect() as c:  # everything in the main file, so a file copy is the whole database
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    finally:
        core_db._engine, core_db._sessionmaker = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop("ANJU_DATABASE_URL", None)
        else:
            os.environ["ANJU_DATABASE_URL"] = saved[2]
        reset_settings()
        reset_keys()
    _templates[seed] = url
    _template_drops.append(drop)
    return url


def copy_database(tmp_root: Path, tag: str, *, seed: Seed) -> tuple[str, Callable[[], None]]:
    """A new database holding the migrated (seed=True: and seeded) schema; returns its URL and a drop function.

    Not attached: call `attach(url)` (and `anju.startup.post_upgrade()`) to use it.
    """
    template = _template(seed)
    if DB_KIND == "postgresql":
        name = f"anju_t_{uuid.uuid4().hex[:8]}_{tag}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"'))

        def drop() -> None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop
    import shutil

    path = tmp_root / f"anju_{tag}.db"
    shutil.copyfile(template.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}", lambda: None


def prepared_database(tmp_root: Path, tag: str, *, seed: Seed = True) -> tuple[str, Engine, Callable[[], None]]:
    """A copy of the template, attached as the app's database: what migrate_and_seed gives, in a fraction of the time."""
    from anju.startup import post_upgrade

    url, drop = copy_database(tmp_root, tag, seed=seed)
    engine = attach(url)
    post_upgrade()  # this process's registrations, and the reference data it writes (idempotent)
    return url, engine, drop


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for drop in _template_drops:
        drop()
    _template_drops.clear()
    _templates.clear()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    _, eng, drop = prepared_database(tmp_path_factory.mktemp("db"), _worker_suffix())
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
        # The intake's per-process device cache may hold rows this rollback removed (on PostgreSQL their
        # ids are never reused): the next test starts without it, as a restarted process would.
        from anju.devices.intake_service import directory

        directory.clear()


_apps: dict[tuple[tuple[str, str], ...], Any] = {}


def shared_app() -> Any:
    """This process's app for the current ANJU_* environment, built once.

    FastAPI prepares each included route (its dependencies and pydantic models) lazily, on the first
    request that walks past it, and keeps that per app: a new app per test paid it again on every
    first request (about a third of the suite's time). The app holds no per-test state (the database
    is the test's rolled-back session), so tests share it; a test that changes ANJU_* settings gets
    an app built under them. Directories (ANJU_*_DIR, e.g. a test's own evidence folder) are read per
    request, not when the app is built, so they do not call for a new app.
    """
    from anju.main import create_app

    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("ANJU_") and not k.endswith("_DIR")))
    if key not in _apps:
        _apps[key] = create_app()
    return _apps[key]


@pytest.fixture
def client(session: Session) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(shared_app(), raise_server_exceptions=False) as c:
        yield c


def principal_of(session: Session, username: str) -> Any:
    """The Principal of a demo user, read through `session` (for tests with their own sessions)."""
    from anju.accounts.models import User
    from anju.accounts.service import account_service

    return account_service.principal(
        session, session.execute(select(User).where(User.username == username)).scalar_one()
    )


class Persona:
    """A demo user (resident_li, manager_wang, outsider_zhao, …) in whichever form a test needs.

    Sessions are rows written in the test's transaction rather than sign-ins, which verify an
    argon2 hash (deliberately slow); sign-in itself is tested in tests/accounts and the browser walks.
    """

    def __init__(self, session: Session, username: str) -> None:
        self.session = session
        self.username = username

    @cached_property
    def user_id(self) -> int:
        from anju.accounts.models import User

        return int(self.session.execute(select(User.id).where(User.username == self.username)).scalar_one())

    @cached_property
    def who(self) -> Any:
        """The Principal, for service calls (`by=` / `who=`)."""
        return principal_of(self.session, self.username)

    @cached_property
    def headers(self) -> dict[str, str]:
        """Bearer headers of an API session (one per persona per test)."""
        from tests.accounts.tokens import bearer_for

        return bearer_for(self.session, self.username)

    def web(self, client: Any) -> str:
        """Sign `client` in with a web session cookie (and no other); returns the role's landing page."""
        from datetime import timedelta

        from anju.accounts.models import AuthSession
        from anju.core.auth import SESSION_COOKIE, new_token, token_digest
        from anju.core.db import utcnow
        from anju.web.nav import home_for

        client.cookies.clear()
        token = new_token()
        self.session.add(
            AuthSession(
                token_hash=token_digest(token),
                user_id=self.user_id,
                kind="web",
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        self.session.flush()
        client.cookies.set(SESSION_COOKIE, token)
        return home_for(self.who)


@pytest.fixture
def persona(session: Session) -> Callable[[str], Persona]:
    """persona("manager_wang") -> that demo user as a Principal, API headers or web session (cached per test)."""
    cache: dict[str, Persona] = {}

    def _get(username: str) -> Persona:
        if username not in cache:
            cache[username] = Persona(session, username)
        return cache[username]

    return _get


@pytest.fixture
def login(persona: Callable[[str], Persona]) -> Callable[[str], dict[str, str]]:
    """login("manager_wang") -> bearer headers of that persona (`persona(...).headers`)."""
    return lambda username: persona(username).headers


@pytest.fixture
def ids(session: Session) -> dict[str, int]:
    """Ids of the personas' compounds and houses."""
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
