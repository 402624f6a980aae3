"""Issue 12: templates know their model, the model change (re-enrolment), per-point thresholds, liveness flag.

R-F1: card, QR and PIN keep working while a face must be re-enrolled. R-F7: the PIA names the method.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from anju.access.credential_service import credential_service
from anju.access.enums import CredentialKind
from anju.access.models import AccessCredential, AccessLog, AccessPoint
from anju.access.tasks import face_reenrolment
from anju.accounts.models import User
from anju.core.crypto import encrypt
from anju.core.db import utcnow
from anju.core.kit.china_time import china_date
from anju.notify.models import Notification
from anju.sim.access_demo import LI_CARD
from anju.vision.face import LEGACY_MODEL, MODEL_NAME, MODEL_VERSION, single_embedding
from anju.vision.models import FaceTemplate
from anju.vision.service import MODEL_ID, encode_vector, face_template_service
from tests.vision import faces
from tests.vision.faces import shared_faces  # noqa: F401  (fixture behind needs_faces)

pytestmark = faces.needs_faces
GATE = "南门人行"


def _img(rel: str) -> bytes:
    return (faces.FACES / rel).read_bytes()


def _enrol(client, h, person_id, rel="enrol/obama/obama.jpg"):
    r = client.post(
        "/api/v1/access/face/consents",
        headers=h,
        json={"person_id": person_id, "notice_version": "face-2026-11", "given_by": "self", "agreed": True},
    )
    assert r.status_code in (201, 409), r.text
    r = client.post(
        "/api/v1/access/face/enrolments",
        headers=h,
        data={"person_id": str(person_id)},
        files={"image": ("p.jpg", _img(rel), "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    return r.json()


def _face(client, south, point, rel="probe/obama1.jpg", **form):
    r = client.post(
        "/api/v1/terminals/decisions/face",
        headers=south,
        data={"access_point_id": str(point), **form},
        files={"image": ("f.jpg", _img(rel), "image/jpeg")},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _legacy(session, compound_id, person_id, vector, model=LEGACY_MODEL, version="v1"):
    """A template as the dlib era stored it, with a live face credential."""
    ref = uuid.uuid4().hex
    session.add(
        AccessCredential(compound_id=compound_id, kind=CredentialKind.face, person_id=person_id, subject_ref=ref)
    )
    session.add(
        FaceTemplate(
            compound_id=compound_id,
            subject_ref=ref,
            model=model,
            model_version=version,
            template_enc=encrypt(encode_vector(vector), context="face_template") or "",
        )
    )
    session.flush()
    face_template_service._touch(session, compound_id)
    session.flush()
    return ref


@pytest.fixture
def obama_vec():
    return single_embedding(_img("enrol/obama/obama.jpg"))


class TestTemplateModelSeparation:
    def test_template_of_another_model_never_matches_even_with_identical_numbers(
        self, client, session, ids, south, points, obama_vec
    ):
        _legacy(session, ids["A"], ids["li_person"], obama_vec, version=None)
        d = _face(client, south, points[GATE])
        assert (d["decision"], d["reason"]) == ("deny", "face_no_match")
        assert face_template_service.index(session, ids["A"]).model == MODEL_ID
        assert len(face_template_service.index(session, ids["A"])) == 0

    def test_template_records_model_name_and_version(self, client, login, session, ids):
        _enrol(client, login("resident_li"), ids["li_person"])
        t = session.execute(select(FaceTemplate)).scalars().one()
        assert (t.model, t.model_version, t.stale_since) == (MODEL_NAME, MODEL_VERSION, None)

    def test_embedding_of_unnamed_or_other_model_is_denied_not_compared(
        self, client, login, decide, ids, south, points, obama_vec
    ):
        _enrol(client, login("resident_li"), ids["li_person"])
        vec = [float(x) for x in single_embedding(_img("enrol/obama/obama2.jpg"))]
        for model in (None, LEGACY_MODEL, f"{MODEL_NAME}/other-build"):
            extra = {} if model is None else {"model": model}
            r = client.post(
                "/api/v1/terminals/decisions",
                headers=south,
                json={"access_point_id": points[GATE], "credential": {"kind": "face_embedding", "value": vec, **extra}},
            )
            assert (r.json()["decision"], r.json()["reason"]) == ("deny", "face_model_mismatch"), model
        r = client.post(
            "/api/v1/terminals/decisions",
            headers=south,
            json={
                "access_point_id": points[GATE],
                "credential": {"kind": "face_embedding", "value": vec, "model": MODEL_ID},
            },
        )
        assert r.json()["decision"] == "allow", r.text

    def test_terminal_sync_names_the_model_and_sends_no_old_templates(
        self, client, login, session, ids, south, obama_vec
    ):
        old = _legacy(session, ids["A"], ids["li_person"], obama_vec)
        face_reenrolment()
        entries = {e["key"]: e for e in client.get("/api/v1/terminals/sync", headers=south).json()["entries"]}
        assert entries.get(f"face:{old}") is None or entries[f"face:{old}"]["payload"] is None
        new = _enrol(client, login("resident_li"), ids["li_person"])["subject_ref"]
        entries = {e["key"]: e for e in client.get("/api/v1/terminals/sync", headers=south).json()["entries"]}
        assert entries[f"face:{new}"]["payload"]["model"] == MODEL_ID
        points = [e["payload"] for e in entries.values() if e["payload"] and e["payload"].get("kind") == "point"]
        assert all("face_threshold" in p and "face_liveness_required" in p for p in points)


class TestReenrolment:
    def test_r_f1_model_change_old_templates_never_match_and_card_qr_still_open(
        self, client, login, decide, session, ids, south, points, obama_vec
    ):
        ref = _legacy(session, ids["A"], ids["li_person"], obama_vec)
        face_reenrolment()  # the job after the migration: stale, inbox request, terminals updated
        session.expire_all()
        t = session.execute(select(FaceTemplate).where(FaceTemplate.subject_ref == ref)).scalars().one()
        assert t.stale_since is not None and t.reenrol_notified_at is not None
        li_user = session.execute(select(User.id).where(User.username == "resident_li")).scalar_one()
        notes = (
            session.execute(
                select(Notification).where(Notification.user_id == li_user, Notification.category == "face_reenrol")
            )
            .scalars()
            .all()
        )
        assert len(notes) == 1 and "重新录入" in notes[0].title and "门禁卡" in notes[0].body
        face_reenrolment()  # asked once, not every hour
        assert (
            session.execute(
                select(func.count()).select_from(Notification).where(Notification.category == "face_reenrol")
            ).scalar_one()
            == 1
        )
        assert credential_service.face_status(session, person_id=ids["li_person"], compound_id=ids["A"]) == (
            "needs_reenrolment"
        )
        assert [p.id for p in credential_service.needing_reenrolment(session, compound_id=ids["A"])] == [
            ids["li_person"]
        ]
        assert _face(client, south, points[GATE])["reason"] == "face_no_match"
        assert decide(south, points[GATE], "card", LI_CARD)["decision"] == "allow"  # R-F1
        qr = client.get("/api/v1/access/me/qr", headers=login("resident_li")).json()["token"]
        assert decide(south, points[GATE], "qr", qr)["decision"] == "allow"

        # Re-enrolment with the new model: old templates deleted at once, face opens again.
        _enrol(client, login("resident_li"), ids["li_person"])
        session.expire_all()
        assert session.execute(select(FaceTemplate).where(FaceTemplate.stale_since.is_not(None))).first() is None
        assert credential_service.face_status(session, person_id=ids["li_person"], compound_id=ids["A"]) == "current"
        assert credential_service.needing_reenrolment(session, compound_id=ids["A"]) == []
        assert _face(client, south, points[GATE])["decision"] == "allow"

    def test_stale_templates_deleted_at_the_configured_deadline(self, session, ids, obama_vec):
        ref = _legacy(session, ids["A"], ids["li_person"], obama_vec)
        face_reenrolment()
        session.expire_all()
        t = session.execute(select(FaceTemplate).where(FaceTemplate.subject_ref == ref)).scalars().one()
        t.stale_since = utcnow() - timedelta(days=89)
        session.flush()
        face_reenrolment()
        assert session.execute(select(FaceTemplate).where(FaceTemplate.subject_ref == ref)).first() is not None
        t.stale_since = utcnow() - timedelta(days=91)
        session.flush()
        face_reenrolment()
        session.expire_all()
        assert session.execute(select(FaceTemplate).where(FaceTemplate.subject_ref == ref)).first() is None

    def test_r_f7_face_cannot_be_enabled_with_only_a_pia_for_the_old_method(self, client, login, ids, session):
        from anju.access.models import FacePia

        h = login("outsider_zhao")
        r = client.post(
            "/api/v1/access/points",
            headers=h,
            json={
                "compound_id": ids["B"],
                "name": "测试门",
                "kind": "gate_pedestrian",
                "location_type": "entrance",
                "face_capable": True,
                "signage_installed": True,
            },
        )
        ap = r.json()["id"]
        session.add(
            FacePia(
                compound_id=ids["B"],
                assessed_on=china_date(),
                purpose="人脸通行",
                method=LEGACY_MODEL,
                scope="大门",
                risks="泄露",
                measures="加密",
                keep_until=china_date() + timedelta(days=3 * 366),
            )
        )
        session.flush()
        r = client.patch(f"/api/v1/access/points/{ap}", headers=h, json={"face_enabled": True})
        assert r.status_code == 409 and r.json()["error"]["code"] == "pia_missing"


class TestPolicyPerPoint:
    def test_stricter_default_at_perimeter_gates_and_score_recorded(self, client, login, session, ids, south, points):
        from anju.access.config import access_settings
        from anju.access.policy import face_threshold_for

        s = access_settings()
        gate = session.get(AccessPoint, points[GATE])
        assert face_threshold_for(gate) == s.face_threshold_perimeter > s.face_threshold
        inner = (
            session.execute(
                select(AccessPoint).where(AccessPoint.compound_id == ids["A"], AccessPoint.kind == "unit_door")
            )
            .scalars()
            .first()
        )
        assert inner is not None and face_threshold_for(inner) == s.face_threshold
        _enrol(client, login("resident_li"), ids["li_person"])
        d = _face(client, south, points[GATE])
        log = session.get(AccessLog, d["log_id"])
        assert d["decision"] == "allow" and log.detail["threshold"] == s.face_threshold_perimeter
        assert log.detail["score"] >= s.face_threshold_perimeter and log.detail["model"] == MODEL_ID

    def test_point_threshold_overrides_the_default(self, client, login, session, ids, south, points):
        _enrol(client, login("resident_li"), ids["li_person"])
        r = client.patch(
            f"/api/v1/access/points/{points[GATE]}", headers=login("manager_wang"), json={"face_threshold": 0.95}
        )
        assert r.status_code == 200 and r.json()["face_threshold"] == 0.95
        d = _face(client, south, points[GATE])
        log = session.get(AccessLog, d["log_id"])
        assert d["reason"] == "face_no_match" and log.detail["threshold"] == 0.95 and 0.4 < log.detail["score"] < 0.95
        r = client.patch(
            f"/api/v1/access/points/{points[GATE]}", headers=login("manager_wang"), json={"face_threshold": 0.1}
        )
        assert r.status_code == 422


class TestLiveness:
    def test_liveness_flag_recorded_and_required_where_configured(self, client, login, session, ids, south, points):
        _enrol(client, login("resident_li"), ids["li_person"])
        d = _face(client, south, points[GATE], liveness="true")
        assert d["decision"] == "allow" and session.get(AccessLog, d["log_id"]).detail["liveness"] is True
        r = client.patch(
            f"/api/v1/access/points/{points[GATE]}",
            headers=login("manager_wang"),
            json={"face_liveness_required": True},
        )
        assert r.status_code == 200 and r.json()["face_liveness_required"] is True
        for form in ({}, {"liveness": "false"}):
            d = _face(client, south, points[GATE], **form)
            assert (d["decision"], d["reason"]) == ("deny", "liveness_required")
        assert _face(client, south, points[GATE], liveness="true")["decision"] == "allow"
