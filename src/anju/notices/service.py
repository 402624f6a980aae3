"""Notice and survey rules.

A notice becomes one delivery row per current resident of its target, written in the
publishing transaction, so the inbox, the unread badge and the read receipts are plain
rows. Residents may mute kinds of notices; emergency broadcasts and private fee reminders
ignore mutes and also reach every recipient's account inbox (the notify domain).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime
from statistics import mean
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.models import User
from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Forbidden, Invalid
from anju.core.rbac import Role
from anju.notices.enums import (
    ALWAYS_DELIVERED,
    MUTABLE,
    Audience,
    NoticeKind,
    QuestionKind,
    RespondentUnit,
    SurveyStatus,
    TargetKind,
)
from anju.notices.exceptions import (
    AlreadyAnswered,
    BadAnswers,
    BadOutage,
    BadTarget,
    NoticeNotFound,
    SurveyClosed,
    SurveyNotFound,
)
from anju.notices.models import (
    Notice,
    NoticeDelivery,
    NoticeMute,
    Survey,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
)
from anju.notices.permissions import NoticesPerm
from anju.notices.repository import NoticeQuery
from anju.notices.schemas import NoticeCreate, SurveyCreate
from anju.notify.service import notify_service
from anju.registry.models import Building, House, Unit


def can_manage(who: Principal, compound_id: int) -> bool:
    """Staff holding notices.manage, or an owners' committee member, of that compound."""
    return (
        who.can(NoticesPerm.manage)
        and (who.is_staff or who.role == Role.committee_member)
        and who.in_scope(compound_id)
    )


def require_manager(who: Principal, compound_id: int) -> None:
    if not who.can(NoticesPerm.manage):
        who.require(NoticesPerm.manage)
    if not can_manage(who, compound_id):
        raise NoticeNotFound(f"compound {compound_id} not found", zh="未找到该小区")


class NoticeService:
    def publish(self, session: Session, *, by: Principal | None, data: NoticeCreate) -> Notice:
        """Check the target, then deliver to every current resident in it (in this transaction)."""
        if by is not None:
            require_manager(by, data.compound_id)
        self._check_target(session, data)
        notice = Notice(
            compound_id=data.compound_id,
            kind=data.kind.value,
            title=data.title,
            body=data.body,
            target_kind=data.target_kind.value,
            target_id=data.target_id,
            audience=data.audience.value,
            outage_kind=data.outage_kind.value if data.outage_kind else None,
            outage_buildings=sorted(set(data.outage_buildings)) if data.outage_buildings else None,
            window_start=data.window_start,
            window_end=data.window_end,
            user_id=by.user_id if by else None,
            published_at=utcnow(),
        )
        session.add(notice)
        session.flush()
        q = NoticeQuery(session)
        people = q.recipients(
            compound_id=data.compound_id,
            target_kind=data.target_kind,
            target_id=data.target_id,
            buildings=notice.outage_buildings,
            audience=data.audience,
        )
        if data.kind not in ALWAYS_DELIVERED:
            for pid in q.muted(people, data.kind.value):
                people.pop(pid)
        if people:
            session.execute(
                NoticeDelivery.__table__.insert(),
                [
                    {
                        "compound_id": data.compound_id,
                        "notice_id": notice.id,
                        "person_id": pid,
                        "house_id": hid,
                        "delivered_at": notice.published_at,
                    }
                    for pid, hid in people.items()
                ],
            )
        notice.recipients = len(people)
        if data.kind in ALWAYS_DELIVERED and people:
            users = list(
                session.execute(
                    select(User.id).where(User.person_id.in_(list(people)), User.active.is_(True))
                ).scalars()
            )
            notify_service.inbox(
                session,
                user_ids=users,
                compound_id=data.compound_id,
                category=f"notice_{data.kind.value}",
                title=data.title,
                body=data.body,
            )
        session.flush()
        return notice

    def _check_target(self, session: Session, data: NoticeCreate) -> None:
        models: dict[TargetKind, type[Building] | type[Unit] | type[House]] = {
            TargetKind.building: Building,
            TargetKind.unit: Unit,
            TargetKind.house: House,
        }
        model = models.get(data.target_kind)
        if model is not None:
            row = session.get(model, data.target_id) if data.target_id is not None else None
            # session.get on a union of classes is typed as their common base; all three are compound-scoped.
            if row is None or cast("Building | Unit | House", row).compound_id != data.compound_id:
                raise BadTarget(fields=[{"field": "target_id", "message": "not in this compound"}])
        if data.kind == NoticeKind.outage:
            ok = (
                data.outage_kind is not None
                and data.outage_buildings
                and data.window_start is not None
                and data.window_end is not None
                and data.window_start < data.window_end
            )
            if not ok:
                raise BadOutage()
            found = set(
                session.execute(
                    select(Building.id).where(
                        Building.compound_id == data.compound_id, Building.id.in_(data.outage_buildings or [])
                    )
                ).scalars()
            )
            if found != set(data.outage_buildings or []):
                raise BadTarget(fields=[{"field": "outage_buildings", "message": "not in this compound"}])

    def managed(self, session: Session, *, by: Principal, compound_id: int) -> list[tuple[Notice, int]]:
        require_manager(by, compound_id)
        return NoticeQuery(session).published(compound_id)

    # --- the resident's side ------------------------------------------------------------------
    def inbox(self, session: Session, *, by: Principal) -> tuple[int, list[tuple[Notice, NoticeDelivery]]]:
        by.require(AccountsPerm.self_service)
        if by.person_id is None:
            return 0, []
        q = NoticeQuery(session)
        return q.unread(by.person_id), q.inbox(by.person_id)

    def mark_read(self, session: Session, *, by: Principal, notice_id: int) -> None:
        """The read receipt: first read wins (compare-and-set), re-reading changes nothing."""
        by.require(AccountsPerm.self_service)
        d = session.execute(
            select(NoticeDelivery).where(
                NoticeDelivery.notice_id == notice_id, NoticeDelivery.person_id == by.person_id
            )
        ).scalar_one_or_none()
        if d is None:
            raise NoticeNotFound()
        session.execute(
            update(NoticeDelivery)
            .where(NoticeDelivery.id == d.id, NoticeDelivery.read_at.is_(None))
            .values(read_at=utcnow())
        )

    def set_mutes(self, session: Session, *, by: Principal, kinds: list[str]) -> list[str]:
        by.require(AccountsPerm.self_service)
        if by.person_id is None or not by.compound_ids:
            raise Forbidden("no resident record", zh="没有住户档案")
        bad = [k for k in kinds if k not in MUTABLE]
        if bad:
            raise Invalid(
                f"cannot mute {bad}; emergency broadcasts and fee reminders are always delivered",
                zh="紧急广播和缴费提醒不可屏蔽",
                fields=[{"field": "kinds", "message": ",".join(bad)}],
            )
        session.execute(NoticeMute.__table__.delete().where(NoticeMute.person_id == by.person_id))
        compound_id = next(iter(by.compound_ids))
        for k in sorted(set(kinds)):
            session.add(NoticeMute(compound_id=compound_id, person_id=by.person_id, kind=k))
        session.flush()
        return sorted(set(kinds))

    def mutes(self, session: Session, *, person_id: int) -> list[str]:
        return list(session.execute(select(NoticeMute.kind).where(NoticeMute.person_id == person_id)).scalars())


CHOICE = (QuestionKind.single, QuestionKind.multiple)
MIN_GROUP = 5  # k: an anonymous survey's results are never shown for a group with fewer answers


def _k_anonymous(
    groups: list[tuple[Any, list[dict[str, Any]]]], k: int
) -> tuple[list[tuple[Any, list[dict[str, Any]]]], list[tuple[Any, list[dict[str, Any]]]]]:
    """Split groups into those shown on their own (each >= k answers) and those pooled together.

    Every group under k is pooled; when the pool itself is under k, the smallest shown groups join it
    until it reaches k (or nothing is left to show), so no reader can subtract their way to a small
    group: whatever is not shown on its own is at least k answers together, or nothing is broken down.
    """
    shown = [g for g in groups if len(g[1]) >= k]
    pooled = [g for g in groups if len(g[1]) < k]
    if pooled:
        while sum(len(a) for _, a in pooled) < k and shown:
            smallest = min(shown, key=lambda g: len(g[1]))
            shown.remove(smallest)
            pooled.append(smallest)
    if not shown:
        return [], groups  # too few answers to break down at all
    return shown, pooled


class SurveyService:
    def create(self, session: Session, *, by: Principal | None, data: SurveyCreate) -> Survey:
        if by is not None:
            require_manager(by, data.compound_id)
        for n, q in enumerate(data.questions):
            if q.kind in CHOICE and len([o for o in q.options if o.strip()]) < 2:
                raise Invalid(
                    "a choice question needs at least two options",
                    zh="选择题至少需要两个选项",
                    fields=[{"field": f"questions.{n}.options", "message": "at least two"}],
                )
        s = Survey(
            compound_id=data.compound_id,
            title=data.title,
            description=data.description,
            anonymous=data.anonymous,
            respondent_unit=data.respondent_unit.value,
            closes_at=data.closes_at,
            user_id=by.user_id if by else None,
        )
        session.add(s)
        session.flush()
        for n, q in enumerate(data.questions):
            session.add(
                SurveyQuestion(
                    survey_id=s.id,
                    position=n + 1,
                    kind=q.kind.value,
                    text=q.text,
                    options=[o.strip() for o in q.options if o.strip()] if q.kind in CHOICE else [],
                )
            )
        session.flush()
        return s

    def get_visible(self, session: Session, *, by: Principal, survey_id: int) -> Survey:
        s = session.get(Survey, survey_id)
        if s is None or not by.in_scope(s.compound_id):
            raise SurveyNotFound()
        return s

    def questions(self, session: Session, survey_id: int) -> list[SurveyQuestion]:
        return list(
            session.execute(
                select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id).order_by(SurveyQuestion.position)
            ).scalars()
        )

    def open_for(self, session: Session, *, by: Principal) -> list[tuple[Survey, bool]]:
        """The open surveys of the caller's compound, each with whether the caller (their household, or
        themself for per-person surveys) has answered already."""
        compound_id = next(iter(sorted(by.compound_ids)), None)
        if compound_id is None:
            return []
        q = NoticeQuery(session)
        surveys = [s for s in q.surveys(compound_id) if self.is_open(s)]
        keys = [f"house:{h}" for h in by.house_ids] + ([f"person:{by.person_id}"] if by.person_id else [])
        answered = q.answered_keys([s.id for s in surveys], keys)
        out = []
        for s in surveys:
            mine = (
                {f"person:{by.person_id}"}
                if s.respondent_unit == RespondentUnit.person
                else {f"house:{h}" for h in by.house_ids}
            )
            out.append((s, any((s.id, k) in answered for k in mine)))
        return out

    def is_open(self, s: Survey, now: datetime | None = None) -> bool:
        return s.status == SurveyStatus.open and (s.closes_at is None or (now or utcnow()) < s.closes_at)

    def respond(
        self, session: Session, *, by: Principal, survey_id: int, house_id: int | None, answers: dict[str, Any]
    ) -> None:
        """One answer per household or person; an anonymous answer carries nothing that names them."""
        by.require(AccountsPerm.self_service)
        if by.person_id is None or not by.house_ids:  # before the lookup: the same 403 for any survey id
            raise Forbidden("only residents answer surveys", zh="仅住户可参与问卷")
        s = self.get_visible(session, by=by, survey_id=survey_id)
        hid = house_id if house_id is not None else min(by.house_ids)
        if hid not in by.house_ids:
            raise SurveyNotFound(f"house {hid} is not yours", zh="不是您的房屋")
        if not self.is_open(s):
            raise SurveyClosed()
        clean = self._check_answers(self.questions(session, s.id), answers)
        key = f"house:{hid}" if s.respondent_unit == RespondentUnit.household else f"person:{by.person_id}"
        try:
            with session.begin_nested():
                session.add(
                    SurveyParticipation(
                        compound_id=s.compound_id, survey_id=s.id, respondent_key=key, person_id=by.person_id
                    )
                )
                session.flush()
        except IntegrityError:
            raise AlreadyAnswered() from None
        house = session.get(House, hid)
        assert house is not None
        session.add(
            SurveyResponse(
                id=secrets.token_hex(16),
                survey_id=s.id,
                building_id=house.building_id,
                person_id=None if s.anonymous else by.person_id,
                house_id=None if s.anonymous else hid,
                answers=clean,
            )
        )
        session.flush()

    def _check_answers(self, questions: list[SurveyQuestion], answers: dict[str, Any]) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        for q in questions:
            raw = answers.get(str(q.id))
            field = [{"field": f"answers.{q.id}", "message": q.text}]
            if q.kind == QuestionKind.text:
                text = str(raw or "").strip()[:1000]
                if text:
                    clean[str(q.id)] = text
                continue
            if q.kind == QuestionKind.multiple:
                picks = raw if isinstance(raw, list) else [raw]
                try:
                    chosen = sorted({int(str(p).strip()) for p in picks[:20]})
                except (TypeError, ValueError):
                    raise BadAnswers(fields=field) from None
                if not chosen or not all(0 <= v < len(q.options) for v in chosen):
                    raise BadAnswers(fields=field)
                clean[str(q.id)] = chosen
                continue
            try:
                value = int(str(raw).strip())
            except (TypeError, ValueError):
                raise BadAnswers(fields=field) from None
            if q.kind == QuestionKind.rating and not 1 <= value <= 5:
                raise BadAnswers(fields=field)
            if q.kind == QuestionKind.single and not 0 <= value < len(q.options):
                raise BadAnswers(fields=field)
            clean[str(q.id)] = value
        return clean

    def results(self, session: Session, *, by: Principal, survey_id: int) -> dict[str, Any]:
        """Counts per option, rating averages and distribution, overall and by building.

        The role is checked before the survey is looked up, so a role that may not read results gets
        the same 403 for a survey that exists and one that does not (no id oracle). An anonymous
        survey is never broken down into groups of fewer than MIN_GROUP answers (see _by_building).
        """
        if not by.can(NoticesPerm.manage):
            by.require(NoticesPerm.manage)
        s = self.get_visible(session, by=by, survey_id=survey_id)
        require_manager(by, s.compound_id)
        questions = self.questions(session, s.id)
        rows = session.execute(
            select(SurveyResponse.building_id, SurveyResponse.answers).where(SurveyResponse.survey_id == s.id)
        ).all()
        names = dict(
            session.execute(select(Building.id, Building.name).where(Building.compound_id == s.compound_id)).all()
        )
        out_q: list[dict[str, Any]] = []
        for q in questions:
            values = [a.get(str(q.id)) for _, a in rows if a.get(str(q.id)) is not None]
            item: dict[str, Any] = {"id": q.id, "kind": q.kind, "text": q.text, "answered": len(values)}
            if q.kind == QuestionKind.single:
                item["counts"] = [{"option": o, "n": sum(1 for v in values if v == i)} for i, o in enumerate(q.options)]
            elif q.kind == QuestionKind.multiple:
                item["counts"] = [
                    {"option": o, "n": sum(1 for v in values if isinstance(v, list) and i in v)}
                    for i, o in enumerate(q.options)
                ]
            elif q.kind == QuestionKind.rating:
                item["average"] = round(mean(values), 2) if values else None
                item["distribution"] = {str(k): sum(1 for v in values if v == k) for k in range(1, 6)}
            else:
                item["texts"] = values[:200]
            out_q.append(item)
        per_building: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
        for building_id, answers in rows:
            per_building[building_id].append(answers)
        ratings = [q for q in questions if q.kind == QuestionKind.rating]

        def average(answers: list[dict[str, Any]]) -> float | None:
            vals = [a[str(q.id)] for a in answers for q in ratings if str(q.id) in a]
            return round(mean(vals), 2) if vals else None

        groups = sorted(per_building.items(), key=lambda kv: names.get(kv[0] or 0, ""))
        shown, pooled = _k_anonymous(groups, MIN_GROUP) if s.anonymous else (groups, [])
        by_building: list[dict[str, Any]] = [
            {
                "building_id": building_id,
                "building": names.get(building_id or 0, "-"),
                "responses": len(answers),
                "average": average(answers),
            }
            for building_id, answers in shown
        ]
        pooled_answers = [a for _, answers in pooled for a in answers]
        if pooled and by_building:
            # The small buildings together, as one group of at least MIN_GROUP answers.
            by_building.append(
                {
                    "building_id": None,
                    "building": None,
                    "merged_buildings": len(pooled),
                    "responses": len(pooled_answers),
                    "average": average(pooled_answers),
                }
            )
        return {
            "survey": s,
            "responses": len(rows),
            "questions": out_q,
            "by_building": by_building,
            # k-anonymity, said in the result: the smallest group shown, how many buildings were merged
            # into one group, and whether there were too few answers for any breakdown at all.
            "min_group": MIN_GROUP if s.anonymous else None,
            "merged_buildings": len(pooled) if by_building else 0,
            "breakdown_suppressed": bool(s.anonymous and rows and not by_building),
        }

    def close(self, session: Session, *, by: Principal, survey_id: int) -> Survey:
        s = self.get_visible(session, by=by, survey_id=survey_id)
        require_manager(by, s.compound_id)
        s.status = SurveyStatus.closed.value
        session.flush()
        return s


notice_service = NoticeService()
survey_service = SurveyService()
__all__ = ["Audience", "NoticeKind", "TargetKind", "can_manage", "notice_service", "survey_service"]
