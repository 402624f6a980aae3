"""Notices: targeting by compound/building/unit/house and role, read receipts, planned outages,
emergency broadcasts that ignore mutes and reach the account inbox; the H5 inbox and the console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from anju.accounts.models import User
from anju.notices.models import NoticeDelivery
from anju.notify.models import Notification
from anju.registry.models import Building, House, Occupancy, Unit
from tests.web.conftest import ORIGIN


def _residents(session, where) -> set[int]:
    return set(
        session.execute(
            select(Occupancy.person_id)
            .join(House, House.id == Occupancy.house_id)
            .where(Occupancy.ended_on.is_(None), *where)
        ).scalars()
    )


def _delivered(session, notice_id: int) -> set[int]:
    return set(session.execute(select(NoticeDelivery.person_id).where(NoticeDelivery.notice_id == notice_id)).scalars())


def _publish(client, login, who="manager_wang", **body):
    return client.post("/api/v1/notices", json=body, headers=login(who))


class TestTargeting:
    def test_building_notice_reaches_exactly_its_residents(self, client, login, session, ids):
        building = (
            session.execute(select(Building.id).where(Building.compound_id == ids["A"]).order_by(Building.id))
            .scalars()
            .first()
        )
        r = _publish(
            client,
            login,
            compound_id=ids["A"],
            title="3号楼通知",
            body="内容",
            target_kind="building",
            target_id=building,
        )
        assert r.status_code == 201, r.text
        expected = _residents(session, [House.building_id == building])
        assert _delivered(session, r.json()["id"]) == expected and r.json()["recipients"] == len(expected)

    def test_unit_notice_to_owners_only(self, client, login, session, ids):
        unit = session.execute(select(Unit.id).where(Unit.compound_id == ids["A"]).order_by(Unit.id)).scalars().first()
        r = _publish(
            client,
            login,
            compound_id=ids["A"],
            title="单元业主",
            body="内容",
            target_kind="unit",
            target_id=unit,
            audience="owners",
        )
        expected = _residents(session, [House.unit_id == unit, Occupancy.role.in_(("owner", "co_owner"))])
        assert _delivered(session, r.json()["id"]) == expected

    def test_a_target_in_another_compound_is_refused(self, client, login, session, ids):
        other = session.execute(select(Building.id).where(Building.compound_id == ids["B"])).scalars().first()
        r = _publish(client, login, compound_id=ids["A"], title="x", body="y", target_kind="building", target_id=other)
        assert r.status_code == 422 and r.json()["error"]["code"] == "notice_bad_target"

    def test_outsider_cannot_publish_to_the_demo_compound(self, client, login, ids):
        r = _publish(client, login, who="outsider_zhao", compound_id=ids["A"], title="x", body="y")
        assert r.status_code == 404

    def test_residents_and_staff_without_the_permission_cannot_publish(self, client, login, ids):
        for who in ("resident_li", "staff_liu", "guard_chen"):
            assert _publish(client, login, who=who, compound_id=ids["A"], title="x", body="y").status_code == 403


class TestOutage:
    def test_planned_outage_needs_kind_buildings_and_window(self, client, login, session, ids):
        b = session.execute(select(Building.id).where(Building.compound_id == ids["A"])).scalars().first()
        start = datetime.now(UTC) + timedelta(days=1)
        base = {"compound_id": ids["A"], "kind": "outage", "title": "停电", "body": "检修"}
        bad = _publish(
            client,
            login,
            **base,
            outage_kind="power",
            outage_buildings=[b],
            window_start=start.isoformat(),
            window_end=(start - timedelta(hours=1)).isoformat(),
        )
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "notice_bad_outage"
        ok = _publish(
            client,
            login,
            **base,
            outage_kind="power",
            outage_buildings=[b],
            window_start=start.isoformat(),
            window_end=(start + timedelta(hours=4)).isoformat(),
        )
        assert ok.status_code == 201
        assert _delivered(session, ok.json()["id"]) == _residents(session, [House.building_id == b])


class TestEmergency:
    def test_emergency_broadcast_ignores_mutes_and_reaches_the_account_inbox(self, client, login, session, ids):
        muted = client.put("/api/v1/me/notice-mutes", json={"kinds": ["all"]}, headers=login("resident_li"))
        assert muted.status_code == 200
        general = _publish(client, login, compound_id=ids["A"], title="一般通知", body="内容")
        assert ids["li_person"] not in _delivered(session, general.json()["id"])
        em = _publish(
            client, login, compound_id=ids["A"], kind="emergency", title="燃气泄漏紧急疏散", body="请立即从安全通道撤离"
        )
        assert em.status_code == 201
        everyone = _residents(session, [House.compound_id == ids["A"]])
        assert _delivered(session, em.json()["id"]) == everyone and ids["li_person"] in everyone
        li_user = session.execute(select(User.id).where(User.username == "resident_li")).scalar_one()
        inbox = (
            session.execute(
                select(Notification).where(Notification.user_id == li_user, Notification.category == "notice_emergency")
            )
            .scalars()
            .all()
        )
        assert [n.title for n in inbox] == ["燃气泄漏紧急疏散"]

    def test_emergency_cannot_be_muted(self, client, login):
        r = client.put("/api/v1/me/notice-mutes", json={"kinds": ["emergency"]}, headers=login("resident_li"))
        assert r.status_code == 422 and "紧急" in r.json()["error"]["message"]["zh"]


class TestReadReceipts:
    def test_inbox_unread_badge_and_read_receipt(self, client, login, session, ids):
        n = _publish(client, login, compound_id=ids["A"], title="回执测试", body="内容").json()
        inbox = client.get("/api/v1/me/notices", headers=login("resident_li")).json()
        assert inbox["items"][0]["notice"]["id"] == n["id"] and inbox["items"][0]["read_at"] is None
        unread = inbox["unread"]
        assert client.post(f"/api/v1/me/notices/{n['id']}/read", headers=login("resident_li")).status_code == 204
        assert client.post(f"/api/v1/me/notices/{n['id']}/read", headers=login("resident_li")).status_code == 204
        assert client.get("/api/v1/me/notices", headers=login("resident_li")).json()["unread"] == unread - 1
        listed = client.get(f"/api/v1/notices?compound_id={ids['A']}", headers=login("manager_wang")).json()
        row = next(x for x in listed if x["id"] == n["id"])
        assert row["read"] == 1 and row["recipients"] == n["recipients"]

    def test_a_notice_not_delivered_to_me_cannot_be_marked(self, client, login, session, ids):
        other = (
            session.execute(
                select(House.id).where(
                    House.compound_id == ids["A"], House.id != ids["li_house"], House.status == "self_occupied"
                )
            )
            .scalars()
            .first()
        )
        n = _publish(
            client, login, compound_id=ids["A"], title="单户", body="x", target_kind="house", target_id=other
        ).json()
        assert client.post(f"/api/v1/me/notices/{n['id']}/read", headers=login("resident_li")).status_code == 404


class TestPages:
    def test_h5_inbox_shows_badge_and_marks_read(self, client, web_login, session, ids):
        web_login("resident_li")
        page = client.get("/h5/notices")
        assert page.status_code == 200 and "秋季消防安全检查" in page.text and 'data-testid="unread"' in page.text
        nid = int(page.text.split('data-notice="', 1)[1].split('"', 1)[0])
        before = session.execute(
            select(func.count())
            .select_from(NoticeDelivery)
            .where(NoticeDelivery.person_id == ids["li_person"], NoticeDelivery.read_at.is_(None))
        ).scalar_one()
        r = client.post(f"/h5/notices/{nid}/read", headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303
        after = session.execute(
            select(func.count())
            .select_from(NoticeDelivery)
            .where(NoticeDelivery.person_id == ids["li_person"], NoticeDelivery.read_at.is_(None))
        ).scalar_one()
        assert after == before - 1

    def test_committee_member_opens_the_notices_console_and_publishes(self, client, web_login, session, ids):
        web_login("committee_sun")
        page = client.get("/console/notices")
        assert page.status_code == 200 and "计划停水通知" in page.text and 'data-testid="receipts"' in page.text
        nav = page.text.split('data-testid="nav"', 1)[1].split("</nav>", 1)[0]
        assert "/console/houses" not in nav and "/console/notices" in nav
        r = client.post(
            "/console/notices",
            headers=ORIGIN,
            follow_redirects=False,
            data={"kind": "general", "title": "业委会通知", "body": "换届选举筹备", "audience": "owners"},
        )
        assert r.status_code == 303 and "published" in r.headers["location"]

    def test_staff_without_notices_manage_and_residents_are_refused(self, client, web_login):
        for who in ("staff_liu", "resident_li", "guard_chen"):
            web_login(who)
            assert client.get("/console/notices").status_code == 403, who

    def test_outage_form_with_bad_window_is_refused_with_reason(self, client, web_login, session, ids):
        web_login("manager_wang")
        b = session.execute(select(Building.id).where(Building.compound_id == ids["A"])).scalars().first()
        r = client.post(
            "/console/notices",
            headers=ORIGIN,
            data={
                "kind": "outage",
                "title": "停水",
                "body": "x",
                "outage_kind": "water",
                "outage_buildings": str(b),
                "window_start": "2030-01-02T10:00",
                "window_end": "2030-01-02T09:00",
            },
        )
        assert r.status_code == 422 and "起止时间" in r.text
