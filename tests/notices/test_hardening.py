"""Issue 20 item 8 (notices part): the survey id oracle and k-anonymous survey results; the async
handlers that called the database on the event loop."""

from __future__ import annotations

import inspect
import secrets

from sqlalchemy import select

from anju.notices.models import SurveyResponse
from anju.notices.service import MIN_GROUP
from anju.registry.models import Building
from tests.notices.test_surveys import _create, _qids


def _results(client, login, survey_id, who="committee_sun"):
    return client.get(f"/api/v1/surveys/{survey_id}/results", headers=login(who))


class TestSurveyIdOracle:
    def test_survey_id_oracle_street_office_gets_one_answer_for_existing_and_missing(self, client, login, ids):
        s = _create(client, login, ids)
        existing = _results(client, login, s["id"], who="gov_street")
        missing = _results(client, login, s["id"] + 10_000, who="gov_street")
        assert existing.status_code == missing.status_code == 403
        assert existing.json() == missing.json()

    def test_survey_id_oracle_resident_answering_and_reading(self, client, login, ids):
        s = _create(client, login, ids)
        for who in ("resident_li", "gov_street", "guard_chen"):
            a = _results(client, login, s["id"], who=who)
            b = _results(client, login, s["id"] + 10_000, who=who)
            assert (a.status_code, a.json()) == (b.status_code, b.json()), who
        # Someone who may not answer surveys: the same refusal for any id.
        for who in ("gov_street", "manager_wang"):
            a = client.post(f"/api/v1/surveys/{s['id']}/responses", json={"answers": {}}, headers=login(who))
            b = client.post(f"/api/v1/surveys/{s['id'] + 10_000}/responses", json={"answers": {}}, headers=login(who))
            assert (a.status_code, a.json()) == (b.status_code, b.json()), who

    def test_survey_id_oracle_other_compound_staff_gets_404_for_both(self, client, login, ids):
        s = _create(client, login, ids)
        assert _results(client, login, s["id"], who="outsider_zhao").status_code == 404
        assert _results(client, login, s["id"] + 10_000, who="outsider_zhao").status_code == 404


def _plant(session, survey_id: int, rating_qid: int, sizes: dict[int, int]) -> None:
    for building_id, n in sizes.items():
        for k in range(n):
            session.add(
                SurveyResponse(
                    id=secrets.token_hex(16),
                    survey_id=survey_id,
                    building_id=building_id,
                    answers={str(rating_qid): 1 + (k % 5)},
                )
            )
    session.flush()


def _buildings(session, ids) -> list[int]:
    return list(
        session.execute(select(Building.id).where(Building.compound_id == ids["A"]).order_by(Building.id)).scalars()
    )


class TestKAnonymousResults:
    def test_k_anonymous_results_small_buildings_are_merged(self, client, login, session, ids):
        s = _create(client, login, ids)
        b = _buildings(session, ids)
        assert len(b) >= 3
        _plant(session, s["id"], _qids(session, s["id"])[0], {b[0]: 6, b[1]: 5, b[2]: 3})
        data = _results(client, login, s["id"]).json()
        assert data["responses"] == 14 and data["min_group"] == MIN_GROUP >= 5
        rows = data["by_building"]
        assert all(r["responses"] >= MIN_GROUP for r in rows)
        # 3 < k, so the smallest building shown (5) joins it: nothing can be found by subtraction.
        assert [(r["building_id"], r["responses"]) for r in rows] == [(b[0], 6), (None, 8)]
        assert rows[1]["merged_buildings"] == 2 and data["merged_buildings"] == 2

    def test_k_anonymous_results_too_few_answers_are_not_broken_down(self, client, login, session, ids):
        s = _create(client, login, ids)
        b = _buildings(session, ids)
        _plant(session, s["id"], _qids(session, s["id"])[0], {b[0]: 1, b[1]: 2})
        data = _results(client, login, s["id"]).json()
        assert data["responses"] == 3 and data["by_building"] == [] and data["breakdown_suppressed"] is True

    def test_k_anonymous_results_named_survey_keeps_every_building(self, client, login, session, ids):
        s = _create(client, login, ids, anonymous=False)
        b = _buildings(session, ids)
        _plant(session, s["id"], _qids(session, s["id"])[0], {b[0]: 1, b[1]: 2})
        data = _results(client, login, s["id"]).json()
        assert sorted(r["responses"] for r in data["by_building"]) == [1, 2] and data["min_group"] is None

    def test_k_anonymous_results_console_says_so(self, client, login, web_login, session, ids):
        _create(client, login, ids)
        web_login("committee_sun")
        page = client.get(f"/console/notices?compound_id={ids['A']}")
        assert page.status_code == 200 and 'data-testid="k-anonymity"' in page.text


class TestNoBlockingAsyncHandlers:
    def test_async_handlers_publishing_answers_and_callback_are_plain_def(self):
        from anju.fees import endpoints as fees_api
        from anju.web import notices_pages

        for fn in (
            fees_api.provider_callback,
            notices_pages.publish_notice,
            notices_pages.create_survey,
            notices_pages.answer_survey,
            notices_pages.set_mutes,
        ):
            assert not inspect.iscoroutinefunction(fn), fn.__name__


class TestSeams:
    def test_notices_seam_reads_no_governance_table_and_no_web_module(self):
        """Issue 10 item 4: a vote notice is written from what the event carries."""
        import ast
        from pathlib import Path

        import anju.notices

        bad = []
        for f in Path(anju.notices.__file__).parent.glob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                for name in names:
                    if name.startswith("anju.web") or name in ("anju.governance.models", "anju.governance.repository"):
                        bad.append(f"{f.name}: {name}")
        assert bad == []


class TestOutOfRangeTimes:
    """Issue 20 item 13, same class in notices: a survey deadline or outage window without a UTC offset or
    at the calendar's edge was a 500 (the database layer refused it); now a 422 with the field."""

    def test_unhandled_500_survey_deadline_and_outage_window(self, client, login, session, ids):
        b = _buildings(session, ids)[0]
        survey = {"compound_id": ids["A"], "title": "t", "questions": [{"kind": "rating", "text": "q"}]}
        outage = {
            "compound_id": ids["A"],
            "kind": "outage",
            "title": "停水",
            "body": "b",
            "outage_kind": "water",
            "outage_buildings": [b],
        }
        for bad in ("2030-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
            r = client.post("/api/v1/surveys", json={**survey, "closes_at": bad}, headers=login("committee_sun"))
            assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "closes_at", bad
            r = client.post(
                "/api/v1/notices",
                json={**outage, "window_start": bad, "window_end": "2030-01-02T00:00:00+08:00"},
                headers=login("manager_wang"),
            )
            assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "window_start", bad
        ok = client.post(
            "/api/v1/surveys", json={**survey, "closes_at": "2030-01-01T00:00:00+08:00"}, headers=login("committee_sun")
        )
        assert ok.status_code == 201
        ok = client.post(
            "/api/v1/notices",
            json={**outage, "window_start": "2030-01-01T09:00:00+08:00", "window_end": "2030-01-01T17:00:00+08:00"},
            headers=login("manager_wang"),
        )
        assert ok.status_code == 201, ok.text
