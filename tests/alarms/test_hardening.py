"""Issue 20 items 13 and 7 in the alarm centre: the stream's resume id, and places from another compound."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from anju.registry.models import Building, House
from tests.web.conftest import web_login  # noqa: F401  (fixture)


def _stream(client, headers, **params):
    return client.get("/api/v1/alarms/stream", params={"max_seconds": 0.2, **params}, headers=headers)


class TestLastEventId:
    @pytest.mark.parametrize("value", ["²", "9" * 30, "9" * 5000, "-5", "１２", " 7", "7 ", "0x10", "1e3", "abc"])
    def test_unhandled_500_alarm_stream_bad_last_event_id_is_ignored(self, client, login, value):
        g = login("guard_chen")
        try:
            raw = value.encode("latin-1")  # how the server decodes header bytes: b"\xb2" arrives as "²"
        except UnicodeEncodeError:
            raw = value.encode()
        r = _stream(client, {**g, "Last-Event-ID": raw})
        assert r.status_code == 200 and r.text.startswith("retry:")

    @pytest.mark.parametrize("after", ["-1", str(2**63), "9" * 40, "²"])
    def test_unhandled_500_alarm_stream_bad_after_is_422(self, client, login, after):
        r = _stream(client, login("guard_chen"), after=after)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"

    def test_unhandled_500_alarm_stream_future_id_resumes_from_now(self, client, login, session, ids):
        from tests.alarms.test_alarm_centre import raise_

        g = login("guard_chen")
        assert client.get("/api/v1/alarms", headers=g).status_code == 200
        raise_(session, ids, title="未来编号之后")
        session.flush()
        r = _stream(client, {**g, "Last-Event-ID": str(2**63 - 1)})
        assert r.status_code == 200  # from now on: the alarm above is history, nothing is muted for ever


class TestReferencesIntoAnotherCompound:
    def _body(self, ids, **kw):
        return {"compound_id": ids["A"], "kind": "fire", "severity": "critical", "title": "电话报火警", **kw}

    def test_references_into_another_compound_alarm_building_and_house_are_404(self, client, login, session, ids):
        b_building = session.execute(select(Building.id).where(Building.compound_id == ids["B"])).scalars().first()
        b_house = session.execute(select(House.id).where(House.compound_id == ids["B"])).scalars().first()
        m = login("manager_wang")
        for kw in ({"building_id": b_building}, {"house_id": b_house}, {"building_id": 2**31 - 1}):
            r = client.post("/api/v1/alarms", json=self._body(ids, **kw), headers=m)
            assert r.status_code == 404, (kw, r.text)
            assert r.json()["error"]["code"] == "alarm_place_not_found"

    def test_references_into_another_compound_alarm_house_must_sit_in_its_building(self, client, login, session, ids):
        li_house = session.get(House, ids["li_house"])
        other = (
            session.execute(
                select(Building.id).where(Building.compound_id == ids["A"], Building.id != li_house.building_id)
            )
            .scalars()
            .first()
        )
        m = login("manager_wang")
        r = client.post("/api/v1/alarms", json=self._body(ids, building_id=other, house_id=li_house.id), headers=m)
        assert r.status_code == 404
        ok = client.post(
            "/api/v1/alarms",
            json=self._body(ids, building_id=li_house.building_id, unit_id=li_house.unit_id, house_id=li_house.id),
            headers=m,
        )
        assert ok.status_code == 201, ok.text


class TestSameFaultElsewhere:
    @pytest.mark.parametrize("value", [b"\xb2", b"9" * 30, b"-3"])
    def test_unhandled_500_guard_desk_feed_bad_last_event_id_is_ignored(self, client, web_login, value):  # noqa: F811
        """The guard desk's live feed resumed from Last-Event-ID the same way ("²".isdigit() is true)."""
        web_login("guard_chen")
        r = client.get(
            "/console/access/feed", params={"max_seconds": 0.2}, headers={"Last-Event-ID": value, "HX-Request": "true"}
        )
        assert r.status_code == 200
