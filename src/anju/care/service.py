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

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.service import staff_of
from anju.alarms.events import AlarmRequested
from anju.care.config import care_settings
from anju.care.enums import (
    DEFAULT_CHANNEL,
    Answerer,
    Channel,
    ConsentScope,
    Disability,
    LadderRung,
    VisitKind,
    VisitOutcome,
)
from anju.care.exceptions import (
    BadCareInput,
    EpisodeClosed,
    EpisodeNotFound,
    PersonNotFound,
    ProfileExists,
    ProfileNotFound,
    VisitClosed,
    VisitNotFound,
)
from anju.care.models import (
    CareConsent,
    CareContact,
    CareLadderStep,
    CareProfile,
    CareSilenceEpisode,
    CareVisit,
)
from anju.care.permissions import CarePerm
from anju.care.repository import CareRepository
from anju.care.rules import LEARN_DAYS, deadline_alarm_at, learned_alarm_at, learned_limits
from anju.care.schemas import (
    AwayCreate,
    ConsentCreate,
    ContactCreate,
    ContactIn,
    ContactRead,
    EpisodeAnswer,
    EpisodeRead,
    LadderStepRead,
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
from anju.registry.models import EmergencyContact, Occupancy, Person
from anju.registry.occupancy import current_occupancy_clause
from anju.registry.schemas import EmergencyContactIn
from anju.registry.service import contact_row

HEALTH_CONTEXT = "care.health_notes"
SILENCE_KIND = "care_silence"
SELF_CHECK_TEXT = (
    "【安居】您好，社区长时间未收到您的出入和活动记录。如您安好，请按 1 或回复 1 确认平安；未确认将联系您的家人。"
)
OUTCOME_TEXT = {
    VisitOutcome.fine: ("平安", "fine"),
    VisitOutcome.away: ("外出", "away"),
    VisitOutcome.hospital: ("住院", "in hospital"),
    VisitOutcome.deceased: ("已故", "deceased"),
    VisitOutcome.other: ("其他", "other"),
}
NEIGHBOUR_WORDS = ("邻居", "neighbour", "neighbor")


def is_neighbour(relation: str) -> bool:
    """A contact whose relation names a neighbour is the ladder's neighbour rung, after the family."""
    r = (relation or "").lower()
    return any(w in r for w in NEIGHBOUR_WORDS)


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


def _silence_alarm_key(profile_id: int, ep: CareSilenceEpisode) -> str:
    """The alarm centre's dedupe key of one silence episode's alarm: raised once, cleared by the same key."""
    return f"care:silence:{profile_id}:{ep.since.isoformat()}"


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


def went_out(profile: CareProfile, since: datetime) -> bool:
    """The silence began with a passage out of the compound (the person is out, not silent at home)."""
    return (
        profile.last_activity_at == since
        and profile.last_activity_source is not None
        and profile.last_activity_source.startswith("access:")
        and profile.last_activity_source.endswith(":out")
    )


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
            # The learned rule (this home's own rhythm); not after a passage out (the person is out: the fixed
            # limit waits for their return), nor in a cold start (too little history: the fixed rule alone).
            limits = None if went_out(p, since) else self._learned(session, p, now=now)
            by_learned = limits is not None and now >= learned_alarm_at(since, limits)
            if silent < timedelta(hours=p.silence_hours) and not (by_deadline or by_learned):
                continue
            if not (by_deadline or by_learned) and in_quiet_window(now, p.quiet_start_minute, p.quiet_end_minute):
                continue  # the night window: no fixed-rule alarm while people sleep; checked again in the morning
            if p.house_id is not None and p.house_id in faulty:
                continue  # a silent sensor is a device fault (alarmed by devices), not an inactive person
            episode = self._open_episode(session, p, since=since, now=now, hours=int(silent.total_seconds() // 3600))
            if episode is not None:
                raised.append(episode.id)
        session.flush()
        return raised

    def _learned(self, session: Session, p: CareProfile, *, now: datetime) -> list[float] | None:
        """The learned rule's 24 hourly limits for this home, computed once a China day (until this midnight) from
        its typed activity of the last 28 days and kept on the profile; None while the history is too short."""
        today = china_date(now)
        if p.learned_on != today:
            midnight = china_datetime(today)
            history = CareRepository(session).activity_history(
                person_id=p.person_id, house_id=p.house_id, since=midnight - timedelta(days=LEARN_DAYS), until=midnight
            )
            limits = learned_limits(history, until=midnight, fixed_hours=float(p.silence_hours))
            p.learned_limits = ",".join(f"{x:.2f}" for x in limits) if limits is not None else None
            p.learned_on = today
        if not p.learned_limits:
            return None
        return [float(x) for x in p.learned_limits.split(",")]

    def _open_episode(
        self, session: Session, p: CareProfile, *, since: datetime, now: datetime, hours: int
    ) -> CareSilenceEpisode | None:
        """One episode per silence (UNIQUE(profile, since)) and its ladder's rungs as durable timers."""
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
                self._plan_ladder(session, p, episode, now=now)
        except IntegrityError:
            return None  # this episode was raised already (an earlier run, a retry, another worker)
        return episode

    def _plan_ladder(self, session: Session, p: CareProfile, episode: CareSilenceEpisode, *, now: datetime) -> None:
        """Self-check now; unanswered after its wait: the alarm and the contacts in order (each with its wait),
        the neighbours, the grid worker, and last the visit work order."""
        cfg = care_settings()
        rungs: list[tuple[LadderRung, int | None, datetime]] = [(LadderRung.self_check, None, now)]
        at = now + timedelta(minutes=cfg.self_check_minutes)
        rungs.append((LadderRung.alarm, None, at))
        contacts = [e for _c, e in CareRepository(session).contacts(p.id)]
        for e in [e for e in contacts if not is_neighbour(e.relation)]:
            rungs.append((LadderRung.contact, e.id, at))
            at += timedelta(minutes=cfg.contact_wait_minutes)
        for e in [e for e in contacts if is_neighbour(e.relation)]:
            rungs.append((LadderRung.neighbour, e.id, at))
            at += timedelta(minutes=cfg.neighbour_wait_minutes)
        rungs.append((LadderRung.grid_worker, None, at))
        at += timedelta(minutes=cfg.grid_worker_wait_minutes)
        rungs.append((LadderRung.visit, None, at))
        session.add_all(
            CareLadderStep(
                compound_id=p.compound_id,
                episode_id=episode.id,
                rung=i,
                kind=kind.value,
                contact_id=contact_id,
                due_at=due,
            )
            for i, (kind, contact_id, due) in enumerate(rungs)
        )
        session.flush()

    def fire_ladder(
        self, session: Session, *, now: datetime | None = None, worker_id: str = "worker", limit: int = 200
    ) -> list[tuple[int, int]]:
        """Fire every due rung of an open episode, each once by compare-and-set (pending → fired), whichever worker
        gets there; a rung of a closed episode is cancelled instead. Returns (episode, rung) fired by this caller."""
        now = now or utcnow()
        repo = CareRepository(session)
        fired: list[tuple[int, int]] = []
        for step, ep in repo.due_steps(now, limit=limit):
            live = ep.closed_at is None
            res = session.execute(
                update(CareLadderStep)
                .where(CareLadderStep.id == step.id, CareLadderStep.status == "pending")
                .values(status="fired" if live else "cancelled", fired_at=now, fired_by=worker_id[:64])
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1 or not live:  # type: ignore[attr-defined]
                continue  # another worker fired it first, or the person was found fine meanwhile
            p = repo.profile(ep.profile_id)
            if p is None:
                continue
            self._fire(session, p, ep, step, now=now)
            fired.append((ep.id, step.rung))
        session.flush()
        return fired

    def _fire(
        self, session: Session, p: CareProfile, ep: CareSilenceEpisode, step: CareLadderStep, *, now: datetime
    ) -> None:
        repo = CareRepository(session)
        house = repo.house(p.house_id) if p.house_id else None
        place = house.label if house is not None else f"#{p.id}"
        kind = LadderRung(step.kind)
        if kind == LadderRung.self_check:
            self._to_person(session, p, purpose="care_self_check", text=SELF_CHECK_TEXT)
        elif kind == LadderRung.alarm:
            title = f"独居老人 {place} 已 {ep.silent_hours} 小时无出入和活动记录，自检未应答"
            # R-E2: the alarm proceeds whether or not the consent is in force; the contacts are told below.
            events.publish(
                session,
                AlarmRequested(
                    compound_id=p.compound_id,
                    kind=SILENCE_KIND,
                    severity="major",
                    source=f"care:profile:{p.id}",
                    dedupe_key=_silence_alarm_key(p.id, ep),
                    title=title,
                    building_id=house.building_id if house else None,
                    unit_id=house.unit_id if house else None,
                    floor=house.floor if house else None,
                    house_id=house.id if house else None,
                    evidence={
                        "profile_id": p.id,
                        "since": ep.since.isoformat(),
                        "silent_hours": ep.silent_hours,
                        "episode": ep.id,
                    },
                ),
                compound_id=p.compound_id,
            )
            if ep.consent_missing:
                ep.told_at = now  # R-E2: told afterwards, by the contacts' messages of this same ladder
        elif kind in (LadderRung.contact, LadderRung.neighbour) and step.contact_id is not None:
            e = session.get(EmergencyContact, step.contact_id)
            if e is None or not e.phone_masked:
                return
            if kind == LadderRung.contact:
                text = f"【安居】您的家人（{place}）长时间无活动记录且未应答自检，请尽快联系或回家查看。"
            else:
                text = f"【安居】您的邻居（{place}）长时间无活动记录，方便时请敲门看看，并回复社区。"
            if ep.consent_missing:
                text += "本次告警未经健康/位置信息单独同意，依法为保护生命安全而处理，特此告知。"
            notify_service.queue_phone(
                session,
                compound_id=p.compound_id,
                channel="sms",
                recipient_ref=f"contact:{e.id}",
                recipient_masked=e.phone_masked,
                purpose="care_silence",
                text=text,
            )
        elif kind == LadderRung.grid_worker:
            visitor = self._visitor(session, p)
            if visitor is not None:
                notify_service.inbox(
                    session,
                    user_ids=[visitor],
                    compound_id=p.compound_id,
                    category="care_visit",
                    title=f"【关爱提醒】{place} 长时间无活动",
                    body="本人与紧急联系人均未确认平安，请先电话联系；未联系上将生成上门查看工单。",
                )
        elif kind == LadderRung.visit:
            self._visit_order(session, p, ep, house_id=house.id if house else None, place=place, now=now)

    def _visit_order(
        self,
        session: Session,
        p: CareProfile,
        ep: CareSilenceEpisode,
        *,
        house_id: int | None,
        place: str,
        now: datetime,
    ) -> CareVisit:
        """The last rung: a visit with an SLA, as a work order (workorders service: deadlines, timers, dispatch) and
        the care visit that records its outcome. UNIQUE(plan_key): one per episode."""
        from anju.workorders.enums import OrderKind, OrderSource, Priority
        from anju.workorders.schemas import OrderCreate
        from anju.workorders.service import work_order_service

        sla = care_settings().alarm_visit_sla_hours
        title = f"关爱上门查看：{place}"
        order = work_order_service.open(
            session,
            by=None,
            data=OrderCreate(
                compound_id=p.compound_id,
                kind=OrderKind.care_visit,
                category="care",
                priority=Priority.urgent,
                title=title,
                description=(
                    f"独居老人已 {ep.silent_hours} 小时无活动，本人、紧急联系人均未确认平安。"
                    f"请在 {sla} 小时内上门，并在关爱探访中记录结果。"
                ),
                house_id=house_id,
            ),
            source=OrderSource.staff,
            now=now,
        )
        visitor = self._visitor(session, p)
        visit = CareVisit(
            compound_id=p.compound_id,
            profile_id=p.id,
            kind=VisitKind.alarm.value,
            plan_key=f"alarm:{ep.id}",
            episode_id=ep.id,
            due_on=china_date(now),
            due_at=now + timedelta(hours=sla),
            assigned_user_id=visitor,
            order_id=order.id,
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
                body=f"工单 #{order.id}：请在 {sla} 小时内上门并记录结果。",
            )
        return visit

    def _to_person(self, session: Session, p: CareProfile, *, purpose: str, text: str) -> None:
        """A message to the person by their own channel (R-E3): a voice call for the visually impaired, SMS (to the
        vibrating device) for the hearing impaired, SMS otherwise."""
        notify_service.queue_phone(
            session,
            compound_id=p.compound_id,
            channel="voice" if p.channel == Channel.voice.value else "sms",
            recipient_ref=f"person:{p.person_id}",
            recipient_masked=None,
            purpose=purpose,
            text=text,
        )

    def _visitor(self, session: Session, p: CareProfile) -> int | None:
        if p.visitor_user_id is not None and staff_of(session, p.compound_id, user_id=p.visitor_user_id):
            return p.visitor_user_id
        grid = staff_of(session, p.compound_id, [Role.grid_worker])
        return grid[0].id if grid else None

    # --- the ladder's end -------------------------------------------------------------------------
    def episode(self, session: Session, *, by: Principal, episode_id: int) -> CareSilenceEpisode:
        ep = session.get(CareSilenceEpisode, episode_id)
        if ep is None or not (by.in_scope(ep.compound_id) or self._is_the_person(session, by, ep)):
            raise EpisodeNotFound(f"silence episode {episode_id}")
        return ep

    def open_episodes(self, session: Session, *, by: Principal, compound_id: int) -> list[EpisodeRead]:
        """The compound's silence episodes still climbing their ladder (newest first)."""
        by.require(CarePerm.read)
        if not by.in_scope(compound_id):
            raise ProfileNotFound(f"compound {compound_id}")
        return [self.read_episode(session, ep) for ep in CareRepository(session).open_episodes(compound_id)]

    def episodes_of(self, session: Session, *, profile: CareProfile) -> list[CareSilenceEpisode]:
        return CareRepository(session).episodes(profile.id)

    def _is_the_person(self, session: Session, by: Principal, ep: CareSilenceEpisode) -> bool:
        p = CareRepository(session).profile(ep.profile_id)
        return p is not None and by.person_id is not None and by.person_id == p.person_id

    def read_episode(self, session: Session, ep: CareSilenceEpisode) -> EpisodeRead:
        return EpisodeRead(
            id=ep.id,
            profile_id=ep.profile_id,
            since=ep.since,
            raised_at=ep.raised_at,
            silent_hours=ep.silent_hours,
            consent_missing=ep.consent_missing,
            answered_by=Answerer(ep.answered_by) if ep.answered_by else None,
            outcome=VisitOutcome(ep.outcome) if ep.outcome else None,
            closed_at=ep.closed_at,
            steps=[
                LadderStepRead(
                    rung=s.rung, kind=LadderRung(s.kind), due_at=s.due_at, status=s.status, fired_at=s.fired_at
                )
                for s in CareRepository(session).steps(ep.id)
            ],
        )

    def answer(
        self, session: Session, *, by: Principal, episode_id: int, data: EpisodeAnswer, now: datetime | None = None
    ) -> CareSilenceEpisode:
        """Someone on the ladder says how the person is. The person answers only for themselves (the self-check);
        staff record what a contact, neighbour or grid worker said. A closed episode is a 409."""
        now = now or utcnow()
        ep = self.episode(session, by=by, episode_id=episode_id)
        if data.by == Answerer.self:
            if not self._is_the_person(session, by, ep):
                by.require(CarePerm.visit)  # staff may record the person's answer on the phone
        else:
            by.require(CarePerm.visit)
        if data.by == Answerer.visit:
            raise BadCareInput("a visit's outcome is recorded on the visit", zh="上门结果请在探访记录中填写")
        if not self._end_episode(session, ep, answered_by=data.by, outcome=data.outcome, now=now):
            raise EpisodeClosed(f"silence episode {episode_id} is closed already")
        visit = session.execute(
            select(CareVisit).where(CareVisit.episode_id == ep.id, CareVisit.status == "open")
        ).scalar_one_or_none()
        if visit is not None:  # found before the visit: the visit and its order close with the answer
            self._close_visit(session, visit, outcome=data.outcome, note=data.note, by=by, now=now)
        return ep

    def _end_episode(
        self, session: Session, ep: CareSilenceEpisode, *, answered_by: Answerer, outcome: VisitOutcome, now: datetime
    ) -> bool:
        """Close the episode once (compare-and-set) with its outcome label; every pending rung is cancelled."""
        res = session.execute(
            update(CareSilenceEpisode)
            .where(CareSilenceEpisode.id == ep.id, CareSilenceEpisode.closed_at.is_(None))
            .values(answered_by=answered_by.value, outcome=outcome.value, closed_at=now)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            return False
        session.execute(
            update(CareLadderStep)
            .where(CareLadderStep.episode_id == ep.id, CareLadderStep.status == "pending")
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        session.refresh(ep)
        p = CareRepository(session).profile(ep.profile_id)
        if p is None:
            return True
        # The alarm centre's silence alarm (if its rung fired) is cleared by its source, as a device clears its
        # own: the operator sees the person was found, and a human still closes the alarm.
        from anju.alarms.service import alarm_service

        alarm_service.clear_by_source(
            session, compound_id=p.compound_id, dedupe_key=_silence_alarm_key(p.id, ep), now=now
        )
        if outcome in (VisitOutcome.fine, VisitOutcome.away):
            # a sign of life: a new episode needs new silence from now
            self.record_activity(session, person_id=p.person_id, at=now, source=f"ladder:{answered_by.value}")
        elif outcome == VisitOutcome.hospital:
            p.away_from, p.away_until = now, now + timedelta(days=care_settings().hospital_away_days)
        elif outcome == VisitOutcome.deceased:
            p.active = False
        session.flush()
        return True

    def _close_visit(
        self, session: Session, v: CareVisit, *, outcome: VisitOutcome, note: str | None, by: Principal, now: datetime
    ) -> bool:
        res = session.execute(
            CareVisit.__table__.update()
            .where(CareVisit.id == v.id, CareVisit.status == "open")
            .values(
                status="done", outcome=outcome.value, note=note, visited_at=now, visited_by=by.user_id, updated_at=now
            )
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            return False
        session.refresh(v)
        if v.order_id is not None:
            from anju.workorders.service import work_order_service

            zh, en = OUTCOME_TEXT[outcome]
            work_order_service.close_linked(
                session,
                order_id=v.order_id,
                compound_id=v.compound_id,
                note=f"上门结果：{zh} / visit outcome: {en}" + (f"（{note}）" if note else ""),
                now=now,
            )
        return True

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
        """Close a visit with its outcome; a second record of the same visit is a 409. An alarm visit's outcome
        closes its work order and labels its silence episode (fine / away / hospital / deceased / other)."""
        by.require(CarePerm.visit)
        now = now or utcnow()
        v = CareRepository(session).visit(visit_id)
        if v is None or not by.in_scope(v.compound_id):
            raise VisitNotFound(f"visit {visit_id}")
        if not self._close_visit(session, v, outcome=data.outcome, note=data.note, by=by, now=now):
            raise VisitClosed(f"visit {visit_id} already has its outcome")
        ep = session.get(CareSilenceEpisode, v.episode_id) if v.episode_id is not None else None
        if ep is not None:
            self._end_episode(session, ep, answered_by=Answerer.visit, outcome=data.outcome, now=now)
        elif data.outcome in (VisitOutcome.fine, VisitOutcome.away):
            p = CareRepository(session).profile(v.profile_id)
            if p is not None:  # seen at home (or known away): a new silence is counted from now
                self.record_activity(session, person_id=p.person_id, at=now, source=f"visit:{data.outcome.value}")
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
