"""Guard desk and resident access pages: who may open them, scoping, form errors with reasons, the live feed.

The decisions themselves are tested in tests/access; here the pages must show
them (masked, in words) and turn every refused form into a 4xx with a reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from anju.access.enums import PassStatus
from anju.access.models import AccessLog, AccessPoint, VisitorPass
from anju.core.crypto import mask_name
from anju.registry.models import House, Person
from anju.sim.access_demo import LI_CARD, TERMINAL_SECRET
from anju.web.render import CST
from tests.web.conftest import HTMX, ORIGIN

GATE = "南门人行"
POST = {**ORIGIN, **HTMX}


def _terminal(key: str = "south") -> dict[str, str]:
    return {"X-Device-Key": f"term_SFXQ_{key}", "X-Device-Secret": TERMINAL_SECRET}


@pytest.fixture
def points(session, ids):
    rows = session.execute(select(AccessPoint.name, AccessPoint.id).where(AccessPoint.compound_id == ids["A"])).all()
    return dict(rows)


@pytest.fixture
def present(client, points):
    """present(kind, value, door=GATE) -> the south terminal's decision for that credential."""

    def _present(kind: str, value: str, door: str = GATE) -> dict:
        r = client.post(
            "/api/v1/terminals/decisions",
            headers={**_terminal(), **ORIGIN},
            json={"access_point_id": points[door], "credential": {"kind": kind, "value": value}},
        )
        assert r.status_code == 200, r.text
        return r.json()

    return _present


def _local(at: datetime) -> str:
    return at.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


def _li_name(session, ids) -> str:
    return session.execute(select(Person.name).where(Person.id == ids["li_person"])).scalar_one()


class TestGuardDeskAccess:
    def test_resident_cannot_open_the_guard_desk(self, client, web_login):
        web_login("resident_li")
        r = client.get("/console/access")
        assert r.status_code == 403 and "access-feed" not in r.text

    def test_r_p6_guard_sees_feed_with_masked_names_and_denials_highlighted(
        self, client, web_login, session, ids, present
    ):
        assert present("card", LI_CARD)["decision"] == "allow"
        assert present("card", "DEADBEEF")["reason"] == "unknown_credential"
        web_login("guard_chen")
        r = client.get("/console/access")
        assert r.status_code == 200
        rows = re.findall(
            r'<tr id="access-log-\d+"[^>]*data-decision="(\w+)" data-method="\w+" '
            r'data-reason="(\w+)"',
            r.text,
        )
        assert rows[:2] == [("deny", "unknown_credential"), ("allow", "ok")]  # newest first
        assert 'class="feed-row feed-deny"' in r.text and "无效凭证" in r.text and "住户通行" in r.text
        name = _li_name(session, ids)
        assert mask_name(name) in r.text and name not in r.text

    def test_r_a4_blacklist_hit_is_highlighted_for_the_guard_to_review(self, client, web_login, login, ids, present):
        r = client.post(
            "/api/v1/access/blacklist",
            headers=login("manager_wang"),
            json={"compound_id": ids["A"], "card_number": "BADC0FFEE0", "reason": "盗刷"},
        )
        assert r.status_code == 201, r.text
        assert present("card", "BADC0FFEE0")["reason"] == "blacklisted"
        web_login("guard_chen")
        html = client.get("/console/access").text
        assert re.search(r'class="feed-row feed-deny feed-blacklist"', html)
        assert "黑名单命中" in html

    def test_r_p6_outsider_sees_no_rows_of_another_compound(self, client, web_login, present, points):
        present("card", LI_CARD)
        web_login("outsider_zhao")
        r = client.get("/console/access")
        assert r.status_code == 200
        assert "幸福里" in r.text and "示范小区" not in r.text
        assert "access-log-" not in r.text and GATE not in r.text
        # Asking for 示范小区's feed by id falls back to the user's own compound: still nothing.
        feed = client.get(f"/console/access/feed?after=0&max_seconds=0.1&compound_id={points[GATE]}").text
        assert "access-log-" not in feed

    def test_english_switch(self, client, web_login):
        web_login("guard_chen")
        client.cookies.set("anju_lang", "en")
        html = client.get("/console/access").text
        assert "Guard desk" in html and "Remote opening" in html and "Walk-in visitor" in html
        assert "门岗值守台" not in html


class TestLiveFeed:
    def test_feed_streams_new_attempts_as_rows(self, client, web_login, session, ids, present):
        web_login("guard_chen")
        before = session.execute(select(AccessLog.id).order_by(AccessLog.id.desc()).limit(1)).scalar() or 0
        present("card", LI_CARD)
        present("card", "00000000")
        body = client.get(f"/console/access/feed?after={before}&max_seconds=0.1").text
        events = re.findall(r"id: (\d+)\nevent: access\ndata: (.*)\n", body)
        assert len(events) == 2
        assert int(events[0][0]) < int(events[1][0])  # oldest first: the page prepends each
        assert 'data-decision="allow"' in events[0][1] and 'data-decision="deny"' in events[1][1]

    def test_reconnect_resumes_after_last_event_id(self, client, web_login, session, present):
        web_login("guard_chen")
        present("card", LI_CARD)
        last = session.execute(select(AccessLog.id).order_by(AccessLog.id.desc()).limit(1)).scalar()
        present("card", "11111111")
        body = client.get("/console/access/feed?after=0&max_seconds=0.1", headers={"Last-Event-ID": str(last)}).text
        assert re.findall(r"id: (\d+)\n", body) == [str(last + 1)]

    def test_resident_cannot_read_the_feed(self, client, web_login):
        web_login("resident_li")
        assert client.get("/console/access/feed?max_seconds=0.1").status_code == 403


class TestRemoteOpen:
    def test_open_is_logged_with_operator_and_reason(self, client, web_login, session, points):
        web_login("guard_chen")
        r = client.post(
            "/console/access/open",
            headers=POST,
            data={"access_point_id": points[GATE], "reason": "业主忘带门卡，已核实"},
        )
        assert r.status_code == 200 and 'data-testid="open-result"' in r.text
        log = session.execute(select(AccessLog).order_by(AccessLog.id.desc()).limit(1)).scalar_one()
        assert (log.method.value, log.access_point_id) == ("remote", points[GATE])
        assert log.detail == {"reason": "业主忘带门卡，已核实", "operator": "guard_chen"}
        html = client.get("/console/access").text
        assert "业主忘带门卡，已核实" in html and "操作员 guard_chen" in html

    @pytest.mark.parametrize("reason", ["", " ", "x"])
    def test_missing_reason_is_refused(self, client, web_login, session, points, reason):
        web_login("guard_chen")
        count = session.execute(select(AccessLog.id)).all()
        r = client.post("/console/access/open", headers=POST, data={"access_point_id": points[GATE], "reason": reason})
        assert r.status_code == 422 and "请填写开门原因" in r.text
        assert session.execute(select(AccessLog.id)).all() == count

    def test_door_out_of_scope_is_not_found(self, client, web_login, points):
        web_login("outsider_zhao")
        r = client.post(
            "/console/access/open", headers=POST, data={"access_point_id": points[GATE], "reason": "测试开门"}
        )
        assert r.status_code == 404 and "未找到该门禁点" in r.text

    def test_unknown_or_missing_door(self, client, web_login):
        web_login("guard_chen")
        assert (
            client.post(
                "/console/access/open", headers=POST, data={"access_point_id": "999999", "reason": "测试开门"}
            ).status_code
            == 404
        )
        r = client.post("/console/access/open", headers=POST, data={"reason": "测试开门"})
        assert r.status_code == 422 and "请选择门禁点" in r.text

    def test_reason_in_english(self, client, web_login, points):
        web_login("guard_chen")
        client.cookies.set("anju_lang", "en")
        r = client.post("/console/access/open", headers=POST, data={"access_point_id": points[GATE], "reason": ""})
        assert r.status_code == 422 and "Give a reason for opening" in r.text

    def test_staff_without_remote_open_may_not(self, client, web_login, points):
        web_login("staff_liu")
        r = client.post(
            "/console/access/open", headers=POST, data={"access_point_id": points[GATE], "reason": "测试开门"}
        )
        assert r.status_code == 403


class TestWalkIn:
    def test_walk_in_shows_host_call_then_approve_opens_the_door(self, client, web_login, session, points):
        web_login("guard_chen")
        r = client.post(
            "/console/access/walk-ins",
            headers=POST,
            data={"visitor_name": "周师傅", "house": "3-1-0802", "access_point_id": points[GATE], "minutes": "60"},
        )
        assert r.status_code == 200, r.text
        assert "请致电业主（3-1-0802）" in r.text and "周*傅" in r.text
        assert re.search(r"1\d{2}\*{4}\d{4}", r.text)  # the host's number, masked
        pass_id = int(re.search(r'data-testid="walk-in-result" data-pass="(\d+)"', r.text).group(1))
        vp = session.get(VisitorPass, pass_id)
        assert vp.status == PassStatus.pending and vp.walk_in
        assert f'data-pass="{pass_id}" data-state="pending"' in client.get("/console/access/passes").text
        r = client.post(
            f"/console/access/passes/{pass_id}/decide",
            headers=POST,
            data={"approve": "1", "access_point_id": points[GATE]},
        )
        assert r.status_code == 200 and "已确认" in r.text
        session.refresh(vp)
        assert vp.status == PassStatus.active
        log = session.execute(select(AccessLog).order_by(AccessLog.id.desc()).limit(1)).scalar_one()
        assert log.method.value == "remote" and f"#{pass_id}" in log.detail["reason"]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"visitor_name": "周师傅", "house": ""}, "请填写被访房屋"),
            ({"visitor_name": "周师傅", "house": "99-9-9999"}, "本小区没有该房屋"),
            ({"house": "3-1-0802"}, "请填写访客姓名或手机号"),
            ({"visitor_phone": "12345", "house": "3-1-0802"}, "手机号格式不正确"),
            ({"visitor_name": "周师傅", "house": "3-1-0802", "minutes": "2"}, "有效时长须为 5–1440 分钟"),
            ({"visitor_name": "周师傅", "house": "3-1-0802", "minutes": "abc"}, "有效时长须为 5–1440 分钟"),
        ],
    )
    def test_bad_walk_in_is_refused_with_reason(self, client, web_login, session, data, message):
        web_login("guard_chen")
        before = session.execute(select(VisitorPass.id)).all()
        r = client.post("/console/access/walk-ins", headers=POST, data=data)
        assert r.status_code == 422 and message in r.text
        assert session.execute(select(VisitorPass.id)).all() == before

    def test_resident_may_not_register_walk_ins(self, client, web_login):
        web_login("resident_li")
        r = client.post("/console/access/walk-ins", headers=POST, data={"visitor_name": "甲", "house": "3-1-0802"})
        assert r.status_code == 403

    def test_outsider_cannot_register_for_another_compounds_house(self, client, web_login):
        web_login("outsider_zhao")
        r = client.post("/console/access/walk-ins", headers=POST, data={"visitor_name": "甲", "house": "3-1-0802"})
        assert r.status_code == 422 and "本小区没有该房屋" in r.text


class TestResidentH5:
    def test_guard_and_outsider_do_not_get_the_resident_page(self, client, web_login):
        web_login("guard_chen")
        assert client.get("/h5/access").status_code == 403

    def test_r_f1_page_shows_credentials_qr_and_doors_without_face(self, client, web_login):
        web_login("resident_li")
        r = client.get("/h5/access")
        assert r.status_code == 200
        assert 'data-testid="my-qr"' in r.text and "<svg" in r.text and "cdn" not in r.text.lower()
        assert "****" in r.text  # the card, masked
        assert LI_CARD not in r.text
        assert "未录入（不影响刷卡、扫码通行）" in r.text  # R-F1: no face, still a way in
        doors = re.findall(r'data-door="(\d+)"', r.text)
        assert len(doors) >= 3
        qr = client.get("/h5/access/qr", headers=HTMX)
        assert qr.status_code == 200 and "<svg" in qr.text

    def test_create_pass_shows_its_qr_and_terminal_admits_it(self, client, web_login, session, ids, present):
        web_login("resident_li")
        now = datetime.now(UTC)
        r = client.post(
            "/h5/access/passes",
            headers=POST,
            data={
                "visitor_name": "王阿姨",
                "host_house_id": ids["li_house"],
                "valid_from": "",
                "valid_until": _local(now + timedelta(hours=3)),
                "entries": "1",
            },
        )
        assert r.status_code == 200, r.text
        assert 'data-testid="pass-created"' in r.text and 'data-testid="pass-qr"' in r.text
        vp = session.execute(select(VisitorPass).order_by(VisitorPass.id.desc()).limit(1)).scalar_one()
        assert (vp.visitor_name, vp.entries_allowed, vp.host_house_id) == ("王阿姨", 1, ids["li_house"])
        from anju.access.visitor_service import visitor_pass_service

        token = visitor_pass_service.qr(session, vp)
        assert present("qr", token)["decision"] == "allow"
        assert present("qr", token)["reason"] == "pass_used_up"

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"valid_until": ""}, "请填写结束时间"),
            ({"valid_until": "tomorrow"}, "时间格式无效"),
            ({"valid_from": "+3h", "valid_until": "+1h"}, "结束时间早于开始时间"),
            ({"valid_from": "+1h", "valid_until": "+200h"}, "通行证有效期最长 7 天"),
            ({"valid_until": "-1h", "valid_from": "-3h"}, "通行证已过期"),
            ({"visitor_name": ""}, "请填写访客姓名或手机号"),
            ({"entries": "0"}, "可进入次数须为 1–20"),
            ({"entries": "21"}, "可进入次数须为 1–20"),
            ({"visitor_phone": "1380000"}, "手机号格式不正确"),
        ],
    )
    def test_r_f12_invalid_pass_is_refused_with_reason(self, client, web_login, session, ids, fields, message):
        web_login("resident_li")
        now = datetime.now(UTC)

        def value(v: str) -> str:
            return _local(now + timedelta(hours=int(v[:-1]))) if re.fullmatch(r"[+-]\d+h", v) else v

        data = {
            "visitor_name": "王阿姨",
            "host_house_id": str(ids["li_house"]),
            "valid_until": _local(now + timedelta(hours=2)),
            "entries": "1",
        }
        data.update({k: value(v) for k, v in fields.items()})
        before = session.execute(select(VisitorPass.id)).all()
        r = client.post("/h5/access/passes", headers=POST, data=data)
        assert r.status_code == 422, r.text
        assert message in r.text and r.headers["HX-Retarget"] == "#pass-form-result"  # shown next to the form
        assert session.execute(select(VisitorPass.id)).all() == before

    def test_r_f12_pass_form_asks_only_name_or_phone(self, client, web_login):
        web_login("resident_li")
        html = client.get("/h5/access").text
        form = html.split('data-testid="pass-form"', 1)[1].split("</form>", 1)[0]
        fields = set(re.findall(r'name="(\w+)"', form))
        # "kind" (visitor, courier, rider) is not personal data (issue 18).
        assert fields == {
            "visitor_name",
            "visitor_phone",
            "host_house_id",
            "valid_from",
            "valid_until",
            "entries",
            "kind",
        }

    def test_someone_elses_house_is_not_found(self, client, web_login, session, ids):
        other = session.execute(
            select(House.id).where(House.compound_id == ids["A"], House.id != ids["li_house"]).limit(1)
        ).scalar_one()
        web_login("resident_li")
        r = client.post(
            "/h5/access/passes",
            headers=POST,
            data={
                "visitor_name": "甲",
                "host_house_id": other,
                "valid_until": _local(datetime.now(UTC) + timedelta(hours=1)),
            },
        )
        assert r.status_code == 404 and "未找到该房屋" in r.text

    def test_revoke_pass(self, client, web_login, session, ids, present):
        web_login("resident_li")
        client.post(
            "/h5/access/passes",
            headers=POST,
            data={
                "visitor_phone": "13800001111",
                "host_house_id": ids["li_house"],
                "valid_until": _local(datetime.now(UTC) + timedelta(hours=1)),
            },
        )
        vp = session.execute(select(VisitorPass).order_by(VisitorPass.id.desc()).limit(1)).scalar_one()
        r = client.post(f"/h5/access/passes/{vp.id}/revoke", headers=POST)
        assert r.status_code == 200 and f'data-pass="{vp.id}" data-state="revoked"' in r.text
        from anju.access.visitor_service import visitor_pass_service

        assert present("qr", visitor_pass_service.qr(session, vp))["reason"] == "pass_revoked"

    def test_open_my_door_and_not_others(self, client, web_login, session, ids, points):
        web_login("resident_li")
        r = client.post(f"/h5/access/doors/{points['3号楼1单元门']}/open", headers=POST)
        assert r.status_code == 200 and "已打开" in r.text
        log = session.execute(select(AccessLog).order_by(AccessLog.id.desc()).limit(1)).scalar_one()
        assert log.person_id == ids["li_person"] and log.detail["operator"] == "resident_li"
        r = client.post("/h5/access/doors/999999/open", headers=POST)
        assert r.status_code == 404

    def test_english_switch(self, client, web_login):
        web_login("resident_li")
        client.cookies.set("anju_lang", "en")
        html = client.get("/h5/access").text
        assert "Doors &amp; visitors" in html and "My entry code" in html and "Invite a visitor" in html
        assert "我的通行码" not in html
