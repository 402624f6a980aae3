"""Console pages render the data they promise: layout, houses, vehicles, import, privacy, dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from anju.core.kit.china_time import china_date
from anju.privacy.models import PrivacyRequest
from anju.registry.models import Building, House, Person, Vehicle
from tests.web.conftest import HTMX, ORIGIN


class TestDashboard:
    def test_shows_compound_counts(self, client, web_login, session, ids):
        # Staff see the compound's counts; a manager's 工作台 shows to-dos instead (issue 11 item 7).
        web_login("staff_liu")
        html = client.get("/console").text
        residents = re.search(r'data-kpi="residents">(\d+)<', html).group(1)
        api = client.get(f"/api/v1/analytics/overview?compound_id={ids['A']}").json()
        assert int(residents) == api["residents"]


class TestCompounds:
    def test_tree_and_site_plan(self, client, web_login, session, ids):
        web_login("staff_liu")
        html = client.get("/console/compounds").text
        n_buildings = session.execute(
            select(func.count()).select_from(Building).where(Building.compound_id == ids["A"])
        ).scalar_one()
        assert html.count('class="plan-building"') == n_buildings
        assert html.count('class="tree-building"') == n_buildings
        assert "<svg" in html and "南门" in html and "3号楼" in html


class TestHouses:
    def test_paginates_and_filters_with_htmx(self, client, web_login, session, ids):
        web_login("manager_wang")
        html = client.get("/console/houses").text
        assert 'id="house-filters"' in html and "hx-get" in html
        total = session.execute(
            select(func.count()).select_from(House).where(House.compound_id == ids["A"])
        ).scalar_one()
        assert f"共 {total} 条" in html
        r = client.get("/console/houses?q=3-1-0802", headers=HTMX)
        assert "<html" not in r.text
        assert re.findall(r'data-house="(\d+)"', r.text) == [str(ids["li_house"])]
        assert "不动产登记面积" in r.text or "实测面积" in r.text or "合同面积" in r.text

    def test_status_and_building_filters(self, client, web_login, session, ids):
        web_login("manager_wang")
        b = session.execute(
            select(Building).where(Building.compound_id == ids["A"], Building.number == "2")
        ).scalar_one()
        r = client.get(f"/console/houses?status=rented&building_id={b.id}", headers=HTMX)
        shown = [int(i) for i in re.findall(r'data-house="(\d+)"', r.text)]
        houses = session.execute(select(House).where(House.id.in_(shown))).scalars().all()
        assert houses and all(h.status == "rented" and h.building_id == b.id for h in houses)

    def test_second_page(self, client, web_login):
        web_login("manager_wang")
        first = re.findall(r'data-house="(\d+)"', client.get("/console/houses", headers=HTMX).text)
        second = re.findall(r'data-house="(\d+)"', client.get("/console/houses?page=2", headers=HTMX).text)
        assert first and second and not set(first) & set(second)


class TestVehicles:
    def test_lists_plates_with_house_and_owner(self, client, web_login, session, ids):
        web_login("guard_chen")
        v = (
            session.execute(select(Vehicle).where(Vehicle.compound_id == ids["A"]).order_by(Vehicle.id))
            .scalars()
            .first()
        )
        html = client.get("/console/vehicles").text
        assert v.plate in html
        r = client.get(f"/console/vehicles?plate={v.plate[-4:]}", headers=HTMX)
        assert v.plate in r.text and "<html" not in r.text


class TestImport:
    def test_form_posts_to_the_roster_api(self, client, web_login):
        web_login("manager_wang")
        html = client.get("/console/import").text
        assert 'action="/api/v1/roster/import"' in html and 'enctype="multipart/form-data"' in html
        for name in ("file", "compound_id", "all_or_nothing", "dry_run"):
            assert f'name="{name}"' in html
        assert 'data-testid="roster-export"' in html

    def test_roster_api_accepts_the_form_with_the_cookie(self, client, web_login, ids):
        web_login("manager_wang")
        csv = "姓名,手机,房屋,关系\n测试甲,13912340000,3-1-0802,家属\n测试乙,123,9-9-9999,业主\n".encode()
        r = client.post(
            "/api/v1/roster/import",
            headers=ORIGIN,
            data={"compound_id": str(ids["A"]), "dry_run": "true", "all_or_nothing": "false"},
            files={"file": ("roster.csv", csv, "text/csv")},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total_rows"] == 2 and body["committed"] is False
        assert {e["row"] for e in body["errors"]} == {3}
        assert all({"row", "column", "message"} <= set(e) for e in body["errors"])


class TestPrivacy:
    def test_lists_open_requests_with_deadline_and_overdue_flag(self, client, web_login, session, ids):
        web_login("resident_li")
        assert (
            client.post(
                "/api/v1/me/privacy-requests", json={"kind": "delete", "detail": "搬走了"}, headers=ORIGIN
            ).status_code
            == 201
        )
        req = session.execute(select(PrivacyRequest).where(PrivacyRequest.person_id == ids["li_person"])).scalar_one()
        req.due_on = china_date() - timedelta(days=1)
        session.flush()
        web_login("manager_wang")
        html = client.get("/console/privacy").text
        row = html.split(f'data-request="{req.id}"', 1)[1].split("</tr>", 1)[0]
        assert "删除" in row and "搬走了" in row and str(req.due_on) in row and "已逾期" in row
        li = session.get(Person, ids["li_person"])
        assert li.name in row

    def test_other_compound_sees_none_of_them(self, client, web_login):
        web_login("resident_li")
        client.post("/api/v1/me/privacy-requests", json={"kind": "correct"}, headers=ORIGIN)
        web_login("outsider_zhao")
        assert "data-request=" not in client.get("/console/privacy?status=all").text
