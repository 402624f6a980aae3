"""The console's survey builder (question rows instead of the old mini-language, with multiple choice) and the
yearly evaluation page (issue 18 item 7): a survey built from rows is answered on H5 with two ticks; the evaluation
page opens the year, shows the response rate and area names in Chinese, and the assessor's CSV holds aggregates."""

from __future__ import annotations

from sqlalchemy import select

from anju.notices.models import Survey, SurveyQuestion

ORIGIN = {"Origin": "http://testserver"}


def test_builder_rows_make_a_survey_answered_with_several_ticks(client, web_login, ids, session):
    web_login("manager_wang")
    form = {
        "title": "停车管理意见征集",
        "respondent_unit": "household",
        "q0_kind": "multiple",
        "q0_text": "您希望改进哪些方面？",
        "q0_options": "地面划线\n夜间照明\n访客车位\n",
        "q1_kind": "rating",
        "q1_text": "总体满意度",
        "q2_kind": "single",
        "q2_text": "",  # an empty row is skipped
        "q3_kind": "text",
        "q3_text": "其他建议",
    }
    r = client.post(
        f"/console/notices/surveys?compound_id={ids['A']}", data=form, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303
    s = session.execute(select(Survey).where(Survey.title == "停车管理意见征集")).scalar_one()
    qs = session.execute(select(SurveyQuestion).where(SurveyQuestion.survey_id == s.id)).scalars().all()
    assert [(q.kind, len(q.options)) for q in sorted(qs, key=lambda q: q.position)] == [
        ("multiple", 3),
        ("rating", 0),
        ("text", 0),
    ]
    bad = dict(form, q0_options="只有一个")
    assert client.post(f"/console/notices/surveys?compound_id={ids['A']}", data=bad, headers=ORIGIN).status_code == 422

    web_login("resident_li")
    multi, rating, _ = sorted(qs, key=lambda q: q.position)
    r = client.get("/h5/notices")
    assert f'type="checkbox" name="q_{multi.id}"' in r.text
    r = client.post(
        f"/h5/surveys/{s.id}",
        data={f"q_{multi.id}": ["0", "2"], f"q_{rating.id}": "4"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303
    web_login("manager_wang")
    r = client.get(f"/console/notices?compound_id={ids['A']}")
    block = r.text.split(f'data-survey="{s.id}"')[1]
    assert "地面划线 1 · 夜间照明 0 · 访客车位 1" in block


def test_evaluation_page_opens_the_year_and_exports_aggregates(client, web_login, ids):
    web_login("manager_wang")
    q = f"?compound_id={ids['A']}"
    r = client.get(f"/console/evaluation{q}&year=2026")
    assert "2026 年尚未开展满意度评价" in r.text
    r = client.post(f"/console/evaluation/2026/open{q}", headers=ORIGIN, follow_redirects=True)
    assert "年度满意度调查已开展" in r.text and "治安安防" in r.text and "参与率" in r.text
    assert "security" not in r.text.replace('data-area="security"', "")
    r = client.get(f"/console/evaluation/2026/export.csv{q}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("year,area,question,score") and len(lines) == 8  # one line per area, nothing more
    r = client.get(f"/console/evaluation{q}&year=2026")
    assert "上次导出" in r.text
    web_login("resident_li")
    assert client.get(f"/console/evaluation{q}").status_code == 403
