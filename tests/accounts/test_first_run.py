"""`anju init` makes an empty database usable: one company, one platform admin, idempotent."""

from __future__ import annotations

import os
import subprocess
import sys

from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from anju.accounts.first_run import password_problems
from tests.conftest import make_database

STRONG = "Gate-keeper-2026"


def _anju(url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANJU_")}
    env["ANJU_DATABASE_URL"] = url
    if password is not None:
        env["ANJU_INIT_ADMIN_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-c", "from anju.cli import app; app()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def _admins(url: str) -> list[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT u.username, u.password_hash, o.name FROM app_user u "
                        "JOIN organisation o ON o.id = u.organisation_id WHERE u.role = 'platform_admin'"
                    )
                )
            ]
    finally:
        engine.dispose()


class TestInit:
    def test_empty_database_to_an_admin_who_can_sign_in_then_a_second_run_changes_nothing(self, tmp_path):
        url, drop = make_database(tmp_path, "first_run")
        try:
            first = _anju(url, "init", "--organisation", "安居物业", "--admin", "root_admin", password=STRONG)
            assert first.returncode == 0, first.stdout + first.stderr
            assert "initialised" in first.stdout and "/login" in first.stdout
            [(username, pw_hash, org)] = _admins(url)
            assert (username, org) == ("root_admin", "安居物业")
            assert PasswordHasher().verify(pw_hash, STRONG)

            again = _anju(url, "init", "--admin", "someone_else", password="Another-pass-99")
            assert again.returncode == 0, again.stdout + again.stderr
            assert "already initialised" in again.stdout and "nothing changed" in again.stdout
            assert _admins(url) == [(username, pw_hash, org)]
        finally:
            drop()

    def test_weak_password_is_refused_and_nothing_is_created(self, tmp_path):
        url, drop = make_database(tmp_path, "first_run_weak")
        try:
            weak = _anju(url, "init", password="anju2026!")
            assert weak.returncode == 2
            assert "password refused" in weak.stdout
            assert _admins(url) == []
        finally:
            drop()


class TestPasswordPolicy:
    def test_reasons_are_named(self):
        assert password_problems("short", username="admin")
        assert "not a published or common password" in password_problems("anju2026!", username="x")
        assert "must not contain the user name" in password_problems("Admin-2026-xyz", username="admin")
        assert password_problems("lowercaseonlyletters", username="x") == [
            "at least three of: lower case, upper case, digits, symbols"
        ]
        assert password_problems(STRONG, username="root_admin") == []
