"""Visitor passes that reach the visitor (issue 18): share link, SMS, arrival notice, walk-ins confirmed on H5."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from anju.access.models import VisitorPass
from anju.access.share_service import first_name
from anju.notify.models import Delivery, Notification
from anju.notify.providers import phone_provider
from tests.conftest import run_worker_once

GATE = "南门人行"
UNIT_DOOR = "3号楼1单元门"
H5_POST = {"HX-Request": "true", "Origin": "http://testserver"}


def _pass(client, login, ids, **kw):
    body = {
        "host_house_id": ids["li_house"],
        "visitor_name": "王阿姨",
        "visitor_phone": "13912345678",
        "valid_until": (datetime.now(UTC) + timedelta(hours=4)).isoformat(),
        **kw,
    }
    r = client.post("/api/v1/access/visitor-passes", headers=login("resident_li"), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _link(client, login, pass_id, who="resident_li"):
    return client.get(f"/api/v1/access/visitor-passes/{pass_id}/share-link", headers=login(who))


class TestShareLink:
    def test_visitor_opens_link_without_login_and_gate_accepts_its_qr(self, client, login, ids, decide, south, points):
        p = _pass(client, login, ids)
        r = _link(client, login, p["id"])
        assert r.status_code == 200, r.text
        link = r.json()
        assert link["path"].startswith("/h5/visit/") and link["url"].endswith(link["path"])
        assert datetime.fromisoformat(link["expires_at"]) == datetime.fromisoformat(p["valid_until"])
        client.cookies.clear()
        page = client.get(link["path"])  # no cookie, no token
        assert page.status_code == 200
        assert 'data-testid="visit-qr"' in page.text and p["qr"] in page.text
        assert decide(south, points[GATE], "qr", p["qr"])["decision"] == "allow"

    def test_r_f12_page_shows_only_first_name_and_gates(self, client, login, ids):
        p = _pass(client, login, ids)
        page = client.get(_link(client, login, p["id"]).json()["path"])
        assert "王*姨" in page.text and "王阿姨" not in page.text
        assert GATE in page.text
        for private in ("3-1-0802", "139****5678", "13912345678", "李"):
            assert private not in page.text, private

    def test_first_name_of_spaced_names_is_the_first_word(self):
        assert first_name("Anna Smith") == "Anna"
        assert first_name("王阿姨") == "王*姨"
        assert first_name(None) is None

    def test_tampered_link_is_not_found(self, client, login, ids):
        p = _pass(client, login, ids)
        path = _link(client, login, p["id"]).json()["path"]
        pid, exp, mac = path.rsplit("/", 1)[1].split(".")
        for bad in (
            f"{pid}.{int(exp) + 86400}.{mac}",  # a longer window
            f"{int(pid) + 1}.{exp}.{mac}",  # another pass
            f"{pid}.{exp}.{mac[:-2]}AA",  # a forged MAC
            "garbage",
            f"{'9' * 30}.{exp}.{mac}",
        ):
            r = client.get(f"/h5/visit/{bad}")
            assert r.status_code == 404, bad
            assert 'data-testid="visit-qr"' not in r.text

    def test_expired_link_is_gone(self, client, login, ids, session):
        p = _pass(client, login, ids)
        path = _link(client, login, p["id"]).json()["path"]
        vp = session.get(VisitorPass, p["id"])
        vp.valid_from = datetime.now(UTC) - timedelta(hours=3)
        vp.valid_until = datetime.now(UTC) - timedelta(minutes=1)
        session.flush()
        r = client.get(path)
        assert r.status_code == 410 and 'data-testid="visit-qr"' not in r.text

    def test_revoked_pass_link_shows_no_qr(self, client, login, ids):
        p = _pass(client, login, ids)
        path = _link(client, login, p["id"]).json()["path"]
        client.post(f"/api/v1/access/visitor-passes/{p['id']}/revoke", headers=login("resident_li"))
        r = client.get(path)
        assert r.status_code == 200 and 'data-testid="visit-qr"' not in r.text and 'data-state="revoked"' in r.text

    def test_other_household_cannot_get_the_link(self, client, login, ids):
        p = _pass(client, login, ids)
        assert _link(client, login, p["id"], who="outsider_zhao").status_code == 404

    def test_revoked_pass_has_no_link(self, client, login, ids):
        p = _pass(client, login, ids)
        client.post(f"/api/v1/access/visitor-passes/{p['id']}/revoke", headers=login("resident_li"))
        r = _link(client, login, p["id"])
        assert r.status_code == 409 and r.json()["error"]["code"] == "pass_not_usable"


class TestSms:
    def test_link_is_texted_to_the_visitor_after_commit(self, client, login, ids, session):
        p = _pass(client, login, ids)
        before = len(phone_provider("logging").sent)  # type: ignore[attr-defined]
        r = client.post(f"/api/v1/access/visitor-passes/{p['id']}/sms", headers=login("resident_li"))
        assert r.status_code == 202, r.text
        assert r.json()["phone_masked"] == "139****5678" and r.json()["sms_sent"] == 1
        d = session.execute(select(Delivery).where(Delivery.recipient_ref == f"visitor:{p['id']}")).scalar_one()
        assert d.channel == "sms" and "/h5/visit/" in d.payload["text"] and "3-1-0802" not in d.payload["text"]
        run_worker_once()
        sent = list(phone_provider("logging").sent)[before:]  # type: ignore[attr-defined]
        assert [(s.channel, s.phone_masked) for s in sent] == [("sms", "139****5678")]
        link = _link(client, login, p["id"]).json()
        assert link["url"] in sent[0].text

    def test_sms_is_limited_per_pass(self, client, login, ids):
        p = _pass(client, login, ids)
        codes = [
            client.post(f"/api/v1/access/visitor-passes/{p['id']}/sms", headers=login("resident_li")).status_code
            for _ in range(4)
        ]
        assert codes == [202, 202, 202, 429]

    def test_no_phone_no_sms(self, client, login, ids):
        p = _pass(client, login, ids, visitor_phone=None)
        r = client.post(f"/api/v1/access/visitor-passes/{p['id']}/sms", headers=login("resident_li"))
        assert r.status_code == 422 and r.json()["error"]["code"] == "no_visitor_phone"


class TestArrival:
    def _inbox(self, session, category):
        return list(
            session.execute(
                select(Notification).where(Notification.category == category).order_by(Notification.id)
            ).scalars()
        )

    def test_host_is_told_once_when_the_visitor_enters_the_gate(
        self, client, login, ids, decide, south, unit_terminal, points, session, persona
    ):
        p = _pass(client, login, ids, entries=2)
        assert decide(south, points[GATE], "qr", p["qr"])["decision"] == "allow"
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", p["qr"])["decision"] == "allow"  # same visit
        run_worker_once()
        run_worker_once()  # a second delivery round changes nothing
        told = self._inbox(session, "visitor_arrived")
        assert [n.user_id for n in told] == [persona("resident_li").user_id]
        assert "王*姨" in told[0].body and GATE in told[0].body
        session.expire_all()
        assert session.get(VisitorPass, p["id"]).arrived_at is not None
        # The second entry is a second arrival.
        assert decide(south, points[GATE], "qr", p["qr"])["decision"] == "allow"
        run_worker_once()
        assert len(self._inbox(session, "visitor_arrived")) == 2

    def test_redelivered_event_does_not_tell_twice(self, client, login, ids, decide, south, points, session):
        from anju.access.share_service import visitor_share_service

        p = _pass(client, login, ids)
        d = decide(south, points[GATE], "qr", p["qr"])
        run_worker_once()
        again = visitor_share_service.tell_arrival(
            session, pass_id=p["id"], log_id=d["log_id"], access_point_id=points[GATE], at=datetime.now(UTC)
        )
        assert again is False
        assert len(self._inbox(session, "visitor_arrived")) == 1


class TestWalkInOnH5:
    def _walk_in(self, client, login, ids):
        r = client.post(
            "/api/v1/access/walk-ins",
            headers=login("guard_chen"),
            json={"host_house_id": ids["li_house"], "visitor_name": "李师傅", "minutes": 60},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def test_household_is_asked_and_host_approves_on_h5(self, client, login, ids, decide, south, points, persona):
        w = self._walk_in(client, login, ids)
        li = persona("resident_li")
        inbox = client.get("/api/v1/notifications", headers=li.headers).json()
        assert any(n["category"] == "visitor_walk_in" for n in inbox)
        li.web(client)
        page = client.get("/h5/access")
        assert f'data-pass="{w["id"]}"' in page.text and 'data-testid="approve-pass"' in page.text
        r = client.post(f"/h5/access/passes/{w['id']}/decide", data={"approve": "1"}, headers=H5_POST)
        assert r.status_code == 200 and 'data-testid="pass-created"' in r.text
        client.cookies.clear()  # the terminal posts without the resident's cookie
        assert decide(south, points[GATE], "qr", w["qr"])["decision"] == "allow"

    def test_host_refuses_on_h5_and_gate_denies(self, client, login, ids, decide, south, points, persona):
        w = self._walk_in(client, login, ids)
        persona("resident_li").web(client)
        r = client.post(f"/h5/access/passes/{w['id']}/decide", data={"approve": "0"}, headers=H5_POST)
        assert r.status_code == 200
        client.cookies.clear()
        assert decide(south, points[GATE], "qr", w["qr"])["reason"] == "pass_revoked"
        # Decided once: a second answer is refused.
        persona("resident_li").web(client)
        r = client.post(f"/h5/access/passes/{w['id']}/decide", data={"approve": "1"}, headers=H5_POST)
        assert r.status_code == 409

    def test_other_household_cannot_decide(self, client, login, ids, persona):
        w = self._walk_in(client, login, ids)
        persona("outsider_zhao").web(client)
        r = client.post(f"/h5/access/passes/{w['id']}/decide", data={"approve": "1"}, headers=H5_POST)
        assert r.status_code in (403, 404)
