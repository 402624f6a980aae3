"""Care rules: the archive (R-E2 consents, R-E3 channels), the silence check, visits (R-E1).

The silence check ("独居老人长时间未出家门，平台将自动报警") runs in a leased worker job. For each
active profile of a person living alone, the last activity is the newest of: an access passage
(door, card, face: recorded from the access domain's `AccessGranted` events) and a typed reading
(telemetry or event, never a heartbeat) of an activity sensor in the home. When the silence has
lasted the profile's `silence_hours` outside its night window, one episode row is written —
UNIQUE(profile, since), so retries, restarts and a second worker never raise it twice — the alarm
centre is asked for one alarm (dedupe key per episode), and one visit task with an SLA goes to the
profile's grid worker. A house whose activity sensor is offline is skipped: that is a device fault
(the devices domain alarms on it), not an inactive person.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.service import staff_of
from anju.alarms.events import AlarmRequested
from anju.care.config import care_settings
from anju.care.enums import DEFAULT_CHANNEL, Channel, ConsentScope, Disability, VisitKind
from anju.care.exceptions import (
    BadCareInput,
    PersonNotFound,
    ProfileExists,
    ProfileNotFound,
    VisitClosed,
    VisitNotFound,
)
from anju.care.models import CareConsent, CareContact, CareProfile, CareSilenceEpisode, CareVisit
from anju.care.permissions import CarePerm
from anju.care.repository import CareRepository
from anju.care.rules import deadline_alarm_at
from anju.care.schemas import (
    AwayCreate,
    ConsentCreate,
    ContactCreate,
    ContactIn,
    ContactRead,
    MissedMonth,
    ProfileCreate,
    ProfileRead,
    ProfileUpdate,
    VisitRecord,
)
from anju.core import events
from anju.core.audit import record_pii_access
from anju.core.auth import Principal
from anju.core.crypto import decrypt, encrypt
from anju.core.db import utcnow
from anju.core.kit.china_time import china_date, china_datetime, to_china
from anju.core.rbac import Role
from anju.notify.service import notify_service
from anju.registry.models import Occupancy, Person
from anju.registry.occupancy import current_occupancy_clause
from anju.registry.schemas import EmergencyContactIn
from anju.registry.service import contact_row

HEALTH_CONTEXT = "care.health_notes"
SILENCE_KIND = "care_silence"


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def in_quiet_window(at: datetime, start_minute: int, end_minute: int) -> bool:
    """Whether China time `at` falls in the night window [start, end) (it may wrap midnight)."""
    local = to_china(at)
    m = local.hour * 60 + local.minute
    if start_minute == end_minute:
        return False
    if start_minute < end_minute:
        return start_minute <= m < end_minute
    return m >= start_minute or m < end_minute


def first_alarm_at(last: datetime, *, hours: int, quiet_start_minute: int, quiet_end_minute: int) -> datetime:
    """When a silence that began at `last` raises its alarm if nothing happens: `hours` later, or at the end of the
    night window when that moment falls inside it (the periodic check's decision, as a time)."""
    at = last + timedelta(hours=hours)
    if not in_quiet_window(at, quiet_start_minute, quiet_end_minute):
        return at
    local = to_china(at)
    end = local.replace(hour=quiet_end_minute // 60, minute=quiet_end_minute % 60, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(at.tzinfo)


def last_activity(profile: CareProfile, device_at: datetime | None) -> datetime:
    """The newest of the recorded passage, the sensor reading and the profile's start (never None)."""
    seen = [t for t in (profile.last_activity_at, device_at) if t is not None]
    return max(seen) if seen else profile.created_at


class CareService:
    # --- the archive ----------------------------------------------------------------------------
    def get(self, session: Session, *, by: Principal, profile_id: int) -> CareProfile:
        p = CareRepository(session).profile(profile_id)
        if p is None or not by.in_scope(p.compound_id):
            raise ProfileNotFound(f"care profile {profile_id}")
        return p

    def create(self, session: Session, *, by: Principal, data: ProfileCreate) -> CareProfile:
        by.require(CarePerm.manage)
        if not by.in_scope(data.compound_id):
            raise PersonNotFound(f"compound {data.compound_id}")
        person = session.get(Person, data.person_id)
        if person is None or person.compound_id != data.compound_id:
            raise PersonNotFound(f"person {data.person_id}")
        repo = CareRepository(session)
        if repo.profile_of_person(person.id) is not None:
            raise ProfileExists(f"person {person.id} already has a care profile")
        self._check_visitor(session, data.compound_id, data.visitor_user_id)
        house_id = session.execute(
            Occupancy.__table__.select()
            .with_only_columns(Occupancy.house_id)
            .where(Occupancy.person_id == person.id, current_occupancy_clause())
            .order_by(Occupancy.id)
            .limit(1)
        ).scalar_one_or_none()
        channel = data.channel or DEFAULT_CHANNEL.get(data.disability, Channel.sms)
        profile = CareProfile(
            compound_id=data.compound_id,
            person_id=person.id,
            house_id=house_id,
            living_alone=data.living_alone,
            special_hardship=data.special_hardship,
            disability=data.disability.value,
            channel=channel.value,
            health_notes_enc=encrypt(data.health_notes, context=HEALTH_CONTEXT) if data.health_notes else None,
            silence_hours=data.silence_hours,
            quiet_start_minute=minutes(data.quiet_start),
            quiet_end_minute=minutes(data.quiet_end),
            deadline_minute=minutes(data.deadline) if data.deadline else None,
            visitor_user_id=data.visitor_user_id,
            created_at=utcnow(),
        )
        try:
            with session.begin_nested():  # a parallel create of the same person loses here
                session.add(profile)
                session.flush()
        except IntegrityError:
            raise ProfileExists(f"person {person.id} already has a care profile") from None
        self._set_contacts(session, profile, data.contacts)
        session.flush()
        return profile

    def update(self, session: Session, *, by: Principal, profile_id: int, data: ProfileUpdate) -> CareProfile:
        by.require(CarePerm.manage)
        p = self.get(session, by=by, profile_id=profile_id)
        patch = data.model_dump(exclude_unset=True)
        if "visitor_user_id" in patch:
            self._check_visitor(session, p.compound_id, patch["visitor_user_id"])
            p.visitor_user_id = patch["visitor_user_id"]
        for flag in ("living_alone", "special_hardship", "active"):
            if patch.get(flag) is not None:
                setattr(p, flag, patch[flag])
        if patch.get("disability") is not None:
            p.disability = Disability(patch["disability"]).value
            if patch.get("channel") is None:
                p.channel = DEFAULT_CHANNEL.get(Disability(p.disability), Channel(p.channel)).value
        if patch.get("channel") is not None:
            p.channel = Channel(patch["channel"]).value
        if "health_notes" in patch:
            notes = patch["health_notes"]
            p.health_notes_enc = encrypt(notes, context=HEALTH_CONTEXT) if notes else None
        if patch.get("silence_hours") is not None:
            p.silence_hours = patch["silence_hours"]
        if patch.get("quiet_start") is not None:
            p.quiet_start_minute = minutes(patch["quiet_start"])
        if patch.get("quiet_end") is not None:
            p.quiet_end_minute = minutes(patch["quiet_end"])
        if "deadline" in patch:
            p.deadline_minute = minutes(patch["deadline"]) if patch["deadline"] else None
        if not (p.living_alone or p.special_hardship or p.disability != Disability.none.value):
            raise BadCareInput(
                "a care profile needs a reason: living alone, special hardship or a disability",
                zh="关爱档案须注明原因：独居、特殊困难或残疾",
            )
        session.flush()
        return p

    def _check_visitor(self, session: Session, compound_id: int, user_id: int | None) -> None:
        if user_id is None:
            return
        if not staff_of(session, compound_id, user_id=user_id):
            raise BadCareInput(
                f"user {user_id} is not staff of this compound",
                zh="探访人员须为本小区工作人员",
                fields=[{"field": "visitor_user_id", "message": "not staff of this compound"}],
            )

    def _set_contacts(self, session: Session, profile: CareProfile, contacts: list[ContactIn]) -> None:
        for i, c in enumerate(contacts, start=1):
            row = contact_row(profile.compound_id, EmergencyContactIn(name=c.name, relation=c.relation, phone=c.phone))
            row.person_id = profile.person_id
            session.add(row)
            session.flush()
            session.add(
                CareContact(
                    compound_id=profile.compound_id,
                    profile_id=profile.id,
                    contact_id=row.id,
                    position=i,
                    guardian=c.guardian,
                )
            )

    def profiles(self, session: Session, *, by: Principal, compound_id: int) -> list[CareProfile]:
        by.require(CarePerm.read)
        if not by.in_scope(compound_id):
            raise ProfileNotFound(f"compound {compound_id}")
        return CareRepository(session).profiles([compound_id])

    def read(
        self, session: Session, *, by: Principal, profile: CareProfile, reveal_health: bool = False
    ) -> ProfileRead:
        """The archive view; health notes only with the health consent in force, and every read is audited."""
        repo = CareRepository(session)
        names = repo.names([profile.person_id])
        labels = repo.house_labels([profile.house_id])
        consents = sorted({c.scope for c in repo.consents(profile.id) if c.withdrawn_at is None})
        notes = None
        if reveal_health and profile.health_notes_enc and ConsentScope.health.value in consents:
            by.require(CarePerm.manage)
            notes = decrypt(profile.health_notes_enc, context=HEALTH_CONTEXT)
            record_pii_access(
                session,
                user_id=by.user_id,
                compound_id=profile.compound_id,
                subject=f"person:{profile.person_id}",
                field="health_notes",
                reason="care archive",
            )
        return ProfileRead(
            id=profile.id,
            compound_id=profile.compound_id,
            person_id=profile.person_id,
            person_name=names.get(profile.person_id, ""),
            house_id=profile.house_id,
            house_label=labels.get(profile.house_id) if profile.house_id else None,
            living_alone=profile.living_alone,
            special_hardship=profile.special_hardship,
            disability=Disability(profile.disability),
            channel=Channel(profile.channel),
            silence_hours=profile.silence_hours,
            quiet_start=hhmm(profile.quiet_start_minute),
            quiet_end=hhmm(profile.quiet_end_minute),
            deadline=hhmm(profile.deadline_minute) if profile.deadline_minute is not None else None,
            last_activity_at=profile.last_activity_at,
            last_activity_source=profile.last_activity_source,
            visitor_user_id=profile.visitor_user_id,
            active=profile.active,
            away_from=profile.away_from,
            away_until=profile.away_until,
            contacts=[
                ContactRead(
                    position=c.position,
                    name=e.name,
                    relation=e.relation,
                    phone_masked=e.phone_masked,
                    guardian=c.guardian,
                )
                for c, e in repo.contacts(profile.id)
            ],
            consents=consents,
            health_notes=notes,
        )

    # --- consents (R-E2, R-E3) --------------------------------------------------------------------
    def give_consent(self, session: Session, *, by: Principal, profile_id: int, data: ConsentCreate) -> CareConsent:
        by.require(CarePerm.manage)
        p = self.get(session, by=by, profile_id=profile_id)
        repo = CareRepository(session)
        current = repo.active_consent(p.id, data.scope.value)
        if current is not None:
            return current  # already in force: giving it again changes nothing
        c = CareConsent(
            compound_id=p.compound_id,
            profile_id=p.id,
            scope=data.scope.value,
            given_by=data.given_by,
            variant=data.variant.value,
            recorded_by=by.user_id,
            given_at=utcnow(),
        )
        session.add(c)
        session.flush()
        return c

    def withdraw_consent(self, session: Session, *, by: Principal, profile_id: int, scope: ConsentScope) -> None:
        by.require(CarePerm.manage)
        p = self.get(session, by=by, profile_id=profile_id)
        current = CareRepository(session).active_consent(p.id, scope.value)
        if current is not None:
            current.withdrawn_at = utcnow()
            session.flush()

    def register_away(self, session: Session, *, by: Principal, profile_id: int, data: AwayCreate) -> CareProfile:
        """外出报备: no silence alarm while away; silence is counted again from the end of the period."""
        by.require(CarePerm.visit)
        p = self.get(session, by=by, profile_id=profile_id)
        p.away_from, p.away_until = data.starts_at, data.ends_at
        session.flush()
        return p

    # --- activity and the silence check -----------------------------------------------------------
    def record_activity(self, session: Session, *, person_id: int, at: datetime, source: str) -> bool:
        """A typed activity of a person (an access passage): moves the last-activity time forward only."""
        p = CareRepository(session).profile_of_person(person_id)
        if p is None:
            return False
        if p.last_activity_at is None or at > p.last_activity_at:
            p.last_activity_at = at
            p.last_activity_source = source[:48]
            session.flush()
            return True
        return False

    def check_silence(self, session: Session, *, now: datetime | None = None) -> list[int]:
        """Raise one alarm and one visit per new silence episode; returns the new episodes' ids."""
        now = now or utcnow()
        repo = CareRepository(session)
        profiles = repo.watched_profiles()
        houses = [p.house_id for p in profiles if p.house_id is not None]
        longest = max((p.silence_hours for p in profiles), default=24)
        readings = repo.device_activity(houses, since=now - timedelta(hours=longest * 4 + 24))
        faulty = repo.offline_sensor_houses(houses)
        raised: list[int] = []
        for p in profiles:
            if p.away_from is not None and p.away_until is not None and p.away_from <= now < p.away_until:
                continue  # 外出报备: away from home
            since = last_activity(p, readings.get(p.house_id) if p.house_id else None)
            if p.away_until is not None and since < p.away_until <= now:
                since = p.away_until  # back from a registered absence: a new silence starts at its end
            silent = now - since
            by_deadline = p.deadline_minute is not None and now >= deadline_alarm_at(
                since, deadline_minute=p.deadline_minute
            )  # "not up by 09:30": nothing since before this morning
            if silent < timedelta(hours=p.silence_hours) and not by_deadline:
                continue
            if not by_deadline and in_quiet_window(now, p.quiet_start_minute, p.quiet_end_minute):
                continue  # the night window: no alarm while people sleep; checked again in the morning
            if p.house_id is not None and p.house_id in faulty:
                continue  # a silent sensor is a device fault (alarmed by devices), not an inactive person
            episode = self._open_episode(session, p, since=since, now=now, hours=int(silent.total_seconds() // 3600))
            if episode is not None:
                raised.append(episode.id)
        session.flush()
        return raised

    def _open_episode(
        self, session: Session, p: CareProfile, *, since: datetime, now: datetime, hours: int
    ) -> CareSilenceEpisode | None:
        repo = CareRepository(session)
        consent = repo.active_consent(p.id, ConsentScope.location.value) or repo.active_consent(
            p.id, ConsentScope.fall.value
        )
        episode = CareSilenceEpisode(
            compound_id=p.compound_id,
            profile_id=p.id,
            since=since,
            raised_at=now,
            silent_hours=hours,
            consent_missing=consent is None,
        )
        try:
            with session.begin_nested():
                session.add(episode)
                session.flush()
        except IntegrityError:
            return None  # this episode was raised already (an earlier run, a retry, another worker)
        house = repo.house(p.house_id) if p.house_id else None
        place = house.label if house is not None else f"#{p.id}"
        title = f"独居老人 {place} 已 {hours} 小时无出入和活动记录，请上门查看"
        # R-E2: the alarm proceeds whether or not the consent is in force.
        events.publish(
            session,
            AlarmRequested(
                compound_id=p.compound_id,
                kind=SILENCE_KIND,
                severity="major",
                source=f"care:profile:{p.id}",
                dedupe_key=f"care:silence:{p.id}:{since.isoformat()}",
                title=title,
                building_id=house.building_id if house else None,
                unit_id=house.unit_id if house else None,
                floor=house.floor if house else None,
                house_id=house.id if house else None,
                evidence={"profile_id": p.id, "since": since.isoformat(), "silent_hours": hours, "episode": episode.id},
            ),
            compound_id=p.compound_id,
        )
        visitor = self._visitor(session, p)
        visit = CareVisit(
            compound_id=p.compound_id,
            profile_id=p.id,
            kind=VisitKind.alarm.value,
            plan_key=f"alarm:{episode.id}",
            episode_id=episode.id,
            due_on=china_date(now),
            due_at=now + timedelta(hours=care_settings().alarm_visit_sla_hours),
            assigned_user_id=visitor,
        )
        session.add(visit)
        session.flush()
        if visitor is not None:
            notify_service.inbox(
                session,
                user_ids=[visitor],
                compound_id=p.compound_id,
                category="care_visit",
                title=f"【上门查看】{place}",
                body=f"{title}。请在 {care_settings().alarm_visit_sla_hours} 小时内上门并记录结果。",
            )
        self._tell(session, p, consent_missing=consent is None, place=place)
        if consent is None:
            episode.told_at = now  # R-E2: told afterwards, in the same transaction as the alarm
        return episode

    def _visitor(self, session: Session, p: CareProfile) -> int | None:
        if p.visitor_user_id is not None and staff_of(session, p.compound_id, user_id=p.visitor_user_id):
            return p.visitor_user_id
        grid = staff_of(session, p.compound_id, [Role.grid_worker])
        return grid[0].id if grid else None

    def _tell(self, session: Session, p: CareProfile, *, consent_missing: bool, place: str) -> None:
        """Self-check to the person by their channel, then contacts in order; R-E2 notice afterwards if needed."""
        voice = p.channel == Channel.voice.value
        notify_service.queue_phone(
            session,
            compound_id=p.compound_id,
            channel="voice" if voice else "sms",
            recipient_ref=f"person:{p.person_id}",
            recipient_masked=None,
            purpose="care_self_check",
            text="【安居】您好，社区长时间未收到您的出入记录，工作人员将上门看望；如您安好请回复或接听确认。",
        )
        text = f"【安居】您的家人（{place}）长时间无活动记录，社区工作人员正在上门查看，请尽快联系。"
        if consent_missing:
            text += "本次告警未经健康/位置信息单独同意，依法为保护生命安全而处理，特此告知。"
        for _c, e in CareRepository(session).contacts(p.id):
            if not e.phone_masked:
                continue
            notify_service.queue_phone(
                session,
                compound_id=p.compound_id,
                channel="sms",
                recipient_ref=f"contact:{e.id}",
                recipient_masked=e.phone_masked,
                purpose="care_silence",
                text=text,
            )

    # --- visits (R-E1) ----------------------------------------------------------------------------
    def plan_visits(self, session: Session, *, now: datetime | None = None) -> int:
        """This week's visit for each person living alone; this month's contact for special hardship. Once each."""
        now = now or utcnow()
        today = china_date(now)
        year, week, _ = today.isocalendar()
        monday = today - timedelta(days=today.weekday())
        made = 0
        for p in CareRepository(session).profiles(self._all_compounds(session), active_only=True):
            plans: list[tuple[str, str, date]] = []
            if p.living_alone:
                plans.append((VisitKind.weekly.value, f"weekly:{p.id}:{year}-W{week:02d}", monday + timedelta(days=6)))
            if p.special_hardship:
                last_day = _month_end(today)
                plans.append((VisitKind.monthly.value, f"monthly:{p.id}:{today:%Y-%m}", last_day))
            for kind, key, due in plans:
                try:
                    with session.begin_nested():
                        session.add(
                            CareVisit(
                                compound_id=p.compound_id,
                                profile_id=p.id,
                                kind=kind,
                                plan_key=key,
                                due_on=due,
                                assigned_user_id=self._visitor(session, p),
                            )
                        )
                        session.flush()
                    made += 1
                except IntegrityError:
                    continue
        return made

    def _all_compounds(self, session: Session) -> list[int]:
        from anju.registry.models import Compound

        return list(session.execute(Compound.__table__.select().with_only_columns(Compound.id)).scalars())

    def visits(
        self, session: Session, *, by: Principal, compound_id: int, mine: bool = False, status: str | None = None
    ) -> list[CareVisit]:
        by.require(CarePerm.visit)
        if not by.in_scope(compound_id):
            raise ProfileNotFound(f"compound {compound_id}")
        return CareRepository(session).visits(
            [compound_id], status=status, assigned_user_id=by.user_id if mine else None
        )

    def overdue(
        self, session: Session, *, by: Principal, compound_id: int, now: datetime | None = None
    ) -> list[CareVisit]:
        """Open visits past their day (or an alarm visit past its SLA)."""
        now = now or utcnow()
        rows = self.visits(session, by=by, compound_id=compound_id, status="open")
        today = china_date(now)
        return [v for v in rows if v.due_on < today or (v.due_at is not None and v.due_at < now)]

    def record_visit(
        self, session: Session, *, by: Principal, visit_id: int, data: VisitRecord, now: datetime | None = None
    ) -> CareVisit:
        """Close a visit with its outcome; a second record of the same visit is a 409."""
        by.require(CarePerm.visit)
        now = now or utcnow()
        v = CareRepository(session).visit(visit_id)
        if v is None or not by.in_scope(v.compound_id):
            raise VisitNotFound(f"visit {visit_id}")
        res = session.execute(
            CareVisit.__table__.update()
            .where(CareVisit.id == v.id, CareVisit.status == "open")
            .values(
                status="done",
                outcome=data.outcome.value,
                note=data.note,
                visited_at=now,
                visited_by=by.user_id,
                updated_at=now,
            )
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise VisitClosed(f"visit {visit_id} already has its outcome")
        session.refresh(v)
        if data.outcome.value == "away":
            p = CareRepository(session).profile(v.profile_id)
            if p is not None:  # away: the silence episode ends here, a new one needs new silence
                self.record_activity(session, person_id=p.person_id, at=now, source="visit:away")
        elif data.outcome.value == "fine":
            p = CareRepository(session).profile(v.profile_id)
            if p is not None:
                self.record_activity(session, person_id=p.person_id, at=now, source="visit:fine")
        return v

    def record_contact(
        self, session: Session, *, by: Principal, profile_id: int, data: ContactCreate, now: datetime | None = None
    ) -> CareVisit:
        """A visit or phone contact without a plan (counts toward R-E1's monthly contact)."""
        by.require(CarePerm.visit)
        now = now or utcnow()
        p = self.get(session, by=by, profile_id=profile_id)
        v = CareVisit(
            compound_id=p.compound_id,
            profile_id=p.id,
            kind=data.kind.value,
            plan_key=f"contact:{p.id}:{now.isoformat()}:{by.user_id}",
            due_on=china_date(now),
            assigned_user_id=by.user_id,
            status="done",
            outcome=data.outcome.value,
            note=data.note,
            visited_at=now,
            visited_by=by.user_id,
        )
        session.add(v)
        session.flush()
        return v

    def missed_months(
        self, session: Session, *, by: Principal, compound_id: int, months: int = 6, now: datetime | None = None
    ) -> list[MissedMonth]:
        """R-E1: calendar months (China time, before this one) without a visit or contact for special hardship."""
        by.require(CarePerm.read)
        if not by.in_scope(compound_id):
            raise ProfileNotFound(f"compound {compound_id}")
        now = now or utcnow()
        repo = CareRepository(session)
        people = [p for p in repo.profiles([compound_id], active_only=True) if p.special_hardship]
        today = china_date(now)
        month_starts: list[date] = []
        first = today.replace(day=1)
        for _ in range(months):
            first = (first - timedelta(days=1)).replace(day=1)
            month_starts.append(first)
        start = china_datetime(month_starts[-1]) if month_starts else now
        done = repo.done_months([p.id for p in people], start=start, end=china_datetime(today.replace(day=1)))
        names = repo.names(p.person_id for p in people)
        out: list[MissedMonth] = []
        for p in people:
            began = china_date(p.created_at)
            for m in sorted(month_starts):
                if _month_end(m) < began:
                    continue  # not in the archive yet that month
                key = f"{m:%Y-%m}"
                if (p.id, key) not in done:
                    out.append(MissedMonth(profile_id=p.id, person_name=names.get(p.person_id, ""), month=key))
        return out


def _month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


care_service = CareService()
