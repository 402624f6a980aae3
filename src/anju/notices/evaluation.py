"""The yearly satisfaction evaluation (issue 18 item 7), built on the notices domain's surveys.

- One per compound and year: a standard, anonymous survey answered once per household (the surveys' own
  participation key), with a 1–5 rating for each service area and overall.
- The report: the average per area, the number of answers and the response rate (answering households over
  households with current occupants), and the change from the year before where there was one.
- The export for a third-party assessor holds aggregates only (no person, house or building below the survey's
  k-anonymity floor: this export has no breakdown at all); handing it over is recorded with the assessor's name.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.errors import NotFound
from anju.notices.enums import QuestionKind, RespondentUnit
from anju.notices.models import AnnualEvaluation
from anju.notices.permissions import NoticesPerm
from anju.notices.schemas import QuestionIn, SurveyCreate
from anju.notices.service import survey_service
from anju.registry.occupancy import occupied_house_count

# The standard question set: (area key, the question residents see).
AREAS: tuple[tuple[str, str], ...] = (
    ("security", "治安安防：门岗、巡逻、监控与消防安全"),
    ("cleaning", "保洁卫生：公共区域清洁与垃圾清运"),
    ("greening", "绿化养护：绿地、树木与景观"),
    ("repairs", "维修服务：报修响应速度与维修质量"),
    ("fees", "收费管理：收费标准、账目与公共收益公开"),
    ("communication", "沟通回应：投诉建议的回应与信息公开"),
    ("overall", "总体满意度"),
)


def _scope(who: Principal, compound_id: int) -> None:
    who.require(NoticesPerm.manage)
    if not who.is_staff or not who.in_scope(compound_id):
        raise NotFound("compound not found", zh="未找到该小区")


class EvaluationService:
    def open(
        self, session: Session, *, who: Principal, compound_id: int, year: int, closes_at: datetime | None = None
    ) -> AnnualEvaluation:
        """Open the year's standard survey; asking again for the same year returns the one already open."""
        _scope(who, compound_id)
        prior = self.find(session, compound_id=compound_id, year=year)
        if prior is not None:
            return prior
        survey = survey_service.create(
            session,
            by=who,
            data=SurveyCreate(
                compound_id=compound_id,
                title=f"{year} 年度物业服务满意度调查",
                description="每户一份，匿名作答；1 分为很不满意，5 分为很满意。结果仅以汇总形式公布并提交第三方评估。",
                anonymous=True,
                respondent_unit=RespondentUnit.household,
                closes_at=closes_at,
                questions=[QuestionIn(kind=QuestionKind.rating, text=text) for _, text in AREAS],
            ),
        )
        row = AnnualEvaluation(compound_id=compound_id, year=year, survey_id=survey.id, user_id=who.user_id)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # Two managers at once: the first one's evaluation stands (this request's survey rolls back with it).
            raise NotFound("the evaluation was opened meanwhile: reload", zh="年度评价已由他人创建，请刷新") from None
        return row

    def find(self, session: Session, *, compound_id: int, year: int) -> AnnualEvaluation | None:
        return session.execute(
            select(AnnualEvaluation).where(AnnualEvaluation.compound_id == compound_id, AnnualEvaluation.year == year)
        ).scalar_one_or_none()

    def report(self, session: Session, *, who: Principal, compound_id: int, year: int) -> dict[str, Any]:
        """Per-area averages, answers, response rate, and the change from the previous year."""
        _scope(who, compound_id)
        ev = self.find(session, compound_id=compound_id, year=year)
        if ev is None:
            raise NotFound(f"no evaluation for {year}", zh=f"{year} 年尚未开展满意度评价")
        scores, responses = self._scores(session, who, ev)
        before = self.find(session, compound_id=compound_id, year=year - 1)
        prev = self._scores(session, who, before)[0] if before is not None else {}
        households = occupied_house_count(session, [compound_id])
        areas = []
        for key, text in AREAS:
            now, then = scores.get(key), prev.get(key)
            change = round(now - then, 2) if now is not None and then is not None else None
            areas.append({"area": key, "question": text, "score": now, "previous": then, "change": change})
        return {
            "year": year,
            "survey_id": ev.survey_id,
            "responses": responses,
            "households": households,
            "response_rate": round(responses / households, 4) if households else None,
            "areas": areas,
            "assessor": ev.assessor,
            "assessor_ref": ev.assessor_ref,
        }

    def export_csv(self, session: Session, *, who: Principal, compound_id: int, year: int, now: datetime) -> str:
        """The assessor's file: aggregates only (one line per area), and the hand-over recorded."""
        rep = self.report(session, who=who, compound_id=compound_id, year=year)
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(
            ["year", "area", "question", "score", "previous_year", "change", "responses", "households", "response_rate"]
        )
        for a in rep["areas"]:
            w.writerow(
                [
                    year,
                    a["area"],
                    a["question"],
                    a["score"],
                    a["previous"],
                    a["change"],
                    rep["responses"],
                    rep["households"],
                    rep["response_rate"],
                ]
            )
        ev = self.find(session, compound_id=compound_id, year=year)
        assert ev is not None
        ev.exported_at = now
        session.flush()
        return out.getvalue()

    def record_assessor(
        self, session: Session, *, who: Principal, compound_id: int, year: int, assessor: str, ref: str
    ) -> AnnualEvaluation:
        """The third-party evaluation: who assessed the year, under which contract or report."""
        _scope(who, compound_id)
        ev = self.find(session, compound_id=compound_id, year=year)
        if ev is None:
            raise NotFound(f"no evaluation for {year}", zh=f"{year} 年尚未开展满意度评价")
        ev.assessor, ev.assessor_ref = assessor.strip()[:64], ref.strip()[:128] or None
        session.flush()
        return ev

    @staticmethod
    def _scores(session: Session, who: Principal, ev: AnnualEvaluation) -> tuple[dict[str, float | None], int]:
        res = survey_service.results(session, by=who, survey_id=ev.survey_id)
        ratings = [q for q in res["questions"] if q["kind"] == QuestionKind.rating]
        scores = {key: q.get("average") for (key, _), q in zip(AREAS, ratings, strict=False)}
        return scores, int(res["responses"])


evaluation_service = EvaluationService()
