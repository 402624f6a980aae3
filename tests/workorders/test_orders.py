"""The work-order state machine through the API: intake, dispatch, the full timeline, illegal moves, rating,
photos, grab, and the alarm → work order path (exactly once)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from anju.alarms.events import AlarmRequested, WorkOrderRequested
from anju.alarms.service import alarm_service
from anju.core import events
from anju.core.db import transaction
from anju.workorders.enums import OrderKind, OrderStatus
from anju.workorders.models import WorkOrder, WorkOrderEvent
from anju.workorders.schemas import OrderCreate
from anju.workorders.service import work_order_service
from tests.conftest import run_worker_once
from tests.core.job_race import race
from tests.devices.helpers import DedicatedDatabase
from tests.workorders.conftest import png_bytes, principal

API = "/api/v1/work-orders"


def _uid(session, username: str) -> int:
    from anju.accounts.models import User

    return session.execute(select(User.id).where(User.username == username)).scalar_one()


def _leak(client, login, ids, **extra):
    body = {
        "kind": "household_repair",
        "category": "plumbing",
        "title": "厨房水管漏水",
        "house_id": ids["li_house"],
        **extra,
    }
    r = client.post(API, json=body, headers=login("resident_li"))
    assert r.status_code == 201, r.text
    return r.json()


def _act(client, login, username, order_id, action, **body):
    return client.post(f"{API}/{order_id}/actions", json={"action": action, **body}, headers=login(username))


class TestLifecycle:
    def test_full_life_with_timeline_r_w1(self, client, login, ids, session):
        order = _leak(client, login, ids)
        assert order["status"] == "new" and order["source"] == "h5" and order["compound_id"] == ids["A"]
        assert order["response_due_at"] and order["resolution_due_at"]
        oid, liu = order["id"], _uid(session, "staff_liu")
        steps = [
            ("manager_wang", "dispatched", {"assignee_user_id": liu}),
            ("staff_liu", "accepted", {}),
            ("staff_liu", "arrived", {}),
            ("staff_liu", "waiting_owner", {"note": "等业主回家开门"}),
            ("staff_liu", "resumed", {}),
            ("staff_liu", "completed", {"note": "更换角阀"}),
            ("manager_wang", "followed_up", {"note": "回访：已不漏水"}),
            ("manager_wang", "closed", {}),
            ("resident_li", "rated", {"rating": 4, "note": "及时"}),
        ]
        for user, action, body in steps:
            r = _act(client, login, user, oid, action, **body)
            assert r.status_code == 200, (action, r.text)
        final = r.json()
        assert final["status"] == "closed" and final["rating"] == 4 and final["response_met"] is True
        assert final["follow_up_note"] == "回访：已不漏水"
        timeline = [(e["action"], e["to_status"]) for e in final["timeline"]]
        assert timeline == [
            ("created", "new"),
            ("dispatched", "dispatched"),
            ("accepted", "accepted"),
            ("arrived", "arrived"),
            ("waiting_owner", "waiting_owner"),
            ("resumed", "arrived"),
            ("completed", "completed"),
            ("followed_up", "followed_up"),
            ("closed", "closed"),
            ("rated", "closed"),
        ]
        actors = {e["action"]: e["actor_user_id"] for e in final["timeline"]}
        assert actors["accepted"] == liu and actors["rated"] == _uid(session, "resident_li")
        # the reporter sees the same timeline
        mine = client.get(f"{API}/{oid}", headers=login("resident_li")).json()
        assert len(mine["timeline"]) == len(final["timeline"])

    def test_closing_an_unassigned_order_is_refused_with_reason(self, client, login, ids):
        oid = _leak(client, login, ids)["id"]
        r = _act(client, login, "manager_wang", oid, "closed")
        assert r.status_code == 409
        assert "未指派" in r.json()["error"]["message"]["zh"] and "no assignee" in r.json()["error"]["message"]["en"]

    def test_r_w1_no_close_without_follow_up(self, client, login, ids, session):
        oid = _leak(client, login, ids)["id"]
        _act(client, login, "manager_wang", oid, "dispatched", assignee_user_id=_uid(session, "staff_liu"))
        for a in ("arrived", "completed"):
            assert _act(client, login, "staff_liu", oid, a).status_code == 200
        assert _act(client, login, "manager_wang", oid, "closed").status_code == 409
        r = _act(client, login, "manager_wang", oid, "followed_up")
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "note"

    def test_rating_is_for_the_reporter_only(self, client, login, ids, session):
        oid = _leak(client, login, ids)["id"]
        _act(client, login, "manager_wang", oid, "dispatched", assignee_user_id=_uid(session, "staff_liu"))
        _act(client, login, "staff_liu", oid, "arrived")
        assert _act(client, login, "resident_li", oid, "rated", rating=5).status_code == 409  # not done yet
        _act(client, login, "staff_liu", oid, "completed")
        r = _act(client, login, "manager_wang", oid, "rated", rating=5)
        assert r.status_code == 403 and r.json()["error"]["code"] == "workorder_not_reporter"
        assert _act(client, login, "committee_sun", oid, "rated", rating=1).status_code == 404  # not theirs to see
        assert _act(client, login, "resident_li", oid, "rated", rating=6).status_code == 422
        assert _act(client, login, "resident_li", oid, "rated", rating=5).status_code == 200
        assert _act(client, login, "resident_li", oid, "rated", rating=1).status_code == 409  # once

    def test_only_the_assignee_works_the_order(self, client, login, ids, session):
        oid = _leak(client, login, ids)["id"]
        _act(client, login, "manager_wang", oid, "dispatched", assignee_user_id=_uid(session, "staff_liu"))
        r = _act(client, login, "grid_zhou", oid, "arrived")
        assert r.status_code == 403 and r.json()["error"]["code"] == "workorder_not_yours"
        assert (
            _act(
                client, login, "resident_li", oid, "dispatched", assignee_user_id=_uid(session, "staff_liu")
            ).status_code
            == 403
        )

    def test_return_transfer_suspend_reopen(self, client, login, ids, session):
        oid = _leak(client, login, ids)["id"]
        liu, zhou = _uid(session, "staff_liu"), _uid(session, "grid_zhou")
        _act(client, login, "manager_wang", oid, "dispatched", assignee_user_id=liu)
        assert _act(client, login, "staff_liu", oid, "returned").status_code == 422  # a reason is required
        r = _act(client, login, "staff_liu", oid, "returned", note="不是我的专业")
        assert r.json()["status"] == "new" and r.json()["assignee_user_id"] is None
        _act(client, login, "manager_wang", oid, "dispatched", assignee_user_id=liu)
        r = _act(client, login, "staff_liu", oid, "transferred", assignee_user_id=zhou)
        assert r.json()["assignee_user_id"] == zhou and r.json()["status"] == "dispatched"
        r = _act(client, login, "manager_wang", oid, "suspended", note="等配件")
        assert r.json()["status"] == "suspended" and r.json()["paused_at"]
        assert _act(client, login, "manager_wang", oid, "resumed").json()["status"] == "dispatched"
        for a in ("arrived", "completed"):
            _act(client, login, "grid_zhou", oid, a)
        r = _act(client, login, "resident_li", oid, "reopened", note="又漏了")
        assert r.status_code == 200 and r.json()["status"] == "new" and r.json()["assignee_user_id"] is None

    def test_dispatch_to_someone_outside_the_compound_is_refused(self, client, login, ids, session):
        oid = _leak(client, login, ids)["id"]
        for target in (_uid(session, "outsider_zhao"), _uid(session, "resident_li"), 999_999):
            r = _act(client, login, "manager_wang", oid, "dispatched", assignee_user_id=target)
            assert r.status_code == 422 and r.json()["error"]["code"] == "workorder_bad_assignee"

    def test_paid_repair_needs_the_owners_yes(self, client, login, ids, session):
        oid = _leak(client, login, ids)["id"]
        _act(client, login, "manager_wang", oid, "dispatched", assignee_user_id=_uid(session, "staff_liu"))
        _act(client, login, "staff_liu", oid, "arrived")
        assert _act(client, login, "staff_liu", oid, "quoted", amount="120.00", note="更换龙头").status_code == 200
        r = _act(client, login, "staff_liu", oid, "completed")
        assert r.status_code == 409 and "报价" in r.json()["error"]["message"]["zh"]
        assert _act(client, login, "manager_wang", oid, "quote_accepted").status_code == 403
        assert _act(client, login, "resident_li", oid, "quote_accepted").json()["quote_status"] == "accepted"
        assert _act(client, login, "staff_liu", oid, "completed").status_code == 200


class TestIntake:
    def test_resident_cannot_report_for_someone_elses_house(self, client, login, ids, session):
        from anju.registry.models import House

        other = session.execute(
            select(House.id).where(House.compound_id == ids["A"], House.id != ids["li_house"]).limit(1)
        ).scalar_one()
        r = client.post(
            API, json={"kind": "household_repair", "title": "漏水", "house_id": other}, headers=login("resident_li")
        )
        assert r.status_code == 404

    def test_resident_cannot_open_alarm_orders(self, client, login):
        r = client.post(API, json={"kind": "alarm", "title": "假告警"}, headers=login("resident_li"))
        assert r.status_code == 422

    def test_staff_on_behalf_of_a_caller_and_grid_worker(self, client, login, ids):
        r = client.post(
            API,
            json={
                "compound_id": ids["A"],
                "kind": "common_repair",
                "category": "plumbing",
                "title": "5单元23楼的水压低",
                "priority": "urgent",
            },
            headers=login("staff_liu"),
        )
        assert r.status_code == 201 and r.json()["source"] == "phone"
        r = client.post(
            API,
            json={"compound_id": ids["A"], "kind": "hazard", "category": "fire_safety", "title": "楼道堆放杂物"},
            headers=login("grid_zhou"),
        )
        assert r.status_code == 201 and r.json()["source"] == "grid"

    def test_other_compound_is_404(self, client, login, ids):
        r = client.post(
            API,
            json={"compound_id": ids["B"], "kind": "common_repair", "title": "路灯不亮"},
            headers=login("manager_wang"),
        )
        assert r.status_code == 404

    def test_bad_input(self, client, login, ids):
        h = login("manager_wang")
        for body in (
            {"kind": "nope", "title": "xx"},
            {"kind": "complaint", "title": "x"},
            {"kind": "complaint", "title": "ok title", "category": "DROP TABLE"},
            {"kind": "complaint", "title": "ok title", "compound_id": ids["A"], "extra": 1},
        ):
            assert client.post(API, json=body, headers=h).status_code == 422, body
        assert client.post(API, json={"kind": "complaint", "title": "no compound"}, headers=h).status_code == 422
        assert client.post(f"{API}/1/actions", json={"action": "explode"}, headers=h).status_code == 422
        assert client.get(f"{API}/99999999", headers=h).status_code == 404


class TestPhotos:
    def test_png_is_stored_and_served(self, client, login, ids):
        oid = _leak(client, login, ids)["id"]
        png = png_bytes()
        r = client.post(
            f"{API}/{oid}/photos", files={"file": ("leak.png", png, "image/png")}, headers=login("resident_li")
        )
        assert r.status_code == 201 and r.json()["content_type"] == "image/png" and r.json()["width"] == 32
        got = client.get(f"{API}/{oid}/photos/{r.json()['id']}", headers=login("manager_wang"))
        assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
        assert client.get(f"{API}/{oid}/photos/{r.json()['id']}", headers=login("outsider_zhao")).status_code == 404

    def test_a_non_image_named_png_is_415(self, client, login, ids):
        oid = _leak(client, login, ids)["id"]
        for data in (b"<?php echo 1; ?>", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b""):
            r = client.post(
                f"{API}/{oid}/photos", files={"file": ("leak.png", data, "image/png")}, headers=login("resident_li")
            )
            assert r.status_code == 415, r.text
            assert r.json()["error"]["code"] == "workorder_bad_photo"

    def test_a_50_mb_photo_is_413(self, client, login, ids):
        oid = _leak(client, login, ids)["id"]
        big = png_bytes() + b"\x00" * (50 * 1024 * 1024)
        r = client.post(
            f"{API}/{oid}/photos", files={"file": ("big.png", big, "image/png")}, headers=login("resident_li")
        )
        assert r.status_code == 413  # refused by the request limit before it is read

    def test_a_photo_over_the_photo_limit_is_413_with_reason(self, client, login, ids):
        oid = _leak(client, login, ids)["id"]
        big = png_bytes() + b"\x00" * (4 * 1024 * 1024 + 10)
        r = client.post(
            f"{API}/{oid}/photos", files={"file": ("big.png", big, "image/png")}, headers=login("resident_li")
        )
        assert r.status_code == 413 and r.json()["error"]["message"]["zh"].startswith("照片不能超过 4 MB")


class TestGrab:
    def test_second_grab_gets_409(self, client, login, ids):
        oid = _leak(client, login, ids)["id"]
        assert client.post(f"{API}/{oid}/grab", headers=login("staff_liu")).status_code == 200
        r = client.post(f"{API}/{oid}/grab", headers=login("grid_zhou"))
        assert r.status_code == 409 and r.json()["error"]["code"] == "workorder_already_taken"
        assert client.post(f"{API}/{oid}/grab", headers=login("resident_li")).status_code == 403


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = DedicatedDatabase(tmp_path_factory.mktemp("wo"), "wo")
    yield db
    db.close()


def test_two_technicians_grabbing_at_once_exactly_one_wins(real_db):
    with transaction() as s:
        liu, zhou = principal(s, "staff_liu"), principal(s, "grid_zhou")
        compound = next(iter(liu.compound_ids))
        order_ids = [
            work_order_service.open(
                s,
                by=liu,
                data=OrderCreate(
                    compound_id=compound, kind=OrderKind.common_repair, category="plumbing", title=f"抢单 {k}"
                ),
            ).id
            for k in range(8)
        ]
    results: dict[str, list[tuple[int, str]]] = {"liu": [], "zhou": []}

    def grab(name, who):  # type: ignore[no-untyped-def]
        for oid in order_ids:
            try:
                with transaction() as s:
                    work_order_service.grab(s, by=who, order_id=oid)
                results[name].append((oid, "won"))
            except Exception as exc:  # noqa: BLE001  (the loser's reason is asserted below)
                results[name].append((oid, type(exc).__name__))

    race(2, lambda i: grab(*(("liu", liu), ("zhou", zhou))[i]))
    for oid in order_ids:
        outcomes = sorted(o for n in results for i, o in results[n] if i == oid)
        assert outcomes == ["AlreadyTaken", "won"], (oid, outcomes)
    with transaction() as s:
        rows = s.execute(
            select(WorkOrder.assignee_user_id, func.count())
            .where(WorkOrder.id.in_(order_ids))
            .group_by(WorkOrder.assignee_user_id)
        ).all()
        assert sum(n for _, n in rows) == len(order_ids) and all(u is not None for u, _ in rows)
        grabs = s.execute(
            select(func.count())
            .select_from(WorkOrderEvent)
            .where(WorkOrderEvent.order_id.in_(order_ids), WorkOrderEvent.action == "grabbed")
        ).scalar_one()
        assert grabs == len(order_ids)


class TestAlarmLinkage:
    def test_smoke_alarm_opens_one_order_even_if_delivered_twice(self, session, ids):
        request = AlarmRequested(
            compound_id=ids["A"],
            kind="smoke",
            severity="critical",
            source="test",
            dedupe_key=f"t:{uuid.uuid4().hex}",
            title="3号楼8层烟感报警",
            floor=8,
        )
        alarm_id = alarm_service.raise_or_refresh(session, request=request).alarm_id
        session.flush()
        run_worker_once()  # AlarmRaised → linkage → WorkOrderRequested → our handler
        orders = session.execute(select(WorkOrder).where(WorkOrder.alarm_id == alarm_id)).scalars().all()
        assert len(orders) == 1
        order = orders[0]
        assert (order.kind, order.category, order.priority, order.source) == (
            "alarm",
            "fire_safety",
            "emergency",
            "alarm",
        )
        # the same request again (a redelivery, or a second event for the same alarm): still one order
        again = WorkOrderRequested(
            alarm_id=alarm_id,
            compound_id=ids["A"],
            kind="smoke",
            severity="critical",
            category="fire_safety",
            title="3号楼8层烟感报警",
        )
        events.publish(session, again, compound_id=ids["A"])
        events.publish(session, again, compound_id=ids["A"])
        session.flush()
        run_worker_once()
        n = session.execute(select(func.count()).select_from(WorkOrder).where(WorkOrder.alarm_id == alarm_id))
        assert n.scalar_one() == 1

    def test_r_s1_ebike_alarm_becomes_a_fire_safety_order(self, session, ids):
        order, created = work_order_service.open_from_alarm(
            session,
            alarm_id=987_654,
            compound_id=ids["A"],
            kind="ebike_in_corridor",
            severity="major",
            category="fire_safety",
            title="电动车进入电梯",
            building_id=None,
            house_id=None,
            floor=None,
        )
        assert "第37条" in order.description  # R-S1 cites the rule
        assert created and order.category == "fire_safety" and order.status in (OrderStatus.new, OrderStatus.dispatched)
        again, created = work_order_service.open_from_alarm(
            session,
            alarm_id=987_654,
            compound_id=ids["A"],
            kind="ebike_in_corridor",
            severity="major",
            category="fire_safety",
            title="电动车进入电梯",
            building_id=None,
            house_id=None,
            floor=None,
        )
        assert not created and again.id == order.id


class TestAuthority:
    def test_r_w4_report_to_authority_is_logged_for_fire_violations(self, client, login, ids):
        r = client.post(
            API,
            json={
                "compound_id": ids["A"],
                "kind": "hazard",
                "category": "fire_safety",
                "title": "消防通道被私家车占用",
            },
            headers=login("grid_zhou"),
        )
        oid = r.json()["id"]
        assert _act(client, login, "grid_zhou", oid, "reported_authority", note="已报消防").status_code == 403
        assert _act(client, login, "manager_wang", oid, "reported_authority").status_code == 422
        r = _act(client, login, "manager_wang", oid, "reported_authority", note="劝阻无效，14:05 电话上报街道消防站")
        assert r.status_code == 200
        logged = [e for e in r.json()["timeline"] if e["action"] == "reported_authority"]
        assert len(logged) == 1 and "消防站" in logged[0]["note"] and logged[0]["actor_user_id"]

    def test_r_w4_not_for_a_leaking_tap(self, client, login, ids):
        oid = _leak(client, login, ids)["id"]
        r = _act(client, login, "manager_wang", oid, "reported_authority", note="不应允许的上报")
        assert r.status_code == 409
