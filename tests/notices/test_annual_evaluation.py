"""The yearly satisfaction evaluation (issue 18 item 7): the standard question set per service area, anonymous,
one answer per household; per-area scores with the response rate and the change from the year before; the
third-party assessor's export holds aggregates only and the hand-over is recorded."""

from __future__ import annotations

from sqlalchemy import func, select

from anju.notices.evaluation import AREAS
from anju.notices.models import SurveyQuestion, SurveyResponse
from anju.registry.models import Occupancy
from anju.registry.occupancy import current_occupancy_clause


def _open(client, login, ids, year):
    r = client.post(f"/api/v1/evaluations/{ids['A']}/{year}", headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    return r.json()


def _answer(client, login, ids, session, survey_id, scores):
    questions = session.execute(
        select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id).order_by(SurveyQuestion.position)
    ).scalars()
    answers = {str(q.id): s for q, s in zip(questions, scores, strict=True)}
    return client.post(
        f"/api/v1/surveys/{survey_id}/responses",
        headers=login("resident_li"),
        json={"house_id": ids["li_house"], "answers": answers},
    )


def test_standard_survey_once_per_household_scores_rate_and_year_on_year(client, login, ids, session):
    last = _open(client, login, ids, 2025)
    assert _answer(client, login, ids, session, last["survey_id"], [3, 3, 4, 2, 3, 3, 3]).status_code == 204
    this = _open(client, login, ids, 2026)
    assert _open(client, login, ids, 2026)["survey_id"] == this["survey_id"]  # once per compound and year
    assert _answer(client, login, ids, session, this["survey_id"], [5, 4, 4, 3, 3, 4, 4]).status_code == 204
    again = _answer(client, login, ids, session, this["survey_id"], [1, 1, 1, 1, 1, 1, 1])
    assert again.status_code == 409  # one answer per household
    anon = session.execute(select(SurveyResponse).where(SurveyResponse.survey_id == this["survey_id"])).scalar_one()
    assert anon.person_id is None and anon.house_id is None  # anonymous as the existing surveys

    rep = client.get(f"/api/v1/evaluations/{ids['A']}/2026", headers=login("manager_wang")).json()
    households = session.execute(
        select(func.count(func.distinct(Occupancy.house_id))).where(
            Occupancy.compound_id == ids["A"], current_occupancy_clause()
        )
    ).scalar_one()
    assert rep["responses"] == 1 and rep["households"] == households
    assert rep["response_rate"] == round(1 / households, 4)
    by_area = {a["area"]: a for a in rep["areas"]}
    assert [a for a, _ in AREAS] == [a["area"] for a in rep["areas"]]
    assert by_area["security"] == {**by_area["security"], "score": 5.0, "previous": 3.0, "change": 2.0}
    assert by_area["repairs"]["change"] == 1.0 and by_area["overall"]["score"] == 4.0

    r = client.put(
        f"/api/v1/evaluations/{ids['A']}/2026/assessor",
        headers=login("manager_wang"),
        json={"assessor": "某某第三方评估有限公司", "ref": "评估合同 2026-18"},
    )
    assert r.status_code == 200
    csv = client.get(f"/api/v1/evaluations/{ids['A']}/2026/export.csv", headers=login("manager_wang"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 1 + len(AREAS) and lines[0].startswith("year,area,question,score")
    assert "3-1-0802" not in csv.text and "person" not in csv.text and "building" not in csv.text  # aggregates only


def test_only_the_compounds_managers_run_the_evaluation(client, login, ids):
    assert client.post(f"/api/v1/evaluations/{ids['A']}/2026", headers=login("resident_li")).status_code == 403
    assert client.post(f"/api/v1/evaluations/{ids['A']}/2026", headers=login("outsider_zhao")).status_code == 404
    assert client.get(f"/api/v1/evaluations/{ids['A']}/2019", headers=login("manager_wang")).status_code == 404
