"""Issue 17: the guard's phone shows the round's next checkpoint (walking order, today in China time), and the
patrol page shows check-ins that were queued offline and synced late (scan time and sync time)."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import utcnow

API = "/api/v1/patrol"


def _route(client, login, compound_id: int) -> list[dict]:
    body = {
        "compound_id": compound_id,
        "name": "夜巡测试线",
        "checkpoints": [{"name": "北门岗亭"}, {"name": "水泵房"}, {"name": "儿童乐园"}],
    }
    r = client.post(f"{API}/routes", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    return client.get(f"{API}/routes/{r.json()['id']}/checkpoints", headers=login("manager_wang")).json()


def test_scan_page_leads_the_guard_through_the_route(client, web_login, login, ids):
    points = _route(client, login, ids["A"])
    guard = login("guard_chen")
    assert client.post(f"{API}/checkins", json={"code": points[0]["code"]}, headers=guard).status_code == 201
    web_login("guard_chen")
    page = client.get("/h5/patrol/scan").text
    card = page.split('data-testid="scan-next"', 1)[1].split("</section>", 1)[0]
    assert "夜巡测试线" in card and "下一巡更点：水泵房" in card and "1/3" in card
    for p in points[1:]:
        assert client.post(f"{API}/checkins", json={"code": p["code"]}, headers=guard).status_code == 201
    card = client.get("/h5/patrol/scan").text.split('data-testid="scan-next"', 1)[1].split("</section>", 1)[0]
    assert "今日本路线已全部打卡" in card and "3/3" in card
    client.cookies.set("anju_lang", "en")
    assert "3 of 3 checked in today" in client.get("/h5/patrol/scan").text


def test_late_synced_checkins_are_visible_to_the_manager(client, web_login, login, ids):
    points = _route(client, login, ids["A"])
    scanned = utcnow() - timedelta(hours=3)
    r = client.post(
        f"{API}/checkins",
        json={"code": points[1]["code"], "client_id": "late-sync-0001", "scanned_at": scanned.isoformat()},
        headers=login("guard_chen"),
    )
    assert r.status_code == 201 and r.json()["synced_at"] is not None
    web_login("manager_wang")
    page = client.get("/console/patrol").text
    table = page.split('data-testid="patrol-late"', 1)[1].split("</table>", 1)[0]
    assert f'data-checkin="{r.json()["id"]}"' in table and "水泵房" in table
