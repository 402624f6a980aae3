"""Safety education (安全教育, issue 18 item 6): campaigns for an audience, read tracking, a short quiz, coverage.

- Audiences are drawn from the registry (through its service) on the day a campaign is published, from the current
  residents of the compound or of one building:
  - elderly: 60 or over (birth date, China date) or tagged as elderly living alone — anti-fraud first;
  - children: every resident of a household with a minor (tagged, or under 18): children and their parents;
  - tenants: tenants and the floating population (migrant workers);
  - everyone.
  Those residents become the campaign's targets (one row each): the coverage denominator is fixed at publication,
  so people moving in later do not change last month's figures.
- A target opens it on H5: read once (the first time stands). Anyone else gets 404 (no oracle of campaigns).
- The quiz is answered once per person (compare-and-set on the target's quiz time): a second answer is a 409 and
  changes nothing. The score is the number of right answers; the answers themselves are not kept.
- Coverage on the console: per campaign and per audience, targets, read, quizzed and the average score.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.errors import NotFound
from anju.core.kit.china_time import china_date
from anju.volunteers.enums import EducationAudience
from anju.volunteers.exceptions import BadQuizAnswers, CampaignNotFound, QuizAlreadyAnswered
from anju.volunteers.models import EducationCampaign, EducationTarget
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.schemas import CampaignIn

ELDERLY_AGE = 60
ADULT_AGE = 18


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def audience_members(facts: list[Any], audience: EducationAudience, today: date) -> set[int]:
    """Person ids of an audience, from the registry's current-resident facts (pure: tested on its own)."""
    if audience == EducationAudience.everyone:
        return {f.person_id for f in facts}
    if audience == EducationAudience.elderly:
        return {
            f.person_id
            for f in facts
            if "elderly_alone" in f.tags or ((a := _age(f.birth_date, today)) is not None and a >= ELDERLY_AGE)
        }
    if audience == EducationAudience.tenants:
        return {f.person_id for f in facts if f.role == "tenant" or f.population_type == "floating"}
    # children and parents: everyone in a household with a minor
    houses = {
        f.house_id
        for f in facts
        if "minor" in f.tags or ((a := _age(f.birth_date, today)) is not None and a < ADULT_AGE)
    }
    return {f.person_id for f in facts if f.house_id in houses}


def _desk(who: Principal, compound_id: int, *, manage: bool) -> None:
    who.require(VolunteersPerm.manage if manage else VolunteersPerm.read)
    if not who.is_staff or not who.in_scope(compound_id):
        raise NotFound("compound not found", zh="未找到该小区")


class EducationService:
    # --- staff ---------------------------------------------------------------------------------------------
    def publish(self, session: Session, *, who: Principal, data: CampaignIn, now: datetime) -> EducationCampaign:
        from anju.registry.service import house_service, person_service

        _desk(who, data.compound_id, manage=True)
        if data.building_id is not None and data.building_id not in {
            b.id for b in house_service.buildings(session, compound_id=data.compound_id)
        }:
            raise NotFound("building not found", zh="未找到该楼栋")
        facts = person_service.current_residents(session, compound_id=data.compound_id, building_id=data.building_id)
        people = sorted(audience_members(facts, data.audience, china_date(now)))
        c = EducationCampaign(
            compound_id=data.compound_id,
            audience=data.audience.value,
            building_id=data.building_id,
            title=data.title.strip(),
            body=data.body.strip(),
            image_url=data.image_url.strip(),
            video_url=data.video_url.strip(),
            quiz=[{"q": q.q.strip(), "options": [o.strip() for o in q.options], "answer": q.answer} for q in data.quiz],
            audience_size=len(people),
            user_id=who.user_id,
            published_at=now,
        )
        session.add(c)
        session.flush()
        if people:
            session.execute(
                EducationTarget.__table__.insert(),
                [{"compound_id": c.compound_id, "campaign_id": c.id, "person_id": pid} for pid in people],
            )
        session.flush()
        return c

    def coverage(self, session: Session, *, who: Principal, compound_id: int) -> dict[str, Any]:
        """Per campaign and per audience: targets, read, quizzed, average score (as a share of the questions)."""
        _desk(who, compound_id, manage=False)
        campaigns = list(
            session.execute(
                select(EducationCampaign)
                .where(EducationCampaign.compound_id == compound_id)
                .order_by(EducationCampaign.published_at.desc())
                .limit(100)
            ).scalars()
        )
        stats = {
            cid: (int(n), int(read), int(quizzed), score)
            for cid, n, read, quizzed, score in session.execute(
                select(
                    EducationTarget.campaign_id,
                    func.count(),
                    func.count(EducationTarget.read_at),
                    func.count(EducationTarget.quiz_at),
                    func.sum(EducationTarget.quiz_score),
                )
                .where(EducationTarget.campaign_id.in_([c.id for c in campaigns] or [-1]))
                .group_by(EducationTarget.campaign_id)
            ).all()
        }
        rows: list[dict[str, Any]] = []
        per: dict[str, dict[str, Any]] = {
            a.value: {
                "audience": a.value,
                "campaigns": 0,
                "targets": 0,
                "read": 0,
                "quizzed": 0,
                "right": 0,
                "asked": 0,
            }
            for a in EducationAudience
        }
        for c in campaigns:
            n, read, quizzed, score = stats.get(c.id, (0, 0, 0, None))
            questions = len(c.quiz)
            rows.append(
                {
                    "campaign": c,
                    "targets": n,
                    "read": read,
                    "read_rate": round(read / n, 4) if n else None,
                    "quizzed": quizzed,
                    "questions": questions,
                    "average": round(int(score or 0) / quizzed, 2) if quizzed else None,
                }
            )
            agg = per[c.audience]
            agg["campaigns"] += 1
            agg["targets"] += n
            agg["read"] += read
            agg["quizzed"] += quizzed
            agg["right"] += int(score or 0)
            agg["asked"] += quizzed * questions
        audiences = []
        for agg in per.values():
            t = agg["targets"]
            audiences.append(
                {
                    "audience": agg["audience"],
                    "campaigns": agg["campaigns"],
                    "targets": t,
                    "read": agg["read"],
                    "read_rate": round(agg["read"] / t, 4) if t else None,
                    "quizzed": agg["quizzed"],
                    "correct_rate": round(agg["right"] / agg["asked"], 4) if agg["asked"] else None,
                }
            )
        return {"campaigns": rows, "audiences": audiences}

    def period_figures(self, session: Session, *, compound_id: int, since: datetime, until: datetime) -> dict[str, int]:
        """For the security report (no caller check: the report's own job asks): campaigns published in
        [since, until), the residents they were for, and how many had read them and answered the quiz by `until`."""
        row = session.execute(
            select(
                func.count(func.distinct(EducationCampaign.id)),
                func.count(EducationTarget.id),
                func.count(EducationTarget.read_at).filter(EducationTarget.read_at < until),
                func.count(EducationTarget.quiz_at).filter(EducationTarget.quiz_at < until),
            )
            .select_from(EducationCampaign)
            .outerjoin(EducationTarget, EducationTarget.campaign_id == EducationCampaign.id)
            .where(
                EducationCampaign.compound_id == compound_id,
                EducationCampaign.published_at >= since,
                EducationCampaign.published_at < until,
            )
        ).one()
        campaigns, reached, read, quizzed = (int(v or 0) for v in row)
        return {"campaigns": campaigns, "reached": reached, "read": read, "quizzed": quizzed}

    # --- residents -----------------------------------------------------------------------------------------
    def mine(self, session: Session, *, who: Principal) -> list[tuple[EducationCampaign, EducationTarget]]:
        if who.person_id is None:
            return []
        return [
            (c, t)
            for c, t in session.execute(
                select(EducationCampaign, EducationTarget)
                .join(EducationTarget, EducationTarget.campaign_id == EducationCampaign.id)
                .where(EducationTarget.person_id == who.person_id)
                .order_by(EducationCampaign.published_at.desc())
                .limit(50)
            ).all()
        ]

    def unread(self, session: Session, *, who: Principal) -> int:
        if who.person_id is None:
            return 0
        return int(
            session.execute(
                select(func.count()).where(
                    EducationTarget.person_id == who.person_id, EducationTarget.read_at.is_(None)
                )
            ).scalar_one()
        )

    def _target(self, session: Session, who: Principal, campaign_id: int) -> tuple[EducationCampaign, EducationTarget]:
        c = session.get(EducationCampaign, campaign_id)
        if c is None or who.person_id is None or c.compound_id not in who.compound_ids:
            raise CampaignNotFound()
        t = session.execute(
            select(EducationTarget).where(
                EducationTarget.campaign_id == c.id, EducationTarget.person_id == who.person_id
            )
        ).scalar_one_or_none()
        if t is None:
            raise CampaignNotFound()
        return c, t

    def open(
        self, session: Session, *, who: Principal, campaign_id: int, now: datetime
    ) -> tuple[EducationCampaign, EducationTarget]:
        """Read it: the first opening is the read receipt."""
        c, t = self._target(session, who, campaign_id)
        if t.read_at is None:
            session.execute(
                update(EducationTarget)
                .where(EducationTarget.id == t.id, EducationTarget.read_at.is_(None))
                .values(read_at=now)
                .execution_options(synchronize_session=False)
            )
            session.refresh(t)
        return c, t

    def view(self, session: Session, *, who: Principal, campaign_id: int) -> tuple[EducationCampaign, EducationTarget]:
        return self._target(session, who, campaign_id)

    def answer_quiz(
        self, session: Session, *, who: Principal, campaign_id: int, answers: list[int], now: datetime
    ) -> EducationTarget:
        """Once per person: the score is the number of right answers."""
        c, t = self._target(session, who, campaign_id)
        if not c.quiz:
            raise CampaignNotFound("this campaign has no quiz", zh="该内容没有测验")
        if t.quiz_at is not None:
            raise QuizAlreadyAnswered()
        if len(answers) != len(c.quiz) or any(
            not 0 <= a < len(q["options"]) for a, q in zip(answers, c.quiz, strict=False)
        ):
            raise BadQuizAnswers(fields=[{"field": "answers", "message": f"{len(c.quiz)} answers"}])
        score = sum(1 for a, q in zip(answers, c.quiz, strict=True) if a == q["answer"])
        res = session.execute(
            update(EducationTarget)
            .where(EducationTarget.id == t.id, EducationTarget.quiz_at.is_(None))
            .values(quiz_at=now, quiz_score=score, read_at=func.coalesce(EducationTarget.read_at, now))
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise QuizAlreadyAnswered()
        session.refresh(t)
        return t


education_service = EducationService()
