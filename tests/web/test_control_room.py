"""Control room and device pages: scope, permissions, the state machine through the page, bad input, English."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from anju.accounts.models import User
from anju.alarms.events import AlarmRequested
from anju.alarms.models import Alarm, AlarmTransition
from anju.alarms.service import alarm_service
from anju.devices.enums import CommandStatus, DeviceType
from anju.devices.models import DeviceCommand
from tests.devices.helpers import make_device, msg, push
from tests.web.conftest import HTMX, ORIGIN

POST = {**ORIGIN, **HTMX}


def raise_alarm(session, compound_id, *, severity="major", kind="water_leak", title=None, **kw) -> int:
    req = AlarmRequested(
        compound_id=compound_id,
        kind=kind,
        severity=severity,
        source="test:cr",
        dedupe_key=f"test:{uuid.uuid4().hex}",
        title=title or f"测试告警 {uuid.uuid4().hex[:6]}",
        **kw,
    )
    alarm_id = alarm_service.raise_or_refresh(session, request=req).alarm_id
    session.flush()
    return alarm_id


def user_id(session, username: str) -> int:
    return session.execute(select(User.id).where(User.username == username)).scalar_one()


def status_of(session, alarm_id: int) -> str:
    session.expire_all()
    return str(session.get(Alarm, alarm_id).status)


def rows(html: str) -> list[int]:
    """Alarm ids in inbox order."""
    return [int(i) for i in re.findall(r'class="cr-alarm[^"]*" data-alarm-id="(\d+)"', html)]


@pytest.fixture
def smoke(client, session, ids):
    """A smoke detector on the site plan that reported smoke twice over HTTP: one alarm, counter 2."""
    device_id, key, secret = make_device(
        session, ids["A"], DeviceType.smoke_detector, location="3号楼1单元8层前室", plan_x=300, plan_y=200, floor=8
    )
    for _ in range(2):
        assert push(client, key, secret, [msg({"smoke": 6.8, "alarm": True}, kind="event")]).status_code == 202
    alarm_id = session.execute(select(Alarm.id).where(Alarm.device_id == device_id)).scalar_one()
    return {"device_id": device_id, "key": key, "secret": secret, "alarm_id": alarm_id}


class TestInbox:
    def test_guard_sees_the_alarm_with_its_repeat_counter_and_plan_marker(self, client, web_login, smoke):
        web_login("guard_chen")
        r = client.get("/console/alarms")
        assert r.status_code == 200
        assert smoke["alarm_id"] in rows(r.text)
        row = r.text.split(f'data-alarm-id="{smoke["alarm_id"]}"', 1)[1].split("</li>", 1)[0]
        assert "×" in row and 'data-testid="alarm-repeats">×' in row  # two smoke rules + a repeat, one alarm
        assert "新告警" in row
        marker = re.search(rf'<circle class="cr-marker m-alarm[^"]*"[^>]*data-device-id="{smoke["device_id"]}"', r.text)
        assert marker, "the device's marker is red on the site plan"
        assert 'id="cr-config"' in r.text and "/api/v1/alarms/stream" in r.text

    def test_most_severe_first_then_newest(self, client, web_login, session, ids):
        minor = raise_alarm(session, ids["A"], severity="minor")
        critical = raise_alarm(session, ids["A"], severity="critical", kind="smoke")
        major = raise_alarm(session, ids["A"], severity="major")
        web_login("guard_chen")
        order = [i for i in rows(client.get("/console/alarms", headers=HTMX).text) if i in (minor, critical, major)]
        assert order == [critical, major, minor]

    def test_filters_by_state_and_severity(self, client, web_login, session, ids):
        minor = raise_alarm(session, ids["A"], severity="minor")
        major = raise_alarm(session, ids["A"], severity="major")
        web_login("guard_chen")
        assert client.post(f"/console/alarms/{major}/acknowledge", headers=POST).status_code == 200
        acked = rows(client.get("/console/alarms?state=acknowledged", headers=HTMX).text)
        assert major in acked and minor not in acked
        only_minor = client.get("/console/alarms?severity=minor", headers=HTMX).text
        assert minor in rows(only_minor) and major not in rows(only_minor)
        assert client.get("/console/alarms?state=nonsense&severity=bogus").status_code == 200  # lenient filters

    def test_panel_shows_location_evidence_and_history(self, client, web_login, smoke):
        web_login("guard_chen")
        r = client.get(f"/console/alarms/{smoke['alarm_id']}", headers=HTMX)
        assert r.status_code == 200
        assert "3号楼1单元8层前室" in r.text and smoke["key"] in r.text
        assert 'data-testid="detail-evidence"' in r.text and "阈值" in r.text
        assert 'data-action="created"' in r.text and 'data-action="repeated"' in r.text
        assert 'data-testid="act-acknowledge"' in r.text

    def test_panel_without_htmx_opens_the_page_with_it(self, client, web_login, smoke):
        web_login("guard_chen")
        r = client.get(f"/console/alarms/{smoke['alarm_id']}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/console/alarms?alarm={smoke['alarm_id']}"
        page = client.get(r.headers["location"])
        assert 'data-testid="alarm-detail"' in page.text


class TestActions:
    def test_acknowledge_records_the_guard_and_refreshes_the_inbox(self, client, web_login, login, session, smoke):
        web_login("guard_chen")
        r = client.post(f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers=POST)
        assert r.status_code == 200 and r.headers["HX-Trigger"] == "alarms-changed"
        assert 'data-testid="detail-status">已确认' in r.text and "陈保安" in r.text
        api = client.get(f"/api/v1/alarms/{smoke['alarm_id']}", headers=login("manager_wang")).json()
        assert api["status"] == "acknowledged" and api["acknowledged_by"] == user_id(session, "guard_chen")
        assert api["history"][-1]["actor_user_id"] == user_id(session, "guard_chen")

    def test_illegal_transition_is_409_with_the_reason(self, client, web_login, session, smoke):
        web_login("guard_chen")
        assert client.post(f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers=POST).status_code == 200
        again = client.post(f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers=POST)
        assert again.status_code == 409
        assert 'data-testid="cr-error"' in again.text and "不能执行" in again.text
        assert 'data-testid="detail-status">已确认' in again.text  # the panel still shows the real state

    def test_false_alarm_needs_a_reason(self, client, web_login, session, smoke):
        web_login("guard_chen")
        r = client.post(f"/console/alarms/{smoke['alarm_id']}/false-alarm", data={"reason": "   "}, headers=POST)
        assert r.status_code == 422 and "请填写原因" in r.text
        assert status_of(session, smoke["alarm_id"]) == "new"
        ok = client.post(
            f"/console/alarms/{smoke['alarm_id']}/false-alarm", data={"reason": "厨房油烟，已核实"}, headers=POST
        )
        assert ok.status_code == 200 and status_of(session, smoke["alarm_id"]) == "false_alarm"
        reasons = (
            session.execute(
                select(AlarmTransition.reason).where(
                    AlarmTransition.alarm_id == smoke["alarm_id"], AlarmTransition.action == "false_alarm"
                )
            )
            .scalars()
            .all()
        )
        assert reasons == ["厨房油烟，已核实"]

    def test_dispatch_to_a_guard_with_a_note(self, client, web_login, session, ids):
        alarm_id = raise_alarm(session, ids["A"])
        web_login("manager_wang")
        missing = client.post(f"/console/alarms/{alarm_id}/dispatch", data={"user_id": ""}, headers=POST)
        assert missing.status_code == 422 and "请选择派单对象" in missing.text
        resident = client.post(
            f"/console/alarms/{alarm_id}/dispatch", data={"user_id": str(user_id(session, "resident_li"))}, headers=POST
        )
        assert resident.status_code == 422 and status_of(session, alarm_id) == "new"
        guard = user_id(session, "guard_chen")
        panel = client.get(f"/console/alarms/{alarm_id}", headers=HTMX).text
        assert f'<option value="{guard}">' in panel
        r = client.post(
            f"/console/alarms/{alarm_id}/dispatch", data={"user_id": str(guard), "reason": "带灭火器"}, headers=POST
        )
        assert r.status_code == 200 and status_of(session, alarm_id) == "dispatched"
        assert session.get(Alarm, alarm_id).dispatched_to == guard and "带灭火器" in r.text

    def test_resolve_closes_it_and_hides_the_actions(self, client, web_login, session, smoke):
        web_login("guard_chen")
        r = client.post(f"/console/alarms/{smoke['alarm_id']}/resolve", data={"reason": " "}, headers=POST)
        assert r.status_code == 422 and status_of(session, smoke["alarm_id"]) == "new"  # a note is required
        r = client.post(
            f"/console/alarms/{smoke['alarm_id']}/resolve",
            data={"reason": "已处置", "outcome": "no_danger"},
            headers=POST,
        )
        assert r.status_code == 200 and status_of(session, smoke["alarm_id"]) == "resolved"
        assert 'data-testid="detail-outcome">经核查无危险<' in r.text
        assert 'data-testid="act-' not in r.text
        assert smoke["alarm_id"] not in rows(client.get("/console/alarms", headers=HTMX).text)  # open only
        assert smoke["alarm_id"] in rows(client.get("/console/alarms?state=all", headers=HTMX).text)

    def test_r_a8_there_is_no_edit_or_delete_action(self, client, web_login, smoke):
        web_login("guard_chen")
        for verb in ("delete", "edit", "update"):
            assert client.post(f"/console/alarms/{smoke['alarm_id']}/{verb}", headers=POST).status_code == 404

    def test_without_htmx_the_action_redirects_back_to_the_alarm(self, client, web_login, smoke):
        web_login("guard_chen")
        r = client.post(f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers=ORIGIN, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/console/alarms?alarm={smoke['alarm_id']}"


class TestReview:
    def test_r_a4_person_alarm_offers_only_review_until_a_human_confirms(self, client, web_login, session, ids):
        alarm_id = raise_alarm(session, ids["A"], kind="blacklist_hit", severity="major", person_id=ids["li_person"])
        assert status_of(session, alarm_id) == "pending_review"
        web_login("guard_chen")
        panel = client.get(f"/console/alarms/{alarm_id}", headers=HTMX).text
        assert 'data-testid="act-review"' in panel and 'data-testid="act-acknowledge"' not in panel
        blocked = client.post(f"/console/alarms/{alarm_id}/acknowledge", headers=POST)
        assert blocked.status_code == 409 and "人工复核" in blocked.text
        empty = client.post(f"/console/alarms/{alarm_id}/review", data={"reason": ""}, headers=POST)
        assert empty.status_code == 422 and status_of(session, alarm_id) == "pending_review"
        ok = client.post(f"/console/alarms/{alarm_id}/review", data={"reason": "比对录像，确认是本人"}, headers=POST)
        assert ok.status_code == 200 and status_of(session, alarm_id) == "new"
        assert 'data-testid="act-acknowledge"' in ok.text


class TestPermissions:
    @pytest.mark.parametrize("username", ["resident_li", "gov_street"])
    @pytest.mark.parametrize("path", ["/console/alarms", "/console/devices"])
    def test_non_staff_get_403(self, client, web_login, username, path):
        web_login(username)
        assert client.get(path).status_code == 403

    def test_resident_cannot_act(self, client, web_login, smoke):
        web_login("resident_li")
        assert client.post(f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers=POST).status_code == 403

    def test_grid_worker_reads_but_cannot_act(self, client, web_login, session, smoke):
        web_login("grid_zhou")
        assert smoke["alarm_id"] in rows(client.get("/console/alarms").text)
        panel = client.get(f"/console/alarms/{smoke['alarm_id']}", headers=HTMX).text
        assert 'data-testid="cr-read-only"' in panel and 'data-testid="act-' not in panel
        r = client.post(f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers=POST)
        assert r.status_code == 403 and status_of(session, smoke["alarm_id"]) == "new"
        assert client.get("/console/devices").status_code == 200
        device = client.get(f"/console/devices/{smoke['device_id']}", headers=HTMX).text
        assert 'data-testid="device-send"' not in device
        assert (
            client.post(
                f"/console/devices/{smoke['device_id']}/commands", data={"command": "mute"}, headers=POST
            ).status_code
            == 403
        )

    def test_cross_site_post_is_refused(self, client, web_login, session, smoke):
        web_login("guard_chen")
        r = client.post(
            f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers={"Origin": "https://evil.example", **HTMX}
        )
        assert r.status_code == 403 and status_of(session, smoke["alarm_id"]) == "new"


class TestOutsiderScope:
    def test_outsider_sees_only_xingfuli_alarms(self, client, web_login, session, ids, smoke):
        own = raise_alarm(session, ids["B"], title="幸福里 水泵故障", kind="pump_fault")
        web_login("outsider_zhao")
        page = client.get("/console/alarms")
        assert page.status_code == 200 and "幸福里" in page.text
        assert rows(page.text) == [own]
        # Asking for 示范小区 by id changes nothing: it is not one of his compounds.
        assert rows(client.get(f"/console/alarms?compound_id={ids['A']}").text) == [own]

    def test_another_compounds_alarm_is_404_to_read_and_to_act(self, client, web_login, session, smoke):
        web_login("outsider_zhao")
        assert client.get(f"/console/alarms/{smoke['alarm_id']}", headers=HTMX).status_code == 404
        r = client.post(f"/console/alarms/{smoke['alarm_id']}/acknowledge", headers=POST)
        assert r.status_code == 404 and "陈" not in r.text
        assert status_of(session, smoke["alarm_id"]) == "new"

    def test_outsider_sees_no_devices_of_another_compound(self, client, web_login, smoke):
        web_login("outsider_zhao")
        page = client.get("/console/devices")
        assert page.status_code == 200 and smoke["key"] not in page.text and "SFXQ-" not in page.text
        assert client.get(f"/console/devices/{smoke['device_id']}", headers=HTMX).status_code == 404
        assert (
            client.post(
                f"/console/devices/{smoke['device_id']}/commands", data={"command": "mute"}, headers=POST
            ).status_code
            == 404
        )


class TestDevices:
    def test_list_shows_type_location_status_and_latest_values(self, client, web_login, smoke):
        web_login("guard_chen")
        r = client.get("/console/devices?device_type=smoke_detector&status=online")
        assert r.status_code == 200
        row = r.text.split(f'data-device-id="{smoke["device_id"]}"', 1)[1].split("</tr>", 1)[0]
        assert "烟感" in row and "3号楼1单元8层前室" in row and "在线" in row and "smoke=6.8" in row

    def test_filters_by_type_and_status(self, client, web_login, smoke):
        web_login("guard_chen")
        pumps = client.get("/console/devices?device_type=water_pump", headers=HTMX).text
        assert "SFXQ-PUMP-1" in pumps and "SFXQ-SMK-" not in pumps and smoke["key"] not in pumps
        offline = client.get("/console/devices?status=offline", headers=HTMX).text
        assert smoke["key"] not in offline
        unknown = client.get("/console/devices?status=unknown&q=PUMP", headers=HTMX).text
        assert "SFXQ-PUMP-1" in unknown

    def test_detail_shows_telemetry_and_sends_a_mute(self, client, web_login, session, smoke):
        web_login("guard_chen")
        panel = client.get(f"/console/devices/{smoke['device_id']}", headers=HTMX)
        assert panel.status_code == 200 and 'data-testid="device-send"' in panel.text
        assert "烟雾浓度 6.8 dB/m" in panel.text and "smoke=" not in panel.text
        r = client.post(
            f"/console/devices/{smoke['device_id']}/commands",
            data={"command": "mute", "reason": "误报消音"},
            headers=POST,
        )
        assert r.status_code == 200 and 'data-testid="device-issued"' in r.text
        cmd = session.execute(select(DeviceCommand).where(DeviceCommand.device_id == smoke["device_id"])).scalar_one()
        assert cmd.command == "mute" and cmd.status == CommandStatus.queued
        assert cmd.requested_by == user_id(session, "guard_chen")

    def test_a_command_the_device_does_not_take_is_refused(self, client, web_login, session, smoke):
        web_login("guard_chen")
        for bad in ("open_door", "self_destruct"):
            r = client.post(f"/console/devices/{smoke['device_id']}/commands", data={"command": bad}, headers=POST)
            assert r.status_code == 422 and 'data-testid="device-error"' in r.text
        assert (
            session.execute(select(DeviceCommand).where(DeviceCommand.device_id == smoke["device_id"])).first() is None
        )


class TestLocation:
    def test_an_alarm_without_a_device_is_placed_by_building_unit_and_floor(self, client, web_login, session, ids):
        from anju.registry.models import Building, Unit

        b = session.execute(
            select(Building).where(Building.compound_id == ids["A"], Building.number == "3")
        ).scalar_one()
        u = session.execute(select(Unit).where(Unit.building_id == b.id).order_by(Unit.number)).scalars().first()
        alarm_id = raise_alarm(session, ids["A"], building_id=b.id, unit_id=u.id, floor=5)
        web_login("guard_chen")
        panel = client.get(f"/console/alarms/{alarm_id}", headers=HTMX).text
        assert f"{b.name} · {u.number} 单元 · 5F" in panel
        plan = client.get("/console/alarms/plan", headers=HTMX).text
        assert f'class="cr-alarm-marker sev-major" data-alarm-id="{alarm_id}"' in plan  # on its building
        client.cookies.set("anju_lang", "en")
        assert f"Unit {u.number}" in client.get(f"/console/alarms/{alarm_id}", headers=HTMX).text


class TestEnglish:
    def test_control_room_and_devices_in_english(self, client, web_login, smoke):
        web_login("guard_chen")
        client.cookies.set("anju_lang", "en")
        page = client.get("/console/alarms")
        assert "Alarm centre" in page.text and "Critical" in page.text and "New" in page.text
        panel = client.get(f"/console/alarms/{smoke['alarm_id']}", headers=HTMX).text
        assert "Acknowledge" in panel and "False alarm" in panel and "History" in panel
        conflict = client.post(f"/console/alarms/{smoke['alarm_id']}/review", data={"reason": "x"}, headers=POST)
        assert conflict.status_code == 409 and "cannot review" in conflict.text and "reviewed" not in conflict.text
        devices = client.get("/console/devices").text
        assert "Smoke detector" in devices and "Online" in devices


ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


class TestHumanText:
    """Issue 17 item 4: operators read labels, units and China time, never machine text."""

    @pytest.mark.parametrize("lang", ["zh-CN", "en"])
    def test_panel_has_no_machine_text(self, client, web_login, session, smoke, lang):
        from anju.alarms.escalation import escalation_service

        escalation_service.fire_due(session, now=session.get(Alarm, smoke["alarm_id"]).created_at.replace(year=2100))
        session.flush()
        web_login("guard_chen")
        client.cookies.set("anju_lang", lang)
        panel = client.get(f"/console/alarms/{smoke['alarm_id']}", headers=HTMX).text
        text = re.sub(r"<[^>]+>", " ", panel)
        for raw in (
            "device_at",
            "smoke_high",
            "smoke_alarm",
            "rule ",
            "device:",
            "step 1",
            "1: not acknowledged",
            "for_seconds",
            "critical",
            "automation:",
            "threshold",
        ):
            assert raw not in text, raw
        assert not ISO.search(text)
        if lang == "en":
            assert "Smoke density above the limit" in text or "Smoke detector alarm" in text
            assert "Escalation level 1" in text and "Raised automatically by" in text
            assert not re.search(r"[\u4e00-\u9fff]{2,}：", panel.split('data-testid="detail-title">', 1)[1][:80])
        else:
            assert "烟雾浓度" in text and "第 1 级升级" in text and "由 " in text
        assert "4.0 dB/m" in text  # the threshold with its unit

    def test_english_inbox_titles_are_english(self, client, web_login, smoke):
        web_login("guard_chen")
        client.cookies.set("anju_lang", "en")
        inbox = client.get("/console/alarms", headers=HTMX).text
        row = inbox.split(f'data-alarm-id="{smoke["alarm_id"]}"', 1)[1].split("</li>", 1)[0]
        title = row.split('class="cr-title">', 1)[1].split("<", 1)[0]
        assert title.startswith("3号楼1单元8层前室: Smoke"), title  # the place is data; the rest is English

    def test_critical_alarm_offers_a_procedure_and_a_popup(self, client, web_login, smoke):
        web_login("guard_chen")
        panel = client.get(f"/console/alarms/{smoke['alarm_id']}", headers=HTMX).text
        assert 'data-testid="detail-procedure"' in panel and "119" in panel
        popup = client.get(f"/console/alarms/{smoke['alarm_id']}/popup", headers=HTMX)
        assert popup.status_code == 200 and "处置流程" in popup.text
        page = client.get("/console/alarms").text
        assert 'id="cr-popup"' in page and 'data-testid="cr-mute"' in page

    def test_manager_edits_the_procedure_a_guard_cannot(self, client, web_login, session, smoke):
        web_login("guard_chen")
        data = {"alarm_id": smoke["alarm_id"], "zh": "关闭总闸\n拨打119", "en": "Cut the mains\nCall 119"}
        assert client.post("/console/alarms/procedure", data=data, headers=POST).status_code == 403
        web_login("manager_wang")
        r = client.post("/console/alarms/procedure", data=data, headers=POST)
        assert r.status_code == 200 and "<li>关闭总闸</li>" in r.text
        empty = client.post("/console/alarms/procedure", data={**data, "zh": " ", "en": ""}, headers=POST)
        assert empty.status_code == 422


class TestOperatorActions:
    def test_notify_the_building_posts_an_emergency_notice_and_records_it(self, client, web_login, session, ids):
        from anju.notices.models import Notice
        from anju.registry.models import House
        from tests.conftest import run_worker_once

        house = session.get(House, ids["li_house"])
        alarm_id = raise_alarm(
            session, ids["A"], severity="critical", kind="smoke", building_id=house.building_id, house_id=house.id
        )
        web_login("guard_chen")
        panel = client.get(f"/console/alarms/{alarm_id}", headers=HTMX).text
        assert 'data-testid="detail-household"' in panel and "*" in panel  # the household, masked
        empty = client.post(f"/console/alarms/{alarm_id}/notify-building", data={"message": " "}, headers=POST)
        assert empty.status_code == 422
        r = client.post(
            f"/console/alarms/{alarm_id}/notify-building",
            data={"message": "3号楼8层烟感报警，请勿乘电梯，按指示疏散"},
            headers=POST,
        )
        assert r.status_code == 200 and 'data-testid="cr-notified"' in r.text
        assert "已向本楼住户发送紧急通知" in r.text
        session.flush()
        run_worker_once()
        notice = (
            session.execute(select(Notice).where(Notice.compound_id == ids["A"], Notice.body.contains("请勿乘电梯")))
            .scalars()
            .one()
        )
        assert notice.kind == "emergency" and notice.target_kind == "building" and notice.recipients > 0

    def test_shift_handover_summary(self, client, web_login, session, ids):
        open_id = raise_alarm(session, ids["A"], severity="critical", kind="smoke", title="交接测试告警")
        web_login("guard_chen")
        r = client.get("/console/alarms/handover")
        assert r.status_code == 200 and 'data-testid="handover-summary"' in r.text
        assert f'/console/alarms?alarm={open_id}"' in r.text  # still open: handed to the next shift
        client.cookies.set("anju_lang", "en")
        assert "Still open for the next shift" in client.get("/console/alarms/handover?hours=24").text
