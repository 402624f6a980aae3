"""Decoration pages (issue 18): the owner files on H5, the manager approves and inspects on the console."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from anju.core.kit.china_time import china_date
from anju.decoration.models import DecorationApplication
from tests.web.conftest import ORIGIN


def _form(ids, **kw):
    today = china_date()
    return {
        "house_id": str(ids["li_house"]),
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=10)).isoformat(),
        "scope": "卫生间防水与墙面翻新",
        "contractor": "安居装饰",
        "contractor_phone": "13611112222",
        "workers": "张师傅 13522223333\n刘师傅",
        "daily_from": "08:00",
        "daily_until": "18:00",
        "deposit_yuan": "2000",
        **kw,
    }


class TestResidentH5:
    def test_owner_files_and_sees_the_application(self, client, web_login, ids, session):
        web_login("resident_li")
        r = client.post("/h5/decoration", data=_form(ids), headers=ORIGIN, follow_redirects=True)
        assert r.status_code == 200 and 'data-testid="deco-ok"' in r.text
        app = session.execute(
            select(DecorationApplication).where(DecorationApplication.house_id == ids["li_house"])
        ).scalar_one()
        assert app.deposit_fen == 200000 and app.status == "submitted"
        assert f'data-app="{app.id}"' in r.text and "张师傅" in r.text

    def test_load_bearing_change_is_refused_with_the_rule(self, client, web_login, ids):
        web_login("resident_li")
        r = client.post(
            "/h5/decoration", data=_form(ids, touches_load_bearing="1"), headers=ORIGIN, follow_redirects=True
        )
        assert 'data-testid="deco-error"' in r.text and "承重结构" in r.text

    def test_bad_dates_are_one_line(self, client, web_login, ids):
        web_login("resident_li")
        r = client.post("/h5/decoration", data=_form(ids, start_date="soon"), headers=ORIGIN, follow_redirects=True)
        assert 'data-testid="deco-error"' in r.text

    def test_home_links_to_decoration(self, client, web_login):
        web_login("resident_li")
        assert 'data-testid="h5-link-decoration"' in client.get("/h5").text


class TestConsole:
    def test_manager_approves_then_inspection_failure_opens_an_order(self, client, web_login, ids, session):
        web_login("resident_li")
        client.post("/h5/decoration", data=_form(ids), headers=ORIGIN)
        app = session.execute(
            select(DecorationApplication).where(DecorationApplication.house_id == ids["li_house"])
        ).scalar_one()
        web_login("manager_wang")
        page = client.get("/console/decoration")
        assert page.status_code == 200 and f'data-app="{app.id}"' in page.text
        r = client.post(
            f"/console/decoration/{app.id}/approve",
            data={"conditions": "周末不得使用电锤"},
            headers=ORIGIN,
            follow_redirects=True,
        )
        assert 'data-testid="deco-ok"' in r.text
        session.refresh(app)
        assert app.status == "approved" and "周末不得使用电锤" in app.conditions
        r = client.post(
            f"/console/decoration/{app.id}/inspect",
            data={"kind": "during", "passed": "0", "note": "垃圾堆放楼道"},
            headers=ORIGIN,
            follow_redirects=True,
        )
        assert 'data-testid="deco-ok"' in r.text and "#" in r.text

    def test_guard_sees_but_cannot_approve(self, client, web_login, ids, session):
        web_login("resident_li")
        client.post("/h5/decoration", data=_form(ids), headers=ORIGIN)
        app = session.execute(
            select(DecorationApplication).where(DecorationApplication.house_id == ids["li_house"])
        ).scalar_one()
        web_login("guard_chen")
        page = client.get("/console/decoration")
        assert page.status_code == 200 and 'data-testid="deco-approve"' not in page.text
        r = client.post(f"/console/decoration/{app.id}/approve", data={}, headers=ORIGIN, follow_redirects=True)
        assert 'data-testid="deco-error"' in r.text
        session.refresh(app)
        assert app.status == "submitted"

    def test_residents_have_no_console_page(self, client, web_login):
        web_login("resident_li")
        assert client.get("/console/decoration").status_code == 403
