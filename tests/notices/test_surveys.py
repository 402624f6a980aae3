"""Surveys (物业满意度): one answer per household/person, anonymous answers unlinkable to the
respondent, results by building."""

from __future__ import annotations

from sqlalchemy import inspect, select

from anju.notices.models import (
    Survey,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
)
from anju.registry.models import House
from tests.web.conftest import ORIGIN


def _create(client, login, ids, **extra) -> dict:
    body = {
        "compound_id": ids["A"],
        "title": "满意度",
        "anonymous": True,
        "questions": [
            {"kind": "rating", "text": "总体"},
            {"kind": "single", "text": "及时？", "options": ["是", "否"]},
            {"kind": "text", "text": "建议"},
        ],
        **extra,
    }
    r = client.post("/api/v1/surveys", json=body, headers=login("committee_sun"))
    assert r.status_code == 201, r.text
    return r.json()


def _qids(session, survey_id: int) -> list[int]:
    return list(
        session.execute(
            select(SurveyQuestion.id).where(SurveyQuestion.survey_id == survey_id).order_by(SurveyQuestion.position)
        ).scalars()
    )


def _answer(client, login, session, survey_id: int, who="resident_li", rating=4, choice=0, text="很好"):
    q = _qids(session, survey_id)
    return client.post(
        f"/api/v1/surveys/{survey_id}/responses",
        headers=login(who),
        json={"answers": {str(q[0]): rating, str(q[1]): choice, str(q[2]): text}},
    )


class TestOneAnswerEach:
    def test_one_answer_per_household(self, client, login, session, ids):
        s = _create(client, login, ids)
        assert _answer(client, login, session, s["id"]).status_code == 204
        again = _answer(client, login, session, s["id"], rating=1)
        assert again.status_code == 409 and again.json()["error"]["code"] == "survey_already_answered"
        assert len(session.execute(select(SurveyResponse).where(SurveyResponse.survey_id == s["id"])).all()) == 1

    def test_bad_answers_are_refused(self, client, login, session, ids):
        s = _create(client, login, ids)
        for rating, choice in ((6, 0), (0, 0), ("x", 0), (3, 5)):
            r = _answer(client, login, session, s["id"], rating=rating, choice=choice)
            assert r.status_code == 422, (rating, choice)
        assert session.execute(select(SurveyParticipation).where(SurveyParticipation.survey_id == s["id"])).all() == []

    def test_closed_survey_takes_no_answers(self, client, login, session, ids):
        s = _create(client, login, ids)
        assert client.post(f"/api/v1/surveys/{s['id']}/close", headers=login("committee_sun")).status_code == 200
        assert _answer(client, login, session, s["id"]).status_code == 409


class TestAnonymity:
    def test_anonymous_answer_has_no_link_to_the_person(self, client, login, session, ids):
        s = _create(client, login, ids)
        assert _answer(client, login, session, s["id"], text="独一无二的建议").status_code == 204
        resp = session.execute(select(SurveyResponse).where(SurveyResponse.survey_id == s["id"])).scalar_one()
        assert resp.person_id is None and resp.house_id is None
        # No column of the response can be joined to the participation row: no person, house,
        # time or sequential id; only the building (for results) and a random key.
        cols = {c.key for c in inspect(SurveyResponse).columns}
        assert cols == {"id", "survey_id", "building_id", "person_id", "house_id", "answers"}
        part = session.execute(select(SurveyParticipation).where(SurveyParticipation.survey_id == s["id"])).scalar_one()
        assert part.person_id == ids["li_person"] and part.respondent_key == f"house:{ids['li_house']}"
        assert not resp.id.isdigit() and len(resp.id) == 32 and str(part.id) != resp.id
        assert str(ids["li_person"]) not in str(resp.answers.values())

    def test_named_survey_keeps_the_link(self, client, login, session, ids):
        s = _create(client, login, ids, anonymous=False)
        _answer(client, login, session, s["id"])
        resp = session.execute(select(SurveyResponse).where(SurveyResponse.survey_id == s["id"])).scalar_one()
        assert resp.person_id == ids["li_person"] and resp.house_id == ids["li_house"]


class TestResults:
    def test_results_by_building(self, client, login, session, ids):
        # A named survey: an anonymous one is never broken down into groups under k (test_hardening.py).
        s = _create(client, login, ids, respondent_unit="person", anonymous=False)
        _answer(client, login, session, s["id"], rating=5, choice=1)
        _answer(client, login, session, s["id"], who="committee_sun", rating=2, choice=0)
        r = client.get(f"/api/v1/surveys/{s['id']}/results", headers=login("committee_sun"))
        assert r.status_code == 200
        data = r.json()
        assert data["responses"] == 2
        rating = data["questions"][0]
        assert rating["average"] == 3.5 and rating["distribution"]["5"] == 1 and rating["distribution"]["2"] == 1
        assert [c["n"] for c in data["questions"][1]["counts"]] == [1, 1]
        li_building = session.get(House, ids["li_house"]).building_id
        row = next(b for b in data["by_building"] if b["building_id"] == li_building)
        assert row["responses"] >= 1
        assert sum(b["responses"] for b in data["by_building"]) == 2

    def test_residents_cannot_read_results(self, client, login, ids):
        s = _create(client, login, ids)
        assert client.get(f"/api/v1/surveys/{s['id']}/results", headers=login("resident_li")).status_code == 403

    def test_demo_survey_is_answered_from_the_h5_page(self, client, web_login, session, ids):
        web_login("resident_li")
        demo = (
            session.execute(select(Survey).where(Survey.compound_id == ids["A"]).order_by(Survey.id)).scalars().first()
        )
        q = _qids(session, demo.id)
        page = client.get("/h5/notices")
        assert f'data-survey="{demo.id}"' in page.text
        r = client.post(
            f"/h5/surveys/{demo.id}",
            headers=ORIGIN,
            follow_redirects=False,
            data={f"q_{q[0]}": "5", f"q_{q[1]}": "4", f"q_{q[2]}": "0", f"q_{q[3]}": "保洁很好"},
        )
        assert r.status_code == 303, r.text
        assert 'data-testid="survey-done"' in client.get("/h5/notices").text
        resp = session.execute(select(SurveyResponse).where(SurveyResponse.survey_id == demo.id)).scalar_one()
        assert resp.person_id is None and resp.answers[str(q[0])] == 5
