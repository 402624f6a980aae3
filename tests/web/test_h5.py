"""The resident H5: my home, masked members, my data export and my privacy requests."""

from __future__ import annotations

from sqlalchemy import select

from anju.core.crypto import decrypt
from anju.registry.models import Occupancy, Person
from tests.web.conftest import ORIGIN


class TestMyHome:
    def test_shows_my_house_members_masked_and_vehicles(self, client, web_login, session, ids):
        web_login("resident_li")
        r = client.get("/h5")
        assert r.status_code == 200
        html = r.text
        assert 'data-house="3-1-0802"' in html
        assert "专有面积" in html and ("不动产登记面积" in html or "实测面积" in html or "合同面积" in html)
        members = (
            session.execute(
                select(Person)
                .join(Occupancy, Occupancy.person_id == Person.id)
                .where(Occupancy.house_id == ids["li_house"], Occupancy.ended_on.is_(None))
            )
            .scalars()
            .all()
        )
        for m in members:
            assert m.name in html
            phone = decrypt(m.phone_enc, context="person.phone")
            if phone:
                assert phone not in html and m.phone_masked in html

    def test_offers_export_and_request_form(self, client, web_login):
        web_login("resident_li")
        html = client.get("/h5").text
        assert 'href="/api/v1/me/export"' in html and "导出我的数据" in html
        assert 'action="/api/v1/me/privacy-requests"' in html and "申请删除/更正" in html
        assert "/screen" not in html  # residents have no 大屏

    def test_export_downloads_with_the_cookie(self, client, web_login):
        web_login("resident_li")
        r = client.get("/api/v1/me/export")
        assert r.status_code == 200 and r.json()["person"]["phone"]

    def test_my_requests_are_listed_with_deadline(self, client, web_login):
        web_login("resident_li")
        r = client.post(
            "/api/v1/me/privacy-requests", json={"kind": "correct", "detail": "电话号码有误"}, headers=ORIGIN
        )
        assert r.status_code == 201
        due = r.json()["due_on"]
        html = client.get("/h5").text
        listing = html.split('data-testid="my-requests"', 1)[1].split("</ul>", 1)[0]
        assert "更正补充" in listing and "处理中" in listing and due in listing

    def test_committee_member_also_gets_the_screen_link(self, client, web_login):
        web_login("committee_sun")
        html = client.get("/h5").text
        assert 'href="/screen"' in html and "业委会委员" in html

    def test_in_english(self, client, web_login):
        web_login("resident_li")
        client.cookies.set("anju_lang", "en")
        html = client.get("/h5").text
        assert "My home" in html and "Export my data" in html and '<html lang="en">' in html


def test_service_tiles_count_unread_notices_open_votes_and_unpaid_bills(client, web_login):
    web_login("resident_li")
    html = client.get("/h5").text
    # The demo gives resident_li unread notices, an open vote and unpaid bills (see sim/*_demo.py).
    for key in ("notices", "votes"):
        assert f'data-testid="badge-{key}"' in html, key
    import re

    n = re.search(r'data-testid="badge-notices">(\d+)<', html)
    assert n is not None and int(n.group(1)) >= 1
