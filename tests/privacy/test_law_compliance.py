"""Issue 20, item 15: the compliance pieces R-P7, R-P8, R-F4, R-F6 and R-P10, through the API and the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from anju.access.enums import CredentialKind, CredentialStatus
from anju.access.models import AccessCredential
from anju.accounts.models import User
from anju.core.db import utcnow
from anju.core.kit.china_time import china_date
from anju.notify.models import Delivery, Notification
from anju.privacy.compliance_service import AUDIT, IMPORTANT_DATA, compliance_service, people_count
from anju.privacy.consent_service import FACE, may_sync_face_off_edge
from anju.privacy.models import BreachIncident, ComplianceDuty, Consent, VendorContract
from anju.privacy.sharing_service import sharing_service
from anju.registry.models import Person
from anju.registry.service import person_service, set_id_number
from anju.vision.models import FacePhoto, FaceTemplate
from tests.conftest import run_worker_once


def _breach(ids, **over):
    body = {
        "compound_id": ids["A"],
        "title": "门禁服务器日志外泄",
        "discovered_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "data_types": ["姓名", "手机号", "通行记录"],
        "cause": "运维人员误将日志目录设为公开",
        "possible_harm": "手机号可能被用于骚扰或诈骗",
        "remedies": "已关闭公开访问并轮换密钥",
        "advice": "警惕冒充物业的来电，不要透露验证码",
        "contacts": "数据安全负责人 400-000-0000",
        "affected_people": [ids["li_person"]],
    }
    return {**body, **over}


# --- R-P7 ------------------------------------------------------------------------------------------------
class TestBreach:
    def test_r_p7_a_breach_record_needs_every_item_pipl_57_lists(self, client, login, ids):
        for missing in ("cause", "possible_harm", "remedies", "advice", "contacts", "data_types"):
            body = _breach(ids)
            body.pop(missing)
            r = client.post("/api/v1/privacy/breaches", headers=login("manager_wang"), json=body)
            assert r.status_code == 422, missing
        r = client.post("/api/v1/privacy/breaches", headers=login("manager_wang"), json=_breach(ids, data_types=[" "]))
        assert r.status_code == 422

    def test_r_p7_regulator_and_individual_notices_reach_their_readers(self, client, login, ids, session):
        wang = login("manager_wang")
        r = client.post("/api/v1/privacy/breaches", headers=wang, json=_breach(ids))
        assert r.status_code == 201, r.text
        incident = r.json()
        assert incident["state"] == "recorded" and incident["affected_count"] == 1
        url = f"/api/v1/privacy/breaches/{incident['id']}"
        assert client.post(f"{url}/close", headers=wang).status_code == 409  # nobody told yet
        reg = client.post(f"{url}/notify-regulator", headers=wang, json={"reference": "网信-2026-001"}).json()
        for text in ("姓名、手机号、通行记录", "误将日志目录", "骚扰或诈骗", "轮换密钥", "验证码", "400-000-0000"):
            assert text in reg["regulator_notice"]
        assert reg["state"] == "notifying" and reg["regulator_ref"] == "网信-2026-001"
        ind = client.post(f"{url}/notify-individuals", headers=wang)
        assert ind.status_code == 200, ind.text
        assert ind.json()["state"] == "notified" and "验证码" in ind.json()["individual_notice"]
        assert client.post(f"{url}/notify-individuals", headers=wang).status_code == 409
        run_worker_once()
        li_user = session.execute(select(User.id).where(User.username == "resident_li")).scalar_one()
        inbox = (
            session.execute(
                select(Notification).where(Notification.user_id == li_user, Notification.category == "privacy_breach")
            )
            .scalars()
            .all()
        )
        assert len(inbox) == 1 and "警惕冒充物业的来电" in inbox[0].body and "400-000-0000" in inbox[0].body
        run_worker_once()  # a redelivery never notifies twice
        assert (
            session.execute(
                select(func.count(Notification.id)).where(Notification.category == "privacy_breach")
            ).scalar_one()
            == 1
        )
        assert client.post(f"{url}/close", headers=wang).json()["state"] == "closed"

    def test_r_p7_a_person_without_an_account_is_told_by_sms(self, client, login, ids, session):
        p = Person(compound_id=ids["A"], name="无账号住户")
        session.add(p)
        session.flush()
        r = client.post(
            "/api/v1/privacy/breaches", headers=login("manager_wang"), json=_breach(ids, affected_people=[p.id])
        )
        client.post(f"/api/v1/privacy/breaches/{r.json()['id']}/notify-individuals", headers=login("manager_wang"))
        run_worker_once()
        d = session.execute(select(Delivery).where(Delivery.recipient_ref == f"person:{p.id}")).scalar_one()
        assert d.channel == "sms" and "PIPL 57" in d.purpose

    def test_r_p7_notices_past_their_deadline_are_flagged_and_a_waiver_needs_its_reason(
        self, client, login, ids, session
    ):
        from anju.privacy.breach_service import breach_service

        wang = login("manager_wang")
        old = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        r = client.post("/api/v1/privacy/breaches", headers=wang, json=_breach(ids, discovered_at=old))
        assert breach_service.flag_overdue(session, now=utcnow()) == 1
        assert session.get(BreachIncident, r.json()["id"]).overdue_flagged_at is not None
        url = f"/api/v1/privacy/breaches/{r.json()['id']}"
        assert client.post(f"{url}/waive-individual-notice", headers=wang, json={"reason": "短"}).status_code == 422
        w = client.post(
            f"{url}/waive-individual-notice",
            headers=wang,
            json={"reason": "数据已加密且密钥未泄露，补救措施可有效避免危害"},
        )
        assert w.status_code == 200 and w.json()["state"] == "recorded"  # the regulator is still owed
        assert client.post(f"{url}/close", headers=wang).status_code == 409
        assert client.post(f"{url}/notify-regulator", headers=wang, json={}).json()["state"] == "notified"
        # PIPL 57 para 2: the regulator may still require the individual notice after a waiver.
        later = client.post(f"{url}/notify-individuals", headers=wang)
        assert later.status_code == 200 and later.json()["state"] == "notified" and later.json()["individual_notice"]

    def test_r_p7_other_compounds_and_residents_cannot_see_breaches(self, client, login, ids):
        r = client.post("/api/v1/privacy/breaches", headers=login("manager_wang"), json=_breach(ids))
        assert client.get(f"/api/v1/privacy/breaches/{r.json()['id']}", headers=login("resident_li")).status_code == 403
        bad = client.post(
            "/api/v1/privacy/breaches", headers=login("manager_wang"), json=_breach(ids, affected_people=[10**9])
        )
        assert bad.status_code == 422 and bad.json()["error"]["fields"]


# --- R-P8 ------------------------------------------------------------------------------------------------
class TestSharing:
    def test_r_p8_sharing_needs_a_separate_consent_naming_recipient_purpose_and_data_types(self, client, login, ids):
        wang, li = login("manager_wang"), login("resident_li")
        insurer = client.post(
            "/api/v1/privacy/third-parties",
            headers=wang,
            json={"compound_id": ids["A"], "name": "平安财险", "kind": "insurer", "contact": "95511"},
        ).json()
        shop = client.post(
            "/api/v1/privacy/third-parties",
            headers=wang,
            json={"compound_id": ids["A"], "name": "社区超市", "kind": "merchant", "contact": "店长"},
        ).json()
        share = {
            "person_id": ids["li_person"],
            "recipient_id": insurer["id"],
            "purpose": "家财险投保",
            "data_types": ["phone"],
        }
        r = client.post("/api/v1/privacy/sharing", headers=wang, json=share)
        assert r.status_code == 403 and r.json()["error"]["code"] == "sharing_consent_missing"
        consent = client.post(
            "/api/v1/privacy/sharing-consents",
            headers=li,
            json={**share, "notice_version": "share-2026-12"},
        )
        assert consent.status_code == 201 and consent.json()["given_by"] == "self"
        assert client.post("/api/v1/privacy/sharing", headers=wang, json=share).status_code == 201
        for other in (
            {**share, "data_types": ["phone", "id_number"]},  # a data type not consented to
            {**share, "purpose": "营销推广"},  # another purpose
            {**share, "recipient_id": shop["id"]},  # another recipient
        ):
            assert client.post("/api/v1/privacy/sharing", headers=wang, json=other).status_code == 403
        cid = consent.json()["id"]
        assert client.post(f"/api/v1/privacy/sharing-consents/{cid}/withdraw", headers=li).status_code == 200
        assert client.post("/api/v1/privacy/sharing", headers=wang, json=share).status_code == 403

    def test_r_p8_a_vendor_contract_ends_with_the_return_or_deletion_recorded(self, client, login, ids, session):
        wang = login("manager_wang")
        today = china_date()
        c = client.post(
            "/api/v1/privacy/vendor-contracts",
            headers=wang,
            json={
                "compound_id": ids["A"],
                "vendor": "云短信服务商",
                "purpose": "发送缴费提醒短信",
                "data_types": ["phone"],
                "starts_on": (today - timedelta(days=400)).isoformat(),
                "ends_on": (today - timedelta(days=40)).isoformat(),
                "at_end": "delete",
                "disposal_days": 30,
            },
        )
        assert c.status_code == 201, c.text
        url = f"/api/v1/privacy/vendor-contracts/{c.json()['id']}"
        proof = {"method": "deleted", "on": today.isoformat(), "evidence": "供应商出具的删除证明 2026-12"}
        assert client.post(f"{url}/disposal", headers=wang, json=proof).status_code == 409  # still active
        assert sharing_service.sweep_contracts(session, today=today) == (1, 1)  # ended 40 days ago, 30 days to dispose
        row = session.get(VendorContract, c.json()["id"])
        assert row.status == "ended" and row.disposal_overdue and row.disposal_due_on == today - timedelta(days=10)
        wrong = client.post(f"{url}/disposal", headers=wang, json={**proof, "method": "returned"})
        assert wrong.status_code == 422  # the agreement says delete
        done = client.post(f"{url}/disposal", headers=wang, json=proof).json()
        assert done["status"] == "disposed" and not done["disposal_overdue"] and done["disposal_evidence"]


# --- R-F4 and R-F6 ---------------------------------------------------------------------------------------
def _face_data(session, person_id: int, compound_id: int) -> AccessCredential:
    session.add(Consent(compound_id=compound_id, person_id=person_id, purpose=FACE, notice_version="face-2026-11"))
    cred = AccessCredential(
        compound_id=compound_id, kind=CredentialKind.face, person_id=person_id, subject_ref=f"sr{person_id}x"
    )
    session.add(cred)
    session.add(FaceTemplate(compound_id=compound_id, subject_ref=cred.subject_ref, template_enc="x", model="test"))
    session.add(FacePhoto(compound_id=compound_id, subject_ref=cred.subject_ref, image_enc="x"))
    session.flush()
    return cred


def test_r_f4_face_data_stays_on_the_edge_without_the_separate_cloud_consent(client, login, ids, session):
    li = login("resident_li")
    assert may_sync_face_off_edge(session, ids["li_person"]) is False  # no consent at all
    r = client.post(
        "/api/v1/privacy/face-cloud-consent", headers=li, json={"person_id": ids["li_person"], "notice_version": "v1"}
    )
    assert r.status_code == 201 and r.json()["may_sync_off_edge"] is False  # face consent itself still missing
    _face_data(session, ids["li_person"], ids["A"])
    assert may_sync_face_off_edge(session, ids["li_person"]) is True
    w = client.post(f"/api/v1/privacy/face-cloud-consent/{ids['li_person']}/withdraw", headers=li)
    assert w.status_code == 200 and w.json()["may_sync_off_edge"] is False
    other = session.execute(select(Person.id).where(Person.compound_id == ids["B"]).limit(1)).scalar_one()
    stranger = client.post(
        "/api/v1/privacy/face-cloud-consent", headers=li, json={"person_id": other, "notice_version": "v1"}
    )
    assert stranger.status_code == 404


def test_r_f6_a_face_deletion_on_breached_terms_cannot_be_refused_and_deletes_templates_and_images(
    client, login, ids, session
):
    cred = _face_data(session, ids["li_person"], ids["A"])
    r = client.post(
        "/api/v1/me/privacy-requests",
        headers=login("resident_li"),
        json={
            "kind": "delete_face",
            "ground": "face_terms_breached",
            "detail": "物业把人脸照片用于广告推送，违反告知的用途",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["ground"] == "face_terms_breached"
    url = f"/api/v1/privacy/requests/{r.json()['id']}/resolve"
    wang = login("manager_wang")
    refused = client.post(url, headers=wang, json={"status": "refused", "resolution": "合同未约定删除人脸信息"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "face_deletion_cannot_be_refused"
    done = client.post(url, headers=wang, json={"status": "done", "resolution": "已删除"})
    assert done.status_code == 200, done.text
    ref = cred.subject_ref
    assert (
        session.execute(
            select(func.count()).select_from(FaceTemplate).where(FaceTemplate.subject_ref == ref)
        ).scalar_one()
        == 0
    )
    assert (
        session.execute(select(func.count()).select_from(FacePhoto).where(FacePhoto.subject_ref == ref)).scalar_one()
        == 0
    )
    session.refresh(cred)
    assert cred.status == CredentialStatus.revoked
    assert may_sync_face_off_edge(session, ids["li_person"]) is False
    person = session.get(Person, ids["li_person"])
    assert person.name and person.status.value != "erased"  # only the face data went


# --- R-P10 -----------------------------------------------------------------------------------------------
class TestComplianceAudit:
    def test_r_p10_people_are_counted_once_across_compounds(self, session, ids):
        before = people_count(session)
        in_a, in_b = Person(compound_id=ids["A"], name="两地业主"), Person(compound_id=ids["B"], name="两地业主")
        for p in (in_a, in_b):  # the same human, registered in two compounds with the same ID number
            set_id_number(p, "11010119800101123X")
            session.add(p)
        session.flush()
        assert people_count(session) == before + 1
        session.add(Person(compound_id=ids["B"], name="另一人"))  # no ID number: counted by record
        session.flush()
        assert people_count(session) == before + 2
        person_service.erase(session, who=None, person=in_b)
        person_service.erase(session, who=None, person=in_a)
        assert people_count(session) == before + 1  # erased records hold no personal data

    def test_r_p10_checklist_at_ten_million_audit_reminder_only_over_it(self, session):
        today = date(2027, 3, 1)
        assert compliance_service.check(session, today=today, people=9_999_999) == []
        assert compliance_service.check(session, today=today, people=10_000_000) == [IMPORTANT_DATA]  # 以上
        assert compliance_service.check(session, today=today, people=10_000_000) == []  # started once
        assert compliance_service.check(session, today=today, people=10_000_001) == [AUDIT]  # 超过
        assert compliance_service.check(session, today=today, people=10_000_001) == []  # one open reminder

    def test_r_p10_an_audit_clears_the_reminder_for_two_years(self, session, client, login):
        today = date(2027, 3, 1)
        compliance_service.check(session, today=today, people=12_000_000)
        admin = login("admin")
        assert client.get("/api/v1/privacy/compliance", headers=login("manager_wang")).status_code == 403
        status = client.get("/api/v1/privacy/compliance", headers=admin).json()
        assert status["audit_due"] and status["important_data_checklist"]
        r = client.post(
            "/api/v1/privacy/compliance/audits",
            headers=admin,
            json={
                "performed_on": (china_date() - timedelta(days=1)).isoformat(),
                "auditor": "某律所",
                "report_ref": "PA-1",
            },
        )
        assert r.status_code == 201, r.text
        audited = china_date() - timedelta(days=1)
        assert not client.get("/api/v1/privacy/compliance", headers=admin).json()["audit_due"]
        assert compliance_service.check(session, today=audited + timedelta(days=700), people=12_000_000) == []
        two_years = (
            audited.replace(year=audited.year + 2)
            if not (audited.month == 2 and audited.day == 29)
            else audited + timedelta(days=731)
        )
        assert compliance_service.check(session, today=two_years, people=12_000_000) == [AUDIT]
        open_audits = session.execute(
            select(func.count(ComplianceDuty.id)).where(
                ComplianceDuty.kind == AUDIT, ComplianceDuty.resolved_at.is_(None)
            )
        ).scalar_one()
        assert open_audits == 1
        tick = client.post(
            "/api/v1/privacy/compliance/checklist",
            headers=admin,
            json={"item": "security_officer", "done_on": "2027-03-02"},
        )
        assert tick.status_code == 200 and tick.json()["checklist"]["security_officer"] == "2027-03-02"
        assert (
            client.post(
                "/api/v1/privacy/compliance/checklist", headers=admin, json={"item": "nope", "done_on": "2027-03-02"}
            ).status_code
            == 422
        )


@pytest.mark.parametrize("ends_on", ["9999-12-31", "0001-01-01"])
def test_vendor_contract_dates_at_the_edge_of_the_calendar_are_refused_with_a_reason(client, login, ids, ends_on):
    r = client.post(
        "/api/v1/privacy/vendor-contracts",
        headers=login("manager_wang"),
        json={
            "compound_id": ids["A"],
            "vendor": "边界供应商",
            "purpose": "测试",
            "data_types": ["phone"],
            "starts_on": "2026-01-01",
            "ends_on": ends_on,
            "at_end": "delete",
        },
    )
    assert r.status_code == 422 and r.json()["error"]["fields"]
