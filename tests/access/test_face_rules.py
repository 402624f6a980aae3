"""Face law: consent (R-F2, R-F3), PIA (R-F7), placement (R-F9), signage (R-F10), raw photos (R-F11),
withdrawal (R-F5, R-P3), filing count (R-F8), fail-open (R-F13), log retention (R-A9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from anju.access.config import AccessSettings, access_settings
from anju.access.models import AccessLog, FaceFiling
from anju.access.tasks import check_face_deletion, purge_access_logs_in
from anju.alarms.events import AlarmRaised
from anju.core import events
from anju.core.events import OutboxEvent
from anju.core.kit.china_time import china_date
from anju.sim.access_demo import LI_CARD
from anju.vision.models import FacePhoto, FaceTemplate
from tests.conftest import run_worker_once
from tests.vision import faces
from tests.vision.faces import shared_faces  # noqa: F401  (fixture behind needs_faces)

GATE = "南门人行"
needs_faces = faces.needs_faces


def _img(rel: str) -> bytes:
    return (faces.FACES / rel).read_bytes()


def _consent(client, headers, person_id, given_by="self"):
    return client.post(
        "/api/v1/access/face/consents",
        headers=headers,
        json={"person_id": person_id, "notice_version": "face-2026-11", "given_by": given_by, "agreed": True},
    )


def _enrol(client, headers, person_id, rel="enrol/obama/obama.jpg", **form):
    return client.post(
        "/api/v1/access/face/enrolments",
        headers=headers,
        data={"person_id": str(person_id), **form},
        files={"image": ("p.jpg", _img(rel), "image/jpeg")},
    )


def _face_decide(client, south, point, rel=None, data=None):
    body = data if data is not None else _img(rel)
    r = client.post(
        "/api/v1/terminals/decisions/face",
        headers=south,
        data={"access_point_id": str(point)},
        files={"image": ("f.jpg", body, "image/jpeg")},
    )
    assert r.status_code == 200, r.text
    return r.json()


@needs_faces
class TestEnrolment:
    def test_r_f2_enrolment_needs_separate_explicit_consent(self, client, login, ids):
        li = login("resident_li")
        r = _enrol(client, li, ids["li_person"])
        assert r.status_code == 409 and r.json()["error"]["code"] == "face_consent_missing"
        r = client.post(
            "/api/v1/access/face/consents",
            headers=li,
            json={"person_id": ids["li_person"], "notice_version": "face-2026-11", "agreed": False},
        )
        assert r.status_code == 422  # not pre-ticked: an explicit "agreed": true is required
        r = _consent(client, li, ids["li_person"])
        assert r.status_code == 201 and r.json()["notice_version"] == "face-2026-11"
        assert r.json()["purpose"] == "face" and r.json()["given_at"]

    def test_r_f3_under_14_needs_guardian_consent(self, client, login, ids):
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-in",
            headers=login("manager_wang"),
            json={
                "role": "family",
                "on": "2026-01-01",
                "person": {"compound_id": ids["A"], "name": "李小宝", "birth_date": "2018-05-01"},
            },
        )
        assert r.status_code == 201, r.text
        child = r.json()["person_id"]
        li = login("resident_li")
        r = _consent(client, li, child, given_by="self")
        assert r.status_code == 409 and r.json()["error"]["code"] == "guardian_consent_required"
        assert _consent(client, li, child, given_by="guardian").status_code == 201

    def test_face_opens_the_gate_and_bad_images_are_denied_with_reasons(self, client, login, ids, south, points):
        li = login("resident_li")
        assert _consent(client, li, ids["li_person"]).status_code == 201
        r = _enrol(client, li, ids["li_person"])
        assert r.status_code == 201, r.text
        assert _face_decide(client, south, points[GATE], "probe/obama1.jpg")["decision"] == "allow"
        d = _face_decide(client, south, points[GATE], "probe/test_unknown_elon_musk.jpg")
        assert (d["decision"], d["reason"]) == ("deny", "face_no_match")
        assert _face_decide(client, south, points[GATE], "probe/two_people.jpg")["reason"] == "multiple_faces"
        assert _face_decide(client, south, points[GATE], data=b"GIF89a-broken")["reason"] == "not_an_image"

    def test_enrolment_rejects_two_faces_and_non_images(self, client, login, ids):
        li = login("resident_li")
        _consent(client, li, ids["li_person"])
        r = _enrol(client, li, ids["li_person"], rel="probe/two_people.jpg")
        assert r.status_code == 422 and r.json()["error"]["reason"] == "multiple_faces"
        r = client.post(
            "/api/v1/access/face/enrolments",
            headers=li,
            data={"person_id": str(ids["li_person"])},
            files={"image": ("x.txt", b"hello", "text/plain")},
        )
        assert r.status_code == 422 and r.json()["error"]["reason"] == "not_an_image"

    def test_r_f11_raw_photo_deleted_and_template_encrypted_apart(self, client, login, ids, session):
        li = login("resident_li")
        _consent(client, li, ids["li_person"])
        assert _enrol(client, li, ids["li_person"]).status_code == 201
        assert session.execute(select(func.count()).select_from(FacePhoto)).scalar_one() == 0
        t = session.execute(select(FaceTemplate)).scalars().one()
        assert t.template_enc.startswith("v1:") and not hasattr(t, "person_id")
        r = _enrol(client, li, ids["li_person"], keep_photo="true")
        assert r.status_code == 409  # keeping the photo needs its own authorisation


@needs_faces
class TestWithdrawal:
    def test_r_f5_withdrawal_deletes_templates_everywhere(
        self, client, login, ids, south, points, session, monkeypatch
    ):
        li = login("resident_li")
        _consent(client, li, ids["li_person"])
        ref = _enrol(client, li, ids["li_person"]).json()["subject_ref"]
        v0 = client.get("/api/v1/terminals/sync", headers=south).json()
        assert f"face:{ref}" in [e["key"] for e in v0["entries"]]
        r = client.post(f"/api/v1/access/face/withdrawals/{ids['li_person']}", headers=li)
        assert r.status_code == 200 and r.json()["templates_deleted"] == 1
        assert session.execute(select(func.count()).select_from(FaceTemplate)).scalar_one() == 0
        s = client.get(f"/api/v1/terminals/sync?since={v0['version']}", headers=south).json()
        tomb = next(e for e in s["entries"] if e["key"] == f"face:{ref}")
        assert tomb["deleted"] and tomb["payload"] is None
        assert _face_decide(client, south, points[GATE], "probe/obama1.jpg")["reason"] == "face_no_match"
        # A terminal that never syncs past the tombstone is flagged when the deadline passes.
        monkeypatch.setattr(access_settings(), "face_delete_deadline_hours", 0)
        client.get(f"/api/v1/terminals/sync?since={v0['version']}", headers=south)  # acks only up to v0
        check_face_deletion()
        kinds = [
            e.payload.get("kind")
            for e in session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
        ]
        assert "face_deletion_overdue" in kinds

    def test_r_p3_card_and_qr_keep_working_after_withdrawal(self, client, login, ids, decide, south, points):
        li = login("resident_li")
        _consent(client, li, ids["li_person"])
        _enrol(client, li, ids["li_person"])
        client.post(f"/api/v1/access/face/withdrawals/{ids['li_person']}", headers=li)
        assert decide(south, points[GATE], "card", LI_CARD)["decision"] == "allow"
        qr = client.get("/api/v1/access/me/qr", headers=li).json()["token"]
        assert decide(south, points[GATE], "qr", qr)["decision"] == "allow"

    def test_r_f8_filing_threshold_opens_deadline(self, client, login, ids, session, monkeypatch):
        monkeypatch.setattr(access_settings(), "face_warn_people", 1)
        monkeypatch.setattr(access_settings(), "face_filing_people", 1)
        li = login("resident_li")
        _consent(client, li, ids["li_person"])
        assert _enrol(client, li, ids["li_person"]).status_code == 201
        filing = session.execute(select(FaceFiling)).scalars().one()
        assert filing.people == 1 and (filing.due_on - china_date()).days >= 30 + 8
        stats = client.get(f"/api/v1/access/face/stats?compound_id={ids['A']}", headers=login("manager_wang")).json()
        assert stats["warning"] and stats["filing_due_on"] == filing.due_on.isoformat()


class TestPlacement:
    def _point(self, client, h, compound, **kw):
        return client.post(
            "/api/v1/access/points",
            headers=h,
            json={
                "compound_id": compound,
                "name": "测试门",
                "kind": "gate_pedestrian",
                "location_type": "entrance",
                **kw,
            },
        )

    def test_r_f9_no_face_device_in_toilets_bathrooms_changing_or_hotel_rooms(self, client, login, ids):
        h = login("manager_wang")
        for loc in ("toilet", "bathroom", "changing_room", "hotel_room"):
            r = self._point(client, h, ids["A"], location_type=loc, face_capable=True)
            assert r.status_code == 422 and r.json()["error"]["code"] == "face_location_forbidden"
        ok = self._point(client, h, ids["A"], location_type="toilet").json()  # a card reader is fine
        r = client.post(
            "/api/v1/access/terminals",
            headers=h,
            json={"compound_id": ids["A"], "name": "人脸机", "face_capable": True, "access_point_ids": [ok["id"]]},
        )
        assert r.status_code == 422

    def test_r_f10_face_needs_signage(self, client, login, ids):
        r = self._point(client, login("manager_wang"), ids["A"], face_capable=True)
        ap = r.json()["id"]
        r = client.patch(f"/api/v1/access/points/{ap}", headers=login("manager_wang"), json={"face_enabled": True})
        assert r.status_code == 422 and r.json()["error"]["code"] == "signage_missing"

    def test_r_f7_face_needs_a_pia(self, client, login, ids):
        h = login("outsider_zhao")
        ap = self._point(client, h, ids["B"], face_capable=True, signage_installed=True).json()["id"]
        r = client.patch(f"/api/v1/access/points/{ap}", headers=h, json={"face_enabled": True})
        assert r.status_code == 409 and r.json()["error"]["code"] == "pia_missing"
        r = client.post(
            "/api/v1/access/pias",
            headers=h,
            json={
                "compound_id": ids["B"],
                "assessed_on": "2026-11-01",
                "purpose": "人脸通行",
                "scope": "大门",
                "risks": "泄露",
                "measures": "加密",
            },
        )
        assert r.status_code == 201 and r.json()["keep_until"] == "2029-11-01"
        assert client.patch(f"/api/v1/access/points/{ap}", headers=h, json={"face_enabled": True}).status_code == 200


class TestFailOpen:
    def test_r_f13_fire_alarm_fails_evacuation_doors_open_until_reset(
        self, client, login, ids, decide, south, points, session
    ):
        events.publish(
            session,
            AlarmRaised(alarm_id=1, compound_id=ids["A"], kind="fire", severity="critical", source="device:1"),
            compound_id=ids["A"],
        )
        session.flush()
        run_worker_once()
        d = decide(south, points[GATE], "card", "NOBODY00")
        assert (d["decision"], d["reason"]) == ("allow", "fail_open")
        assert decide(south, points["南门车行"], "card", "NOBODY00")["decision"] == "deny"  # not an evacuation route
        r = client.post(f"/api/v1/access/compounds/{ids['A']}/fail-open/reset", headers=login("manager_wang"))
        assert r.status_code == 200 and len(r.json()) >= 2
        assert decide(south, points[GATE], "card", "NOBODY00")["decision"] == "deny"

    def test_smoke_in_other_compound_changes_nothing(self, decide, south, points, session, ids):
        events.publish(
            session,
            AlarmRaised(alarm_id=2, compound_id=ids["B"], kind="smoke", severity="critical", source="device:2"),
            compound_id=ids["B"],
        )
        session.flush()
        run_worker_once()
        assert decide(south, points[GATE], "card", "NOBODY00")["decision"] == "deny"


class TestLogRetention:
    def test_r_a9_access_log_retention_default_180_days(self):
        assert AccessSettings().log_retention_days == 180
        with pytest.raises(ValidationError):
            AccessSettings(log_retention_days=90)
        assert AccessSettings(log_retention_days=90, log_retention_reason="PIA 2026-10 §4").log_retention_days == 90

    def test_r_a9_purge_keeps_logs_younger_than_retention(self, decide, south, points, session):
        young = decide(south, points[GATE], "card", LI_CARD)["log_id"]
        old = decide(south, points[GATE], "card", LI_CARD, direction="out")["log_id"]
        session.get(AccessLog, old).server_at = datetime.now(UTC) - timedelta(days=181)
        session.get(AccessLog, young).server_at = datetime.now(UTC) - timedelta(days=179)
        session.flush()
        purge_access_logs_in(session, now=datetime.now(UTC))
        session.expire_all()
        assert session.get(AccessLog, young) is not None and session.get(AccessLog, old) is None


@needs_faces
class TestCloudHosting:
    def test_r_f4_a_cloud_hosted_server_takes_a_face_only_with_the_separate_cloud_consent(
        self, client, login, ids, south, monkeypatch
    ):
        monkeypatch.setattr(access_settings(), "face_hosting", "cloud")
        li = login("resident_li")
        assert _consent(client, li, ids["li_person"]).status_code == 201
        r = _enrol(client, li, ids["li_person"])
        assert r.status_code == 409 and r.json()["error"]["code"] == "face_cloud_consent_missing"
        r = client.post(
            "/api/v1/privacy/face-cloud-consent",
            headers=li,
            json={"person_id": ids["li_person"], "notice_version": "v1"},
        )
        assert r.status_code == 201 and r.json()["may_sync_off_edge"] is True
        r = _enrol(client, li, ids["li_person"])
        assert r.status_code == 201, r.text
        keys = [e["key"] for e in client.get("/api/v1/terminals/sync", headers=south).json()["entries"]]
        assert f"face:{r.json()['subject_ref']}" in keys

    def test_r_f4_an_edge_server_keeps_face_data_on_the_compound_network_without_the_cloud_consent(
        self, client, login, ids, south
    ):
        assert access_settings().face_hosting == "edge"  # the default: the server is the compound's edge
        li = login("resident_li")
        _consent(client, li, ids["li_person"])
        r = _enrol(client, li, ids["li_person"])
        assert r.status_code == 201, r.text
        keys = [e["key"] for e in client.get("/api/v1/terminals/sync", headers=south).json()["entries"]]
        assert f"face:{r.json()['subject_ref']}" in keys

    def test_r_f4_withdrawing_the_cloud_consent_takes_the_template_off_the_terminals(
        self, client, login, ids, south, monkeypatch
    ):
        monkeypatch.setattr(access_settings(), "face_hosting", "cloud")
        li = login("resident_li")
        _consent(client, li, ids["li_person"])
        client.post(
            "/api/v1/privacy/face-cloud-consent",
            headers=li,
            json={"person_id": ids["li_person"], "notice_version": "v1"},
        )
        ref = _enrol(client, li, ids["li_person"]).json()["subject_ref"]
        v0 = client.get("/api/v1/terminals/sync", headers=south).json()
        assert f"face:{ref}" in [e["key"] for e in v0["entries"]]
        r = client.post(f"/api/v1/privacy/face-cloud-consent/{ids['li_person']}/withdraw", headers=li)
        assert r.status_code == 200 and r.json()["may_sync_off_edge"] is False
        run_worker_once()  # access reacts to privacy's event
        s = client.get(f"/api/v1/terminals/sync?since={v0['version']}", headers=south).json()
        tomb = next(e for e in s["entries"] if e["key"] == f"face:{ref}")
        assert tomb["deleted"] and tomb["payload"] is None
