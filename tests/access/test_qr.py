"""The resident's rotating QR: forgery, tampering, replay, expiry (and R-F1)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from anju.access.config import access_settings
from anju.access.signing import sign

GATE = "南门人行"


def _token(client, login):
    r = client.get("/api/v1/access/me/qr", headers=login("resident_li"))
    assert r.status_code == 200, r.text
    return r.json()


class TestResidentQr:
    def test_r_f1_resident_without_face_enters_by_qr(self, client, login, decide, south, points):
        qr = _token(client, login)
        assert qr["token"].startswith("AQ1.")
        d = decide(south, points[GATE], "qr", qr["token"])
        assert (d["decision"], d["reason"]) == ("allow", "ok")

    def test_replayed_qr_is_denied(self, client, login, decide, south, points):
        t = _token(client, login)["token"]
        assert decide(south, points[GATE], "qr", t)["decision"] == "allow"
        assert decide(south, points[GATE], "qr", t)["reason"] == "qr_replayed"

    def test_tampered_qr_is_invalid(self, client, login, decide, south, points):
        t = _token(client, login)["token"]
        parts = t.split(".")
        parts[2] = str(int(parts[2]) + 1)  # another credential id, same signature
        assert decide(south, points[GATE], "qr", ".".join(parts))["reason"] == "qr_invalid"

    def test_forged_signature_is_invalid(self, client, login, decide, south, points):
        t = _token(client, login)["token"]
        body, _, sig = t.rpartition(".")
        forged = body + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
        assert decide(south, points[GATE], "qr", forged)["reason"] == "qr_invalid"
        assert decide(south, points[GATE], "qr", "not-a-qr")["reason"] == "qr_invalid"

    def test_screenshot_after_rotation_is_expired(self, client, login, decide, south, points, session, ids):
        cred = _token(client, login)["credential_id"]
        w = access_settings().qr_window_seconds
        old_window = math.floor(datetime.now(UTC).timestamp() / w) - 3  # validly signed, 3 windows ago
        old = sign(session, ids["A"], f"AQ1.{ids['A']}.{cred}.{old_window}.abcd1234")
        assert decide(south, points[GATE], "qr", old)["reason"] == "qr_expired"

    def test_qr_signed_by_another_compound_is_invalid(self, client, login, decide, south, points, session, ids):
        cred = _token(client, login)["credential_id"]
        window = math.floor(datetime.now(UTC).timestamp() / access_settings().qr_window_seconds)
        other = sign(session, ids["B"], f"AQ1.{ids['A']}.{cred}.{window}.abcd1234")
        assert decide(south, points[GATE], "qr", other)["reason"] == "qr_invalid"

    def test_staff_have_no_resident_qr(self, client, login):
        assert client.get("/api/v1/access/me/qr", headers=login("guard_chen")).status_code == 403
