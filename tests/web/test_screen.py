"""The 数据大屏: real aggregate numbers, scoped like the analytics API."""

from __future__ import annotations

import json
import re

import pytest


def _embedded(html):
    found = re.search(r'<script type="application/json" id="screen-data">(.*?)</script>', html, re.DOTALL)
    return json.loads(found.group(1))


@pytest.mark.parametrize("username", ["gov_street", "manager_wang", "committee_sun", "admin"])
def test_numbers_match_the_analytics_api(client, web_login, username):
    web_login(username)
    html = client.get("/screen").text
    api = client.get("/api/v1/analytics/overview").json()
    assert _embedded(html) == api
    assert re.search(r'data-kpi="residents">(\d+)<', html).group(1) == str(api["residents"])
    assert re.search(r'data-kpi="households">(\d+)<', html).group(1) == str(api["households"])


def test_street_office_sees_both_compounds_and_can_pick_one(client, web_login, ids):
    web_login("gov_street")
    html = client.get("/screen").text
    assert "示范小区" in html and "幸福里" in html and "全部小区" in html
    one = client.get(f"/screen?compound_id={ids['B']}").text
    api = client.get(f"/api/v1/analytics/overview?compound_id={ids['B']}").json()
    assert _embedded(one)["residents"] == api["residents"] < _embedded(html)["residents"]


def test_loads_echarts_from_our_own_static_files(client, web_login):
    web_login("gov_street")
    html = client.get("/screen").text
    assert 'src="/static/vendor/echarts.min.js' in html and "cdn" not in html.lower()
    for chart in (
        "chart-age",
        "chart-building",
        "chart-house",
        "chart-pop",
        "chart-gender",
        "chart-tags",
        "chart-vehicles",
    ):
        assert f'id="{chart}"' in html


def test_static_files_are_served(client):
    assert client.get("/static/anju.css").status_code == 200
    assert client.get("/static/screen.js").status_code == 200
