"""Face pages (issue 12): H5 self-enrolment behind its own consent screen with a large-print/read-aloud variant
(R-F2, R-E3), quality feedback in words, re-enrolment shown on H5 and at the guard desk, the assisted path.
Refusing face blocks nothing (R-F1)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from anju.access.enums import CredentialKind
from anju.access.models import AccessCredential
from anju.access.tasks import face_reenrolment
from anju.core.crypto import encrypt
from anju.privacy.models import Consent
from anju.vision.face import LEGACY_MODEL
from anju.vision.models import FaceTemplate
from anju.vision.service import encode_vector, face_template_service
from tests.vision import faces
from tests.vision.faces import shared_faces  # noqa: F401  (fixture behind needs_faces)
from tests.web.conftest import HTMX, ORIGIN

FACE = "/h5/access/face"


def _img(rel: str) -> bytes:
    return (faces.FACES / rel).read_bytes()


def _agree(client, accessible="0", ticked=True):
    data = {"notice_version": "face-2026-11", "accessible": accessible}
    if ticked:
        data["agreed"] = "yes"
    return client.post(f"{FACE}/consent", headers=ORIGIN, data=data)


def _upload(client, rel):
    return client.post(f"{FACE}/enrol", headers=ORIGIN, files={"image": ("p.jpg", _img(rel), "image/jpeg")})


class TestConsentScreen:
    def test_r_f2_separate_consent_screen_not_pre_ticked(self, client, web_login, session, ids):
        web_login("resident_li")
        page = client.get(FACE).text
        assert 'data-testid="face-consent"' in page and 'data-testid="face-enrol"' not in page
        box = page[page.index('data-testid="face-agree"') - 80 : page.index('data-testid="face-agree"')]
        assert "checked" not in box
        r = _agree(client, ticked=False)
        assert r.status_code == 422 and 'data-testid="face-error"' in r.text
        assert session.execute(select(Consent).where(Consent.person_id == ids["li_person"])).first() is None
        r = _agree(client)
        assert r.status_code == 200 and 'data-testid="face-enrol"' in r.text
        c = session.execute(select(Consent).where(Consent.person_id == ids["li_person"])).scalars().one()
        assert (c.purpose, c.notice_version, c.given_by) == ("face", "face-2026-11", "self")

    def test_r_e3_accessible_variant_large_print_read_aloud_and_assisted(self, client, web_login):
        web_login("resident_li")
        page = client.get(f"{FACE}?accessible=1").text
        assert "face-large" in page and 'data-testid="read-aloud"' in page and "face.js" in page
        assert 'data-testid="face-assisted"' in page and "门岗" in page
        assert 'data-testid="face-agree"' in page  # the same explicit consent, not a shortcut
        r = _agree(client, accessible="1")
        assert "face-large" in r.text  # stays in the large variant through the flow

    def test_r_f1_declining_leaves_card_and_code(self, client, web_login):
        web_login("resident_li")
        page = client.get(FACE).text
        assert 'href="/h5/access" data-testid="face-decline"' in page
        h5 = client.get("/h5/access").text
        assert 'data-testid="face-start"' in h5 and 'data-testid="face-start-large"' in h5
        assert "my-qr" in h5


@faces.needs_faces
class TestSelfEnrolment:
    def test_quality_feedback_then_success(self, client, web_login, session):
        web_login("resident_li")
        _agree(client)
        r = _upload(client, "probe/two_people.jpg")
        assert r.status_code == 422 and "只拍本人" in r.text
        r = client.post(f"{FACE}/enrol", headers=ORIGIN, files={"image": ("x.txt", b"hello", "text/plain")})
        assert r.status_code == 422 and "不是有效的图片" in r.text
        r = _upload(client, "enrol/obama/obama.jpg")
        assert r.status_code == 200 and 'data-testid="face-done"' in r.text
        assert session.execute(select(FaceTemplate)).scalars().one().model_version is not None
        assert "已录入" in client.get("/h5/access").text

    def test_needs_reenrolment_on_h5_and_at_the_guard_desk(self, client, web_login, session, ids):
        ref = uuid.uuid4().hex
        session.add(
            AccessCredential(
                compound_id=ids["A"], kind=CredentialKind.face, person_id=ids["li_person"], subject_ref=ref
            )
        )
        session.add(
            FaceTemplate(
                compound_id=ids["A"],
                subject_ref=ref,
                model=LEGACY_MODEL,
                model_version="v1",
                template_enc=encrypt(encode_vector(faces.gallery()[1][0]), context="face_template") or "",
            )
        )
        session.flush()
        face_template_service._touch(session, ids["A"])
        face_reenrolment()
        web_login("resident_li")
        h5 = client.get("/h5/access").text
        assert "需重新录入" in h5 and "重新录入人脸" in h5
        web_login("guard_chen")
        desk = client.get("/console/access").text
        section = desk[desk.index('data-testid="face-reenrol"') :]
        assert f'data-person="{ids["li_person"]}"' in section
        assert 'data-testid="assist-form"' not in section  # a guard sees who; the manager enrols

    def test_guard_desk_assisted_enrolment_records_consent_and_gives_feedback(self, client, web_login, session, ids):
        web_login("manager_wang")
        url = f"/console/access/face/assist?compound_id={ids['A']}"
        form = {"person_id_text": str(ids["li_person"])}
        r = client.post(
            url, headers={**ORIGIN, **HTMX}, data=form, files={"image": ("p.jpg", _img("enrol/obama/obama.jpg"))}
        )
        assert r.status_code == 422  # consent not confirmed
        r = client.post(
            url,
            headers={**ORIGIN, **HTMX},
            data={**form, "agreed": "yes"},
            files={"image": ("p.jpg", _img("probe/two_people.jpg"), "image/jpeg")},
        )
        assert r.status_code == 422 and "只拍本人" in r.text
        r = client.post(
            url,
            headers={**ORIGIN, **HTMX},
            data={**form, "agreed": "yes"},
            files={"image": ("p.jpg", _img("enrol/obama/obama.jpg"), "image/jpeg")},
        )
        assert r.status_code == 200 and 'data-testid="assist-result"' in r.text, r.text
        c = session.execute(select(Consent).where(Consent.person_id == ids["li_person"])).scalars().one()
        assert c.purpose == "face" and c.given_by == "self"
