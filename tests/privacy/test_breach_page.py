"""R-P7 in the console: breach incidents with the state of both notices and their deadlines in China time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anju.core.db import utcnow
from anju.core.kit.china_time import china_text
from anju.privacy.breach_service import breach_service
from anju.privacy.schemas import BreachCreate


def _record(session, persona, ids, hours_ago: int):
    return breach_service.record(
        session,
        who=persona("manager_wang").who,
        data=BreachCreate(
            compound_id=ids["A"],
            title="访客登记表遗失",
            discovered_at=datetime.now(UTC) - timedelta(hours=hours_ago),
            data_types=["姓名", "手机号"],
            cause="纸质登记表在岗亭遗失",
            possible_harm="访客手机号可能被滥用",
            remedies="改为电子登记，纸表当日销毁",
            advice="留意陌生来电",
            contacts="物业服务中心 0571-00000000",
            affected_people=[ids["li_person"]],
        ),
    )


def test_r_p7_the_console_shows_each_notice_due_or_sent_and_flags_the_overdue(client, web_login, session, persona, ids):
    late = _record(session, persona, ids, hours_ago=48)
    fresh = _record(session, persona, ids, hours_ago=1)
    breach_service.flag_overdue(session, now=utcnow())
    breach_service.notify_regulator(session, who=persona("manager_wang").who, incident_id=fresh.id)
    session.flush()
    web_login("manager_wang")
    html = client.get("/console/privacy/breaches").text
    late_row = html.split(f'data-breach="{late.id}"', 1)[1].split("</tr>", 1)[0]
    assert "姓名、手机号" in late_row and "已逾期" in late_row and china_text(late.regulator_due_at) in late_row
    fresh_row = html.split(f'data-breach="{fresh.id}"', 1)[1].split("</tr>", 1)[0]
    assert "已逾期" not in fresh_row and "通知中" in fresh_row and "T" not in china_text(fresh.regulator_notified_at)
    assert "recorded" not in html and "notifying" not in html  # labels, never enum values
    assert 'href="/console/privacy/breaches"' in client.get("/console/privacy").text


def test_r_p7_the_breach_page_is_for_privacy_staff_of_the_compound(client, web_login, session, persona, ids):
    _record(session, persona, ids, hours_ago=1)
    web_login("outsider_zhao")
    assert "data-breach=" not in client.get("/console/privacy/breaches").text


def test_r_f6_the_h5_request_form_offers_the_ground_of_breached_face_terms(client, web_login):
    web_login("resident_li")
    html = client.get("/h5").text
    assert 'data-testid="privacy-ground"' in html and 'value="face_terms_breached"' in html
    assert "物业违反了人脸信息处理约定" in html and "删除人脸信息" in html


@pytest.mark.browser
def test_r_f6_a_resident_asks_for_face_deletion_on_the_ground_of_breached_terms(browser, live_server):
    from tests.web.browser import PHONE, sign_in

    page = sign_in(browser, live_server, "resident_li", PHONE)
    try:
        page.select_option('#privacy-request-form select[name="kind"]', "delete_face")
        page.select_option('#privacy-request-form select[name="ground"]', "face_terms_breached")
        page.fill('#privacy-request-form textarea[name="detail"]', "人脸照片被用于广告")
        with page.expect_navigation():
            page.click('#privacy-request-form button[type="submit"]')
        assert "删除人脸信息" in page.inner_text('[data-testid="my-requests"]')
    finally:
        page.context.close()
