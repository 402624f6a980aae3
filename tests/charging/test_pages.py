"""E-bike charging pages (issue 18): the resident opens a socket from its QR, starts, sees the countdown (in
China time and yuan, never machine keys) and stops; the console board shows the socket in use."""

from __future__ import annotations

import re

from anju.devices.enums import DeviceType
from anju.fees.accounts import wallet_service
from tests.devices.helpers import make_device, msg, push

ORIGIN = {"Origin": "http://testserver"}


def test_scan_start_countdown_stop_on_h5_and_the_console_board(client, web_login, persona, session, ids):
    _, key, secret = make_device(session, ids["A"], DeviceType.ebike_charger, location="5号楼车棚 2号插座")
    assert push(client, key, secret, [msg({"state": "idle", "temp_c": 20.5, "power_w": 0})]).status_code == 202
    li = persona("resident_li").who
    wallet_service.top_up(session, compound_id=ids["A"], user_id=li.user_id, amount_fen=500, source_key="pg:1", by=None)
    web_login("resident_li")
    page = client.get(f"/h5/charging/s/{key}")
    assert page.status_code == 200 and "5号楼车棚 2号插座" in page.text and "空闲" in page.text
    assert "0.50 元/小时" in page.text and "5.00 元" in page.text
    r = client.post("/h5/charging/start", data={"socket": key, "choice": "3"}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303, r.text
    where = r.headers["location"]
    assert re.fullmatch(r"/h5/charging/session/\d+", where)
    s = client.get(where)
    assert s.status_code == 200 and 'data-countdown-left="' in s.text and "充电中" in s.text
    left = int(re.search(r'data-countdown-left="(\d+)"', s.text).group(1))
    assert 3 * 3600 - 60 <= left <= 3 * 3600
    assert "running" not in s.text.replace('data-status="running"', "")  # no machine keys shown
    again = client.post(
        "/h5/charging/start", data={"socket": key, "choice": "1"}, headers=ORIGIN, follow_redirects=False
    )
    assert "err=" in again.headers["location"]  # the socket is busy now
    home = client.get("/h5/charging")
    assert "3.50 元" in home.text  # 5.00 less 1.50 prepaid
    stop = client.post(where + "/stop", headers=ORIGIN, follow_redirects=True)
    assert stop.status_code == 200 and "已手动结束" in stop.text
    web_login("manager_wang")
    board = client.get(f"/console/charging?compound_id={ids['A']}")
    assert board.status_code == 200 and key in board.text and "20.5 °C" in board.text
