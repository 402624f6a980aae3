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


def respellings(token: str) -> list[str]:
    """Twenty other spellings of the same signature a lenient base64 decoder would take."""
    body, _, sig = token.rpartition(".")
    std = sig.replace("-", "+").replace("_", "/")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])  # 86 chars for 64 bytes: the last one carries 2 unused low bits
    same_bytes = [alphabet[(last & ~3) | k] for k in range(4) if (last & ~3) | k != last]
    sigs = [
        sig + "==",
        sig + "=",
        sig + "===",
        std,
        std + "==",
        sig.replace("-", "+"),
        sig.replace("_", "/"),
        *(sig[:-1] + c for c in same_bytes),
        *(std[:-1] + c.replace("-", "+").replace("_", "/") for c in same_bytes),
        *(sig[:-1] + c + "==" for c in same_bytes),
        sig[:40] + "\n" + sig[40:],
        sig[:10] + " " + sig[10:],
        std + "=",
        std + "===",
        *(std[:-1] + c.replace("-", "+").replace("_", "/") + "==" for c in same_bytes),
    ]
    # A lenient decoder also skips characters outside the alphabet: more spellings when the
    # signature has no "-" or "_" to swap.
    sigs += [sig[:k] + ch + sig[k:] for k in range(5, 85, 8) for ch in ("\t", "\r\n")]
    out = [f"{body}.{s}" for s in sigs if s != sig]
    return list(dict.fromkeys(out))[:20]


class TestQrRespelling:
    def test_qr_replay_by_respelling_the_signature_is_refused(self, client, login, decide, south, points):
        t = _token(client, login)["token"]
        spellings = respellings(t)
        assert len(spellings) == 20 and t not in spellings
        assert decide(south, points[GATE], "qr", t)["decision"] == "allow"
        outcomes = [decide(south, points[GATE], "qr", s) for s in spellings]
        assert [o["decision"] for o in outcomes] == ["deny"] * 20
        assert {o["reason"] for o in outcomes} <= {"qr_invalid", "qr_replayed"}

    def test_qr_replay_key_is_the_signed_content(self, client, login, decide, south, points, session):
        from sqlalchemy import select

        from anju.access.models import QrTokenUse
        from anju.access.signing import token_digest

        t = _token(client, login)["token"]
        assert decide(south, points[GATE], "qr", t)["decision"] == "allow"
        used = session.execute(select(QrTokenUse.digest).order_by(QrTokenUse.id.desc()).limit(1)).scalar_one()
        assert used == token_digest(t.rpartition(".")[0])

    def test_qr_respelled_before_first_use_is_invalid(self, client, login, decide, south, points):
        t = _token(client, login)["token"]
        assert decide(south, points[GATE], "qr", respellings(t)[0])["reason"] == "qr_invalid"
        assert decide(south, points[GATE], "qr", t)["decision"] == "allow"
