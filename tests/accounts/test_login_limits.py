"""Login throttling under concurrency and per client address (issue 20 item 4)."""

from __future__ import annotations

from collections import Counter

import pytest

from anju.core import db as core_db
from anju.core.errors import RateLimited, Unauthenticated
from tests.access.test_limits import _parallel
from tests.core.databases import dedicated_database


def test_brute_force_40_parallel_wrong_passwords_check_at_most_the_limit(tmp_path, monkeypatch):
    import anju.accounts.service as accounts_service
    from anju.accounts.service import account_service
    from anju.core.config import get_settings

    limit = get_settings().login_max_failures
    checks: list[int] = []
    real = accounts_service.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checks.append(1)
        return real(password_hash, password)

    monkeypatch.setattr(accounts_service, "verify_password", counting)
    with dedicated_database(tmp_path, "login_race", seed=True) as (_, engine):

        def attempt(i: int) -> str:
            with core_db.new_session() as s:
                try:
                    account_service.login(s, username="guard_chen", password=f"wrong{i}", kind="api", ip=f"10.0.0.{i}")
                except Unauthenticated:
                    return "401"
                except RateLimited:
                    return "429"
                return "200"

        tally = _parallel(40, attempt)
        # Before: about 19 of 40 passwords were checked against a limit of 5.
        assert tally == Counter({"401": limit, "429": 40 - limit}), tally
        assert len(checks) == limit
        engine.dispose()


def test_brute_force_login_is_limited_per_client_address(session, monkeypatch):
    from anju.accounts.config import account_settings
    from anju.accounts.service import account_service

    monkeypatch.setattr(account_settings(), "login_ip_max_failures", 6)
    ip = "203.0.113.9"
    for i in range(6):  # password spraying: a different name each time, under every name's own limit
        with pytest.raises(Unauthenticated):
            account_service.login(session, username=f"nobody{i}", password="x", kind="api", ip=ip)
    with pytest.raises(RateLimited, match="address"):
        account_service.login(session, username="guard_chen", password="x", kind="api", ip=ip)
    # Another address is not affected.
    with pytest.raises(Unauthenticated):
        account_service.login(session, username="guard_chen", password="x", kind="api", ip="198.51.100.7")


def test_brute_force_counters_of_ended_windows_are_purged(session):
    from datetime import timedelta

    from sqlalchemy import select

    from anju.accounts.models import AttemptCounter
    from anju.accounts.service import account_service
    from anju.core.db import utcnow

    now = utcnow()
    session.add_all(
        [
            AttemptCounter(key="login:ip:198.51.100.1", window_start=now - timedelta(days=2), failures=3),
            AttemptCounter(key="login:ip:198.51.100.2", window_start=now - timedelta(minutes=5), failures=3),
        ]
    )
    session.flush()
    account_service.purge_expired(session)
    keys = set(
        session.execute(select(AttemptCounter.key).where(AttemptCounter.key.like("login:ip:198.51.100.%"))).scalars()
    )
    assert keys == {"login:ip:198.51.100.2"}
