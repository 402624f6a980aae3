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

Events (安全小课堂, drills open to residents), `EducationEventService`:
- Staff create an event for an audience (the campaigns' groups, optionally one building), with a place, China-time
  start and end, a capacity and a booking deadline (the start when not given; never after it).
- A resident books on H5 while booking is open and if they are in the audience today (registry facts, as above):
  not in it is a 403 with the reason, after the deadline a 409. Seats are taken by compare-and-set on the event's
  count, so two last-seat bookings at once give one seat and one 409; a person has one booking row per event (unique
  key), so a retried booking returns the same booking and takes no second seat. Cancelling (before the start) gives
  the seat back; booking again reuses the row and its check-in code.
- Staff check a booking in from the event's list or by the 6-digit code the resident shows (also as a QR), from an
  hour before the start until an hour after the end, once.
- Figures per audience group (the event's audience): events held, live bookings, attended, attendance rate; the
  security report reads the same figures for its period (`period_figures`).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.errors import Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.volunteers.enums import BookingStatus, EducationAudience
from anju.volunteers.exceptions import (
    BadQuizAnswers,
    BookingClosed,
    BookingNotFound,
    BookingState,
    CampaignNotFound,
    EventFull,
    EventNotFound,
    NotInAudience,
    QuizAlreadyAnswered,
)
from anju.volunteers.models import EducationBooking, EducationCampaign, EducationEvent, EducationTarget
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.schemas import CampaignIn, EventIn

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
        if data.building_id is not None:
            house_service.require_building(session, compound_id=data.compound_id, building_id=data.building_id)
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


CHECKIN_BEFORE = timedelta(hours=1)  # staff may check people in from an hour before the start …
CHECKIN_AFTER = timedelta(hours=1)  # … until an hour after the end
AUDIENCE_REASON = {
    EducationAudience.elderly: ("for residents aged 60 and over", "该活动面向 60 岁及以上老年人"),
    EducationAudience.children: ("for children and their parents", "该活动面向有未成年人的家庭（儿童与家长）"),
    EducationAudience.tenants: ("for tenants and migrant workers", "该活动面向租户与务工人员"),
    EducationAudience.everyone: ("for the residents living here", "该活动面向本小区（或指定楼栋）的在住居民"),
}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class EducationEventService:
    # --- staff ---------------------------------------------------------------------------------------------
    def create(self, session: Session, *, who: Principal, data: EventIn, now: datetime) -> EducationEvent:
        from anju.registry.service import house_service

        _desk(who, data.compound_id, manage=True)
        if data.building_id is not None:
            house_service.require_building(session, compound_id=data.compound_id, building_id=data.building_id)
        if data.ends_at <= data.starts_at:
            raise Invalid("an event ends after it starts", zh="结束时间必须晚于开始时间")
        if data.ends_at - data.starts_at > timedelta(days=1):
            raise Invalid("an event lasts at most a day", zh="活动时长不能超过一天")
        if data.booking_deadline is not None and data.booking_deadline > data.starts_at:
            raise Invalid("booking closes at the start at the latest", zh="报名截止时间不能晚于活动开始时间")
        if data.ends_at <= now:
            raise Invalid("the event is already over", zh="活动结束时间已过")
        e = EducationEvent(
            compound_id=data.compound_id,
            audience=data.audience.value,
            building_id=data.building_id,
            title=data.title.strip(),
            body=data.body.strip(),
            place=data.place.strip(),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            booking_deadline=data.booking_deadline or data.starts_at,
            capacity=data.capacity,
            booked=0,
            user_id=who.user_id,
        )
        session.add(e)
        session.flush()
        return e

    def staff_event(self, session: Session, *, who: Principal, event_id: int) -> EducationEvent:
        e = session.get(EducationEvent, event_id)
        if e is None or not who.is_staff or not who.in_scope(e.compound_id):
            raise EventNotFound()
        _desk(who, e.compound_id, manage=False)
        return e

    def events(self, session: Session, *, who: Principal, compound_id: int) -> list[dict[str, Any]]:
        """The console's list, newest first: each event with its live bookings and how many attended."""
        _desk(who, compound_id, manage=False)
        events = list(
            session.execute(
                select(EducationEvent)
                .where(EducationEvent.compound_id == compound_id)
                .order_by(EducationEvent.starts_at.desc())
                .limit(100)
            ).scalars()
        )
        attended = dict(
            session.execute(
                select(EducationBooking.event_id, func.count())
                .where(
                    EducationBooking.event_id.in_([e.id for e in events] or [-1]),
                    EducationBooking.status == BookingStatus.booked.value,
                    EducationBooking.checked_in_at.is_not(None),
                )
                .group_by(EducationBooking.event_id)
            ).all()
        )
        return [{"event": e, "attended": int(attended.get(e.id, 0))} for e in events]

    def bookings(self, session: Session, *, who: Principal, event_id: int) -> list[tuple[EducationBooking, str]]:
        """An event's live bookings with the residents' names, for checking them in."""
        from anju.registry.service import person_service

        e = self.staff_event(session, who=who, event_id=event_id)
        rows = list(
            session.execute(
                select(EducationBooking)
                .where(EducationBooking.event_id == e.id, EducationBooking.status == BookingStatus.booked.value)
                .order_by(EducationBooking.booked_at)
            ).scalars()
        )
        names = person_service.names(session, {b.person_id for b in rows})
        return [(b, names.get(b.person_id, "")) for b in rows]

    def check_in(
        self,
        session: Session,
        *,
        who: Principal,
        event_id: int,
        now: datetime,
        booking_id: int | None = None,
        code: str | None = None,
    ) -> EducationBooking:
        """Staff record that a booked resident came: by the list (booking id) or by their code; once."""
        e = self.staff_event(session, who=who, event_id=event_id)
        _desk(who, e.compound_id, manage=True)
        q = select(EducationBooking).where(EducationBooking.event_id == e.id)
        if booking_id is not None:
            q = q.where(EducationBooking.id == booking_id)
        elif code is not None and code.strip().isdigit():
            q = q.where(EducationBooking.code == code.strip())
        else:
            raise BookingNotFound()
        b = session.execute(q).scalar_one_or_none()
        if b is None:
            raise BookingNotFound()
        if b.status != BookingStatus.booked:
            raise BookingState("this booking was cancelled", zh="该报名已取消")
        if not e.starts_at - CHECKIN_BEFORE <= now <= e.ends_at + CHECKIN_AFTER:
            raise BookingState(
                "check-in is open from an hour before the start until an hour after the end",
                zh="签到时间为活动开始前 1 小时至结束后 1 小时",
            )
        res = session.execute(
            update(EducationBooking)
            .where(
                EducationBooking.id == b.id,
                EducationBooking.status == BookingStatus.booked.value,
                EducationBooking.checked_in_at.is_(None),
            )
            .values(checked_in_at=now, checked_in_by=who.user_id)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise BookingState("already checked in", zh="该居民已签到")
        session.refresh(b)
        return b

    def figures(
        self,
        session: Session,
        *,
        who: Principal | None,
        compound_id: int,
        since: datetime | None = None,
        until: datetime,
    ) -> dict[str, Any]:
        """Per audience group (the events' audience): events held (ended before `until`, started after `since`),
        live bookings, attended and the attendance rate (attended / booked). `who` None: the report's own job."""
        if who is not None:
            _desk(who, compound_id, manage=False)
        booked = func.count(EducationBooking.id).filter(EducationBooking.status == BookingStatus.booked.value)
        attended = func.count(EducationBooking.checked_in_at).filter(
            EducationBooking.status == BookingStatus.booked.value
        )
        q = (
            select(EducationEvent.audience, func.count(func.distinct(EducationEvent.id)), booked, attended)
            .select_from(EducationEvent)
            .outerjoin(EducationBooking, EducationBooking.event_id == EducationEvent.id)
            .where(EducationEvent.compound_id == compound_id, EducationEvent.ends_at < until)
            .group_by(EducationEvent.audience)
        )
        if since is not None:
            q = q.where(EducationEvent.starts_at >= since)
        found = {a: (int(n), int(b), int(c)) for a, n, b, c in session.execute(q).all()}
        groups: list[dict[str, Any]] = []
        for a in EducationAudience:
            n, b, c = found.get(a.value, (0, 0, 0))
            groups.append({"audience": a.value, "events": n, "booked": b, "attended": c, "rate": _rate(c, b)})
        events = sum(n for n, _, _ in found.values())
        total_b = sum(b for _, b, _ in found.values())
        total_c = sum(c for _, _, c in found.values())
        return {
            "events": events,
            "booked": total_b,
            "attended": total_c,
            "rate": _rate(total_c, total_b),
            "groups": groups,
        }

    def period_figures(self, session: Session, *, compound_id: int, since: datetime, until: datetime) -> dict[str, Any]:
        """For the security report (no caller check: the report's own job asks): events held in [since, until)."""
        return self.figures(session, who=None, compound_id=compound_id, since=since, until=until)

    # --- residents -----------------------------------------------------------------------------------------
    def _in_audience(
        self,
        session: Session,
        e: EducationEvent,
        person_id: int,
        now: datetime,
        cache: dict[tuple[int, int | None], list[Any]] | None = None,
    ) -> bool:
        from anju.registry.service import person_service

        where = (e.compound_id, e.building_id)
        facts = cache.get(where) if cache is not None else None
        if facts is None:
            facts = person_service.current_residents(session, compound_id=e.compound_id, building_id=e.building_id)
            if cache is not None:
                cache[where] = facts
        mine = {f.house_id for f in facts if f.person_id == person_id}
        if not mine:
            return False
        household = [f for f in facts if f.house_id in mine]  # children and parents is decided per household
        return person_id in audience_members(household, EducationAudience(e.audience), china_date(now))

    def open_to_me(
        self, session: Session, *, who: Principal, now: datetime
    ) -> list[tuple[EducationEvent, EducationBooking | None]]:
        """Events not yet over in my compounds whose audience I am in, or that I booked, with my booking."""
        if who.person_id is None or who.is_staff:
            return []
        events = list(
            session.execute(
                select(EducationEvent)
                .where(
                    EducationEvent.compound_id.in_(sorted(who.compound_ids) or [-1]),
                    EducationEvent.ends_at > now - timedelta(days=1),
                )
                .order_by(EducationEvent.starts_at)
                .limit(50)
            ).scalars()
        )
        mine = {
            b.event_id: b
            for b in session.execute(
                select(EducationBooking).where(
                    EducationBooking.person_id == who.person_id,
                    EducationBooking.event_id.in_([e.id for e in events] or [-1]),
                )
            ).scalars()
        }
        facts: dict[tuple[int, int | None], list[Any]] = {}  # one registry read per compound and building
        return [
            (e, mine.get(e.id))
            for e in events
            if e.id in mine or self._in_audience(session, e, who.person_id, now, facts)
        ]

    def _mine(self, session: Session, who: Principal, event_id: int) -> EducationEvent:
        e = session.get(EducationEvent, event_id)
        if e is None or who.person_id is None or who.is_staff or e.compound_id not in who.compound_ids:
            raise EventNotFound()
        return e

    def my_booking(self, session: Session, *, who: Principal, event_id: int) -> EducationBooking | None:
        e = self._mine(session, who, event_id)
        return self._booking(session, e.id, who.person_id or 0)

    @staticmethod
    def _booking(session: Session, event_id: int, person_id: int) -> EducationBooking | None:
        return session.execute(
            select(EducationBooking).where(
                EducationBooking.event_id == event_id, EducationBooking.person_id == person_id
            )
        ).scalar_one_or_none()

    @staticmethod
    def _take_seat(session: Session, event_id: int) -> bool:
        """One more seat, never past capacity. The UPDATE locks the event's row: a rival booking the last seat
        waits for this transaction, then finds the count at capacity and takes nothing."""
        res = session.execute(
            update(EducationEvent)
            .where(EducationEvent.id == event_id, EducationEvent.booked < EducationEvent.capacity)
            .values(booked=EducationEvent.booked + 1)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def book(self, session: Session, *, who: Principal, event_id: int, now: datetime) -> EducationBooking:
        e = self._mine(session, who, event_id)
        pid = who.person_id
        assert pid is not None
        prior = self._booking(session, e.id, pid)
        if prior is not None and prior.status == BookingStatus.booked:
            return prior  # a retried booking: the same booking, no second seat
        if now > e.booking_deadline:
            raise BookingClosed()
        if not self._in_audience(session, e, pid, now):
            en, zh = AUDIENCE_REASON[EducationAudience(e.audience)]
            raise NotInAudience(f"this event is {en}", zh=f"{zh}，您不在报名范围内")
        # The booking and its seat together: a full event rolls both back (the savepoint), whatever the caller does.
        try:
            with session.begin_nested():
                if prior is not None:  # cancelled before: the same row (and code) again
                    res = session.execute(
                        update(EducationBooking)
                        .where(
                            EducationBooking.id == prior.id, EducationBooking.status == BookingStatus.cancelled.value
                        )
                        .values(status=BookingStatus.booked.value, booked_at=now, cancelled_at=None)
                        .execution_options(synchronize_session=False)
                    )
                    if res.rowcount != 1:  # type: ignore[attr-defined]
                        session.refresh(prior)
                        return prior  # booked again by a parallel retry
                    b = prior
                else:
                    b = EducationBooking(
                        compound_id=e.compound_id,
                        event_id=e.id,
                        person_id=pid,
                        user_id=who.user_id,
                        status=BookingStatus.booked.value,
                        code=self._new_code(session, e.id),
                        booked_at=now,
                    )
                    session.add(b)
                    session.flush()
                if not self._take_seat(session, e.id):
                    raise EventFull()
        except IntegrityError:
            again = self._booking(session, e.id, pid)
            if again is not None and again.status == BookingStatus.booked:
                return again  # the same booking sent twice at once: one booking, one seat
            raise BookingState("please try again", zh="请稍后重试") from None
        session.refresh(b)
        session.refresh(e)
        return b

    @staticmethod
    def _new_code(session: Session, event_id: int) -> str:
        taken = set(
            session.execute(select(EducationBooking.code).where(EducationBooking.event_id == event_id)).scalars()
        )
        while True:
            code = f"{secrets.randbelow(1_000_000):06d}"
            if code not in taken:
                return code

    def cancel(self, session: Session, *, who: Principal, event_id: int, now: datetime) -> EducationBooking:
        e = self._mine(session, who, event_id)
        b = self._booking(session, e.id, who.person_id or 0)
        if b is None:
            raise BookingNotFound("you have not booked this event", zh="您未报名该活动")
        if now >= e.starts_at:
            raise BookingState("the event has started: it can no longer be cancelled", zh="活动已开始，不能取消")
        res = session.execute(
            update(EducationBooking)
            .where(
                EducationBooking.id == b.id,
                EducationBooking.status == BookingStatus.booked.value,
                EducationBooking.checked_in_at.is_(None),
            )
            .values(status=BookingStatus.cancelled.value, cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise BookingState("this booking is already cancelled", zh="该报名已取消")
        session.execute(
            update(EducationEvent)
            .where(EducationEvent.id == e.id, EducationEvent.booked > 0)
            .values(booked=EducationEvent.booked - 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(b)
        session.refresh(e)
        return b


event_service = EducationEventService()
