"""Decoration applications (装修申请, issue 18) and the rules of 住宅室内装饰装修管理办法 (建设部令第110号)
the workflow enforces: 第13条 file before work starts, 第14条 a non-owner needs the owner's consent, 第5条 no
load-bearing changes, 第15条 the approval records the prohibited acts, 第17条 site inspections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from anju.access.models import VisitorPass
from anju.core.kit.china_time import china_date, to_china
from anju.registry.enums import OccupancyRole
from anju.registry.models import Occupancy
from anju.workorders.models import WorkOrder

UNIT_DOOR = "3号楼1单元门"
GATE = "南门人行"


def _body(ids, **kw):
    today = china_date()
    return {
        "house_id": ids["li_house"],
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=20)).isoformat(),
        "scope": "厨房翻新、卫生间防水、全屋刷墙",
        "contractor": "安居装饰工程有限公司",
        "contractor_phone": "13611112222",
        "workers": [{"name": "张师傅", "phone": "13522223333"}, {"name": "刘师傅"}],
        "daily_from": "00:00",
        "daily_until": "23:59",
        "deposit_fen": 200000,
        **kw,
    }


def _apply(client, login, ids, **kw):
    r = client.post("/api/v1/decorations", headers=login("resident_li"), json=_body(ids, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def _approve(client, login, app_id, **kw):
    r = client.post(f"/api/v1/decorations/{app_id}/approve", headers=login("manager_wang"), json=kw)
    assert r.status_code == 200, r.text
    return r.json()


class TestApply:
    def test_owner_applies_and_staff_see_it(self, client, login, ids):
        a = _apply(client, login, ids)
        assert a["status"] == "submitted" and a["contractor_phone_masked"] == "136****2222"
        assert [w["name"] for w in a["workers"]] == ["张师傅", "刘师傅"]
        assert all(w["visitor_pass_id"] is None for w in a["workers"])  # no pass before approval
        listed = client.get("/api/v1/decorations", headers=login("manager_wang")).json()
        assert a["id"] in [x["id"] for x in listed]
        assert client.get(f"/api/v1/decorations/{a['id']}", headers=login("outsider_zhao")).status_code == 404

    def test_ling110_art13_must_be_filed_before_work_starts(self, client, login, ids):
        yesterday = (china_date() - timedelta(days=1)).isoformat()
        r = client.post("/api/v1/decorations", headers=login("resident_li"), json=_body(ids, start_date=yesterday))
        assert r.status_code == 422 and r.json()["error"]["code"] == "decoration_not_before_start"

    def test_ling110_art5_load_bearing_change_is_refused(self, client, login, ids):
        r = client.post("/api/v1/decorations", headers=login("resident_li"), json=_body(ids, touches_load_bearing=True))
        assert r.status_code == 422 and r.json()["error"]["code"] == "decoration_load_bearing"

    def test_ling110_art14_a_tenant_needs_the_owners_consent(self, client, login, ids, session):
        occ = session.execute(
            select(Occupancy).where(Occupancy.house_id == ids["li_house"], Occupancy.person_id == ids["li_person"])
        ).scalar_one()
        occ.role = OccupancyRole.tenant
        session.flush()
        r = client.post("/api/v1/decorations", headers=login("resident_li"), json=_body(ids))
        assert r.status_code == 403 and r.json()["error"]["code"] == "decoration_owner_consent"
        assert (
            client.post(
                "/api/v1/decorations", headers=login("resident_li"), json=_body(ids, owner_consent=True)
            ).status_code
            == 201
        )

    def test_overlapping_application_at_the_same_house_is_refused(self, client, login, ids):
        _apply(client, login, ids)
        later = (china_date() + timedelta(days=10)).isoformat()
        r = client.post(
            "/api/v1/decorations",
            headers=login("resident_li"),
            json=_body(ids, start_date=later, end_date=(china_date() + timedelta(days=40)).isoformat()),
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "decoration_overlap"
        after = (china_date() + timedelta(days=21)).isoformat()
        ok = client.post(
            "/api/v1/decorations",
            headers=login("resident_li"),
            json=_body(ids, start_date=after, end_date=(china_date() + timedelta(days=30)).isoformat()),
        )
        assert ok.status_code == 201

    def test_bad_input(self, client, login, ids):
        h = login("resident_li")
        assert client.post("/api/v1/decorations", headers=h, json=_body(ids, workers=[])).status_code == 422
        ends_first = _body(ids, end_date=(china_date() - timedelta(days=3)).isoformat())
        assert client.post("/api/v1/decorations", headers=h, json=ends_first).status_code == 422
        hours = _body(ids, daily_from="18:00", daily_until="08:00")
        assert client.post("/api/v1/decorations", headers=h, json=hours).status_code == 422

    def test_someone_elses_house_is_not_found(self, client, login, ids):
        r = client.post("/api/v1/decorations", headers=login("outsider_zhao"), json=_body(ids))
        assert r.status_code == 404


class TestApproval:
    def test_ling110_art15_approval_records_the_prohibited_acts(self, client, login, ids):
        a = _apply(client, login, ids)
        done = _approve(client, login, a["id"], conditions=["周末不得使用电锤"])
        assert (
            done["status"] == "approved" and done["deposit_status"] == "due"
        )  # the fees ledger charges it (test_deposit.py)
        text = " ".join(done["conditions"])
        assert "承重结构" in text and "周末不得使用电锤" in text and "施工时间" in text
        assert all(w["visitor_pass_id"] for w in done["workers"])

    def test_decided_once(self, client, login, ids):
        a = _apply(client, login, ids)
        _approve(client, login, a["id"])
        r = client.post(f"/api/v1/decorations/{a['id']}/reject", headers=login("manager_wang"), json={"reason": "迟了"})
        assert r.status_code == 409

    def test_residents_and_guards_cannot_approve(self, client, login, ids):
        a = _apply(client, login, ids)
        for who in ("resident_li", "guard_chen"):
            r = client.post(f"/api/v1/decorations/{a['id']}/approve", headers=login(who), json={})
            assert r.status_code == 403, who

    def test_rejection_tells_the_reason(self, client, login, ids):
        a = _apply(client, login, ids)
        r = client.post(
            f"/api/v1/decorations/{a['id']}/reject", headers=login("manager_wang"), json={"reason": "图纸不全"}
        )
        assert r.status_code == 200 and r.json()["reject_reason"] == "图纸不全"


class TestWorkerPasses:
    def _worker_qr(self, client, login, session, app):
        vp = session.get(VisitorPass, app["workers"][0]["visitor_pass_id"])
        r = client.get(f"/api/v1/access/visitor-passes/{vp.id}", headers=login("resident_li"))
        assert r.status_code == 200, r.text
        return vp, r.json()["qr"]

    def test_worker_pass_opens_the_unit_door_within_hours_and_not_outside(
        self, client, login, ids, decide, unit_terminal, south, points, session
    ):
        app = _approve(client, login, _apply(client, login, ids)["id"])
        vp, qr = self._worker_qr(client, login, session, app)
        assert decide(south, points[GATE], "qr", qr)["decision"] == "allow"
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", qr)["decision"] == "allow"
        # The same pass outside the approved daily hours (a window that excludes this moment).
        now = to_china(datetime.now(UTC))
        vp.daily_from = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
        vp.daily_until = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
        session.flush()
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", qr)["reason"] == "outside_time_window"

    def test_worker_pass_does_not_open_after_the_approved_dates(
        self, client, login, ids, decide, unit_terminal, points, session
    ):
        app = _approve(client, login, _apply(client, login, ids)["id"])
        vp, qr = self._worker_qr(client, login, session, app)
        vp.valid_until = datetime.now(UTC) - timedelta(minutes=1)
        session.flush()
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", qr)["reason"] == "pass_expired"

    def test_cancel_stops_the_passes(self, client, login, ids, decide, unit_terminal, points, session):
        app = _approve(client, login, _apply(client, login, ids)["id"])
        _, qr = self._worker_qr(client, login, session, app)
        r = client.post(f"/api/v1/decorations/{app['id']}/cancel", headers=login("resident_li"))
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", qr)["reason"] == "pass_revoked"


class TestInspection:
    def test_ling110_art17_failed_inspection_opens_a_work_order(self, client, login, ids, session):
        app = _approve(client, login, _apply(client, login, ids)["id"])
        r = client.post(
            f"/api/v1/decorations/{app['id']}/inspections",
            headers=login("manager_wang"),
            json={"kind": "during", "passed": False, "note": "擅自拆除阳台墙体"},
        )
        assert r.status_code == 201, r.text
        wo = session.get(WorkOrder, r.json()["work_order_id"])
        assert wo is not None and wo.category == "decoration" and wo.house_id == ids["li_house"]
        again = client.get(f"/api/v1/decorations/{app['id']}", headers=login("resident_li")).json()
        assert again["status"] == "approved"

    def test_final_inspection_completes_revokes_passes_and_releases_the_deposit(
        self, client, login, ids, decide, unit_terminal, points, session
    ):
        app = _approve(client, login, _apply(client, login, ids)["id"])
        vp = session.get(VisitorPass, app["workers"][0]["visitor_pass_id"])
        qr = client.get(f"/api/v1/access/visitor-passes/{vp.id}", headers=login("resident_li")).json()["qr"]
        r = client.post(
            f"/api/v1/decorations/{app['id']}/inspections",
            headers=login("manager_wang"),
            json={"kind": "final", "passed": True, "note": "竣工检查合格"},
        )
        assert r.status_code == 201
        done = client.get(f"/api/v1/decorations/{app['id']}", headers=login("resident_li")).json()
        assert done["status"] == "completed" and done["deposit_status"] == "refund_due"
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", qr)["reason"] == "pass_revoked"
        # Nothing more to inspect.
        r = client.post(
            f"/api/v1/decorations/{app['id']}/inspections",
            headers=login("manager_wang"),
            json={"kind": "final", "passed": True},
        )
        assert r.status_code == 409


class TestRetention:
    def test_contacts_are_erased_after_the_works_end(self, client, login, ids, session):
        from anju.decoration.models import DecorationApplication, DecorationWorker
        from anju.decoration.tasks import purge_contacts

        a = _apply(client, login, ids)
        app = session.get(DecorationApplication, a["id"])
        app.start_date = china_date() - timedelta(days=80)
        app.end_date = china_date() - timedelta(days=31)
        session.flush()
        purge_contacts()
        session.expire_all()
        workers = session.execute(select(DecorationWorker).where(DecorationWorker.application_id == a["id"])).scalars()
        assert {(w.name, w.phone_enc) for w in workers} == {("—", None)}
        assert session.get(DecorationApplication, a["id"]).contractor_phone_enc is None

    def test_recent_works_keep_their_contacts(self, client, login, ids, session):
        from anju.decoration.models import DecorationWorker
        from anju.decoration.tasks import purge_contacts

        a = _apply(client, login, ids)
        purge_contacts()
        session.expire_all()
        names = session.execute(
            select(DecorationWorker.name).where(DecorationWorker.application_id == a["id"])
        ).scalars()
        assert sorted(names) == ["刘师傅", "张师傅"]


def test_an_application_whose_dates_are_over_cannot_be_approved(client, login, ids, session):
    from anju.decoration.models import DecorationApplication

    a = _apply(client, login, ids)
    app = session.get(DecorationApplication, a["id"])
    app.start_date, app.end_date = china_date() - timedelta(days=9), china_date() - timedelta(days=1)
    session.flush()
    r = client.post(f"/api/v1/decorations/{a['id']}/approve", headers=login("manager_wang"), json={})
    assert r.status_code == 422
    assert client.get(f"/api/v1/decorations/{a['id']}", headers=login("resident_li")).json()["status"] == "submitted"
