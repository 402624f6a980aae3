"""Shared browser-test support: a seeded live server and one headless Chromium per test process.

Every browser test module uses the session-scoped `live_server` and `browser`
fixtures from tests/web/conftest.py, so a pytest-xdist worker seeds one server,
not one per module. Tests that change data must use rows no other test relies on.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anju.sim.demo import DEMO_PASSWORD
from tests.conftest import copy_database, service_unavailable

ROOT = Path(__file__).parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREEN = {"width": 1920, "height": 1080}
# The database URL of each running live server, by its base URL: walks that drive a product process beside the
# server (the video worker) point it at the same database.
LIVE_DATABASES: dict[str, str] = {}


def on_live_database(base: str, script: str, *args: str) -> dict[str, Any]:
    """Run `script` (Python source) in a side process on the live server's database, as a product process beside
    the server would (the worker's jobs, the intake); it gets the database URL and `args` in sys.argv and reports
    with one line "RESULT <json object>", which is returned."""
    url = LIVE_DATABASES[base]
    done = subprocess.run(
        [sys.executable, "-c", script, url, *args],
        cwd=ROOT,
        env={**os.environ, "ANJU_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), "RESULT {}")
    return dict(json.loads(line.removeprefix("RESULT ")))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"web server exited with {proc.returncode}:\n{log.read_text()[-4000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"web server did not become healthy:\n{log.read_text()[-4000:]}", pytrace=False)


def run_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded Anju server on a free 127.0.0.1 port (SQLite or PostgreSQL, as ANJU_TEST_DB says)."""
    if not Path(CHROMIUM).exists():
        service_unavailable(f"chromium at {CHROMIUM}")
    tmp = tmp_path_factory.mktemp("web_live")
    url, drop = copy_database(tmp, "web_live", seed=True)  # the worker's seeded template, copied
    port = _free_port()
    log = tmp / "server.log"
    env = {
        **os.environ,
        "ANJU_DATABASE_URL": url,
        "ANJU_ENV": "development",
        "ANJU_SECRET_KEY": os.environ.get("ANJU_SECRET_KEY", "test-secret-key"),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.web.server", url, str(port), "--prepared"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    LIVE_DATABASES[base] = url
    try:
        _wait_healthy(base, proc, log)
        yield base
    finally:
        LIVE_DATABASES.pop(base, None)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drop()


_shared: dict[str, Any] = {"users": 0}


def run_browser() -> Iterator[Any]:
    """One headless Chromium for the test process (Debian's build; Playwright downloads nothing).

    Shared by every fixture that asks, even one registered by another conftest: a second
    sync_playwright() in the same process fails ("Sync API inside the asyncio loop"), which
    once errored every browser test that ran after it.
    """
    if not Path(CHROMIUM).exists():
        service_unavailable(f"chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    if _shared["users"] == 0:
        pw = sync_playwright().start()
        try:
            _shared["browser"] = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except BaseException:
            pw.stop()
            raise
        _shared["playwright"] = pw
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            _shared.pop("browser").close()
            _shared.pop("playwright").stop()


def sign_in(browser: Any, base: str, username: str, viewport: dict[str, int]) -> Any:
    """A fresh context, signed in through the login form; returns its page."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=base)
    context.set_default_timeout(30_000)  # generous: CI machines are small and busy
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def present_qr(base: str, access_point_id: int, token: str, *, terminal: str = "term_SFXQ_south") -> dict[str, Any]:
    """What a demo terminal (the south gate's by default) does when a QR code is held to it: ask the decision API."""
    import json

    from anju.sim.access_demo import TERMINAL_SECRET

    body = json.dumps({"access_point_id": access_point_id, "credential": {"kind": "qr", "value": token}}).encode()
    req = urllib.request.Request(
        f"{base}/api/v1/terminals/decisions",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Device-Key": terminal,
            "X-Device-Secret": TERMINAL_SECRET,
        },
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200
        return json.loads(r.read())
