"""R-P2: data-subject requests are made in-app, tracked against a deadline, and a refusal
records its reason; a completed deletion erases the person (R-P4)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from anju.accounts.models import User
from anju.core.audit import ObjectChange, PiiAccess
from anju.core.crypto import decrypt
from anju.core.events import OutboxEvent
from anju.core.kit.china_time import china_date
from anju.privacy.models import PrivacyRequest
from anju.privacy.service import due_date
from anju.privacy.tasks import flag_overdue_requests
from anju.registry.enums import PersonStatus
from anju.registry.models import EmergencyContact, Occupancy, Person, PersonTag
from anju.sim.demo import DEMO_PASSWORD
from tests.conftest import run_worker_once


def ask(client, headers, kind: str, detail: str | None = None):
    return client.post("/api/v1/me/privacy-requests", headers=headers, json={"kind": kind, "detail": detail})


class TestCreate:
    def test_r_p2_deadline_is_thirty_days_counted_from_the_next_day(self, client, login):
        start = china_date()
        r = ask(client, login("resident_li"), "delete", "请删除我的资料")
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "open" and body["kind"] == "delete" and not body["overdue"]
        # Day 1 is the day after the request (民法典 201), so day 30 is start + 30.
        assert date.fromisoformat(body["due_on"]) in {start + timedelta(days=30), china_date() + timedelta(days=30)}
        assert due_date(date(2026, 1, 31), 30) == date(2026, 3, 2)

    @pytest.mark.parametrize("kind", ["access", "correct", "delete", "withdraw", "close", "explain"])
    def test_r_p2_every_right_can_be_requested_in_app(self, client, login, kind):
        assert ask(client, login("resident_li"), kind).status_code == 201

    def test_a_second_open_request_of_the_same_kind_is_409(self, client, login):
        h = login("resident_li")
        assert ask(client, h, "explain").status_code == 201
        r = ask(client, h, "explain")
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"

    def test_unknown_kind_is_422(self, client, login):
        assert ask(client, login("resident_li"), "forget_everyone").status_code == 422

    def test_resident_sees_own_requests_only(self, client, login):
        ask(client, login("resident_li"), "explain")
        mine = client.get("/api/v1/me/privacy-requests", headers=login("resident_li")).json()
        theirs = client.get("/api/v1/me/privacy-requests", headers=login("committee_sun")).json()
        assert [r["kind"] for r in mine] == ["explain"] and theirs == []

    def test_staff_list_is_scoped_and_sorted_by_deadline(self, client, login, ids):
        ask(client, login("resident_li"), "explain")
        listed = client.get("/api/v1/privacy/requests", headers=login("manager_wang")).json()
        assert [r["kind"] for r in listed] == ["explain"] and listed[0]["compound_id"] == ids["A"]
        assert client.get("/api/v1/privacy/requests", headers=login("outsider_zhao")).json() == []


class TestResolve:
    def _open(self, client, login, kind: str = "access") -> int:
        r = ask(client, login("resident_li"), kind)
        assert r.status_code == 201
        return r.json()["id"]

    @pytest.mark.parametrize("resolution", [None, "", "   "])
    def test_r_p2_refusal_without_a_reason_is_422(self, client, login, resolution):
        rid = self._open(client, login)
        r = client.post(
            f"/api/v1/privacy/requests/{rid}/resolve",
            headers=login("manager_wang"),
            json={"status": "refused", "resolution": resolution},
        )
        assert r.status_code == 422
        assert r.json()["error"]["message"]["zh"]

    def test_r_p2_refusal_records_its_reason(self, client, login, session):
        rid = self._open(client, login)
        r = client.post(
            f"/api/v1/privacy/requests/{rid}/resolve",
            headers=login("manager_wang"),
            json={"status": "refused", "resolution": "公安要求保留登记信息"},
        )
        assert r.status_code == 200
        req = session.get(PrivacyRequest, rid)
        session.refresh(req)
        assert (req.status, req.resolution) == ("refused", "公安要求保留登记信息")
        assert req.resolved_at is not None
        assert req.resolved_by == session.execute(select(User.id).where(User.username == "manager_wang")).scalar_one()

    def test_resolving_twice_is_409(self, client, login):
        rid = self._open(client, login)
        h = login("manager_wang")
        body = {"status": "done", "resolution": "已答复"}
        assert client.post(f"/api/v1/privacy/requests/{rid}/resolve", headers=h, json=body).status_code == 200
        assert client.post(f"/api/v1/privacy/requests/{rid}/resolve", headers=h, json=body).status_code == 409

    def test_r_p4_done_deletion_erases_the_person(self, client, login, session, ids):
        li_id = ids["li_person"]
        li = session.get(Person, li_id)
        old_name = li.name
        old_phone = decrypt(li.phone_enc, context="person.phone")
        li_token = login("resident_li")
        rid = self._open(client, login, "delete")
        r = client.post(
            f"/api/v1/privacy/requests/{rid}/resolve",
            headers=login("manager_wang"),
            json={"status": "done", "resolution": "已删除"},
        )
        assert r.status_code == 200, r.text
        session.expire_all()
        li = session.get(Person, li_id)
        assert li.status == PersonStatus.erased and li.name == f"已删除#{li_id}"
        assert (li.phone_enc, li.phone_bidx, li.phone_masked) == (None, None, None)
        assert (li.id_number_enc, li.id_number_bidx, li.id_number_masked) == (None, None, None)
        assert li.birth_date is None and li.gender is None
        assert (
            session.execute(select(Occupancy).where(Occupancy.person_id == li_id, Occupancy.ended_on.is_(None))).first()
            is None
        )
        assert session.execute(select(PersonTag).where(PersonTag.person_id == li_id)).first() is None
        assert session.execute(select(EmergencyContact).where(EmergencyContact.person_id == li_id)).first() is None
        events = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "registry.PersonErased")).scalars()
        assert [e.payload["person_id"] for e in events] == [li_id]
        # What the append-only change log keeps of the erased person is masked only.
        erase = session.execute(
            select(ObjectChange).where(ObjectChange.entity_id == li_id, ObjectChange.action == "erase")
        ).scalar_one()
        kept = json.dumps([erase.before, erase.after], ensure_ascii=False)
        assert old_name not in kept and old_phone not in kept

        run_worker_once()
        session.expire_all()
        user = session.execute(select(User).where(User.username == "resident_li")).scalar_one()
        assert user.active is False
        assert client.get("/api/v1/me", headers=li_token).status_code == 401
        r = client.post("/api/v1/auth/token", json={"username": "resident_li", "password": DEMO_PASSWORD})
        assert r.status_code == 401

    def test_done_close_request_also_erases(self, client, login, session, ids):
        rid = self._open(client, login, "close")
        client.post(f"/api/v1/privacy/requests/{rid}/resolve", headers=login("admin"), json={"status": "done"})
        session.expire_all()
        assert session.get(Person, ids["li_person"]).status == PersonStatus.erased

    def test_done_access_request_erases_nothing(self, client, login, session, ids):
        rid = self._open(client, login, "access")
        client.post(f"/api/v1/privacy/requests/{rid}/resolve", headers=login("manager_wang"), json={"status": "done"})
        session.expire_all()
        assert session.get(Person, ids["li_person"]).status == PersonStatus.active

    def test_erased_person_cannot_be_edited(self, client, login, ids):
        rid = self._open(client, login, "delete")
        h = login("manager_wang")
        client.post(f"/api/v1/privacy/requests/{rid}/resolve", headers=h, json={"status": "done"})
        r = client.patch(f"/api/v1/people/{ids['li_person']}", headers=h, json={"name": "复活"})
        assert r.status_code == 409


class TestOverdue:
    def _request(self, session, ids, *, due: date, status: str = "open") -> PrivacyRequest:
        req = PrivacyRequest(
            compound_id=ids["A"], person_id=ids["li_person"], kind="explain", due_on=due, status=status
        )
        session.add(req)
        session.flush()
        return req

    def test_r_p2_job_flags_overdue_requests_only(self, session, ids, client, login):
        today = china_date()
        late = self._request(session, ids, due=today - timedelta(days=1))
        due_today = self._request(session, ids, due=today)
        closed = self._request(session, ids, due=today - timedelta(days=5), status="done")
        flag_overdue_requests()
        for r in (late, due_today, closed):
            session.refresh(r)
        assert late.overdue_flagged_at is not None
        assert due_today.overdue_flagged_at is None and closed.overdue_flagged_at is None
        listed = {
            r["id"]: r["overdue"] for r in client.get("/api/v1/privacy/requests", headers=login("manager_wang")).json()
        }
        assert listed[late.id] is True and listed[due_today.id] is False

    def test_flagging_is_idempotent(self, session, ids):
        late = self._request(session, ids, due=china_date() - timedelta(days=3))
        flag_overdue_requests()
        session.refresh(late)
        first = late.overdue_flagged_at
        flag_overdue_requests()
        session.refresh(late)
        assert late.overdue_flagged_at == first


class TestExport:
    def test_export_returns_my_decrypted_data_and_is_logged(self, client, login, session, ids):
        li = session.get(Person, ids["li_person"])
        before = session.execute(select(PiiAccess.id).order_by(PiiAccess.id.desc()).limit(1)).scalar_one_or_none()
        r = client.get("/api/v1/me/export", headers=login("resident_li"))
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["person"]["id"] == li.id and data["person"]["name"] == li.name
        assert data["person"]["phone"] == decrypt(li.phone_enc, context="person.phone")
        assert data["person"]["id_number"] == decrypt(li.id_number_enc, context="person.id_number")
        assert any(o["house"] == "3-1-0802" for o in data["occupancies"])
        row = session.execute(select(PiiAccess).order_by(PiiAccess.id.desc()).limit(1)).scalar_one()
        assert row.id != before and row.subject == f"person:{li.id}" and row.field == "*"
        assert row.user_id == session.execute(select(User.id).where(User.username == "resident_li")).scalar_one()

    def test_staff_have_no_personal_export(self, client, login):
        assert client.get("/api/v1/me/export", headers=login("manager_wang")).status_code == 403
