"""Issue 18 walk: a resident tops up the charging wallet on the phone, opens a socket from its QR address, starts a
one-hour charge, watches the countdown run, and stops it early (the unused time comes back to the wallet).

Robust to the other walks on the shared live server: it uses its own socket (SFXQ-CHG-7, which no other walk
touches) and reads its own session's page, never "the first" row."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid

import pytest

from anju.core.db import utcnow
from anju.devices.protocol import sign_http
from anju.sim.charger_sim import ChargerSim
from anju.sim.devices_demo import demo_secret
from tests.web.browser import PHONE, on_live_database, shot, sign_in

pytestmark = pytest.mark.browser

SOCKET = "SFXQ-CHG-7"


def _pile_reports(base: str, data: dict[str, object], kind: str = "telemetry") -> None:
    """What the pile does on its own: push a signed reading over HTTP (the device protocol)."""
    body = json.dumps([{"kind": kind, "event_id": uuid.uuid4().hex, "ts": utcnow().isoformat(), "data": data}]).encode()
    req = urllib.request.Request(
        f"{base}/api/v1/devices/ingest",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Device-Key": SOCKET,
            "X-Device-Signature": sign_http(demo_secret(SOCKET), body),
        },
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 202


def _top_up(phone) -> None:
    """The resident tops up the charging wallet from the H5 home (10 yuan)."""
    assert phone.goto("/h5").status == 200
    phone.click('[data-testid="h5-link-charging"]')
    phone.fill('[data-testid="chg-topup-amount"]', "10")
    phone.click('[data-testid="chg-topup"]')
    phone.wait_for_selector('[data-testid="chg-ok"], [data-testid="chg-error"]')
    assert phone.locator('[data-testid="chg-error"]').count() == 0, phone.inner_text('[data-testid="chg-error"]')


def _clock(page) -> int:
    text = page.inner_text('[data-testid="chg-countdown"]')
    h, m, s = (int(x) for x in re.fullmatch(r"(\d\d):(\d\d):(\d\d)", text.strip()).groups())
    return h * 3600 + m * 60 + s


def test_resident_scans_a_socket_starts_sees_the_countdown_and_stops(browser, live_server):
    _pile_reports(live_server, {"state": "idle", "power_w": 0, "temp_c": 19.5})
    phone = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        _top_up(phone)

        # The socket's QR holds this address: the phone's camera opens it.
        assert phone.goto(f"/h5/charging/s/{SOCKET}").status == 200
        assert phone.locator('[data-testid="chg-socket"]').get_attribute("data-state") == "free"
        phone.select_option('[data-testid="chg-choice"]', "1")
        phone.click('[data-testid="chg-start"]')
        phone.wait_for_selector('[data-testid="chg-session"]')
        session_id = phone.locator('[data-testid="chg-session"]').get_attribute("data-session")
        assert phone.locator('[data-testid="chg-session"]').get_attribute("data-status") == "running"
        phone.wait_for_function(
            "() => /^\\d\\d:\\d\\d:\\d\\d$/.test(document.querySelector('[data-testid=chg-countdown]').textContent)"
        )
        first = _clock(phone)
        assert 3500 <= first <= 3600
        phone.wait_for_timeout(2500)
        assert _clock(phone) < first  # the countdown runs
        shot(phone, "resident_li_charging_countdown")

        phone.click('[data-testid="chg-stop"]')
        phone.wait_for_selector(f'[data-testid="chg-session"][data-session="{session_id}"][data-status="ended"]')
        assert "已手动结束" in phone.inner_text('[data-testid="chg-ended"]')
        shot(phone, "resident_li_charging_stopped")
    finally:
        phone.context.close()


# The leased charging.tick job, run once in a side process on the live server's database (the live server runs no
# worker): it reads the piles' reports and ends the session the pile cut off.
TICK = r"""
import json, sys
from tests.conftest import attach
attach(sys.argv[1])
from anju.charging.service import charging_service
from anju.core.db import transaction, utcnow
with transaction() as s:
    print("RESULT " + json.dumps(charging_service.tick(s, now=utcnow())))
"""


def test_the_simulators_pile_cuts_off_by_itself_when_the_time_is_up(browser, live_server):
    """The socket here is the simulator's own pile model (anju.sim.charger_sim, as `anju simulate` runs it): it
    switches on at the start command and, when its own timer runs out, switches off and says so."""
    pile = ChargerSim(SOCKET)
    _pile_reports(live_server, pile.reading())  # the pile's periodic reading: online and idle
    phone = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        _top_up(phone)
        assert phone.goto(f"/h5/charging/s/{SOCKET}").status == 200
        phone.select_option('[data-testid="chg-choice"]', "1")
        phone.click('[data-testid="chg-start"]')
        phone.wait_for_selector('[data-testid="chg-session"][data-status="running"]')
        session_id = phone.locator('[data-testid="chg-session"]').get_attribute("data-session")

        for kind, data in pile.on_command({"command": "start_charge", "params": {"minutes": 60}}, now=0.0):
            if kind == "telemetry":
                _pile_reports(live_server, data)  # "charging": the platform sees the socket on
        [(kind, data)] = pile.tick(now=3600.0, elapsed=3600.0)  # the pile's own clock: time is up
        assert kind == "event" and data["state"] == "idle" and data["cut_off"] == "timer"
        _pile_reports(live_server, data, kind=kind)
        on_live_database(live_server, TICK)

        phone.reload()
        ended = phone.locator(f'[data-testid="chg-session"][data-session="{session_id}"][data-status="ended"]')
        ended.wait_for()
        assert "时间到，已自动断电" in phone.inner_text('[data-testid="chg-ended"]')
        shot(phone, "resident_li_charging_cut_off_by_the_pile")
    finally:
        phone.context.close()
