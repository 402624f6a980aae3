"""Alarms on silence (独居老人长时间未出家门): one episode (and its ladder) per silence, night window, typed activity
only, sensor faults are not silence, R-E2 (alarm without consent, told afterwards). The ladder itself:
tests/care/test_ladder.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from anju.access.events import AccessGranted
from anju.alarms.models import Alarm
from anju.care.handlers import passage_is_activity
from anju.care.models import CareSilenceEpisode, CareVisit
from anju.care.service import care_service, in_quiet_window
from anju.core.events import OutboxEvent
from anju.devices.models import Device, DeviceMessage, DeviceState
from anju.notify.models import Delivery
from tests.care.helpers import make_profile
from tests.conftest import run_worker_once

# 2026-12-01 10:00 China time = 02:00 UTC
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _requests(session, profile_id):
    rows = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
    return [e for e in rows if e.payload["source"] == f"care:profile:{profile_id}"]


def _episodes(session, profile_id):
    q = select(func.count(CareSilenceEpisode.id)).where(CareSilenceEpisode.profile_id == profile_id)
    return session.execute(q).scalar_one()


def _climb(session, start, minutes):
    """Run the ladder job at every minute from `start` for `minutes` (the fake clock)."""
    for m in range(0, minutes + 1, 5):
        care_service.fire_ladder(session, now=start + timedelta(minutes=m))


def _delivery_ids(session):
    return set(session.execute(select(Delivery.id)).scalars())


def _device(session, compound_id, house_id, kind="door_magnet", status="online"):
    d = Device(
        compound_id=compound_id,
        device_key=f"CARE-{kind}-{house_id}",
        name="门磁",
        device_type=kind,
        house_id=house_id,
        secret_enc="x",
    )
    session.add(d)
    session.flush()
    session.add(DeviceState(device_id=d.id, compound_id=compound_id, status=status))
    session.flush()
    return d


def _reading(session, device, at, kind="telemetry"):
    session.add(
        DeviceMessage(
            device_id=device.id,
            compound_id=device.compound_id,
            event_id=f"ev-{device.id}-{at.isoformat()}-{kind}",
            kind=kind,
            device_at=at,
            received_at=at,
            data={"open": True} if kind != "heartbeat" else {},
        )
    )
    session.flush()


class TestSilence:
    def test_silence_past_the_limit_opens_one_episode_whose_ladder_raises_one_alarm_and_one_visit(
        self, session, who, ids
    ):
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=25))
        assert care_service.check_silence(session, now=MORNING - timedelta(hours=2)) == []  # 23 h: not yet
        raised = care_service.check_silence(session, now=MORNING)
        assert len(raised) == 1
        assert _requests(session, p.id) == []  # the self-check comes first
        _climb(session, MORNING, 60)
        reqs = _requests(session, p.id)
        assert len(reqs) == 1 and reqs[0].payload["kind"] == "care_silence"
        assert reqs[0].payload["house_id"] == p.house_id
        visits = session.execute(select(CareVisit).where(CareVisit.profile_id == p.id)).scalars().all()
        assert len(visits) == 1 and visits[0].kind == "alarm" and visits[0].status == "open"
        assert visits[0].assigned_user_id == who("grid_zhou").user_id
        assert visits[0].order_id is not None
        run_worker_once()
        alarms = session.execute(select(Alarm).where(Alarm.source == f"care:profile:{p.id}")).scalars().all()
        assert len(alarms) == 1 and alarms[0].kind == "care_silence"

    def test_retries_and_later_runs_never_raise_the_same_episode_twice(self, session, who, ids):
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30))
        for k in range(4):
            care_service.check_silence(session, now=MORNING + timedelta(minutes=5 * k))
            care_service.fire_ladder(session, now=MORNING + timedelta(minutes=15 + 5 * k))
        assert len(_requests(session, p.id)) == 1
        n = session.execute(select(func.count(CareSilenceEpisode.id)).where(CareSilenceEpisode.profile_id == p.id))
        assert n.scalar_one() == 1

    def test_night_window_holds_the_alarm_until_morning(self, session, who, ids):
        night = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 02:00 China time
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=night - timedelta(hours=30))
        assert in_quiet_window(night, 22 * 60, 7 * 60)
        assert care_service.check_silence(session, now=night) == []
        assert len(care_service.check_silence(session, now=night + timedelta(hours=5, minutes=30))) == 1  # 07:30
        assert _episodes(session, p.id) == 1

    def test_per_person_limit(self, session, who, ids):
        p = make_profile(
            session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=13), silence_hours=12
        )
        assert len(care_service.check_silence(session, now=MORNING)) == 1
        assert _episodes(session, p.id) == 1

    def test_a_door_passage_is_activity(self, session, who, ids):
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30))
        passage_is_activity(
            session,
            AccessGranted(
                log_id=1,
                compound_id=ids["A"],
                access_point_id=None,
                method="face",
                reason="resident",
                direction="out",
                person_id=p.person_id,
                at=(MORNING - timedelta(hours=3)).isoformat(),
            ),
        )
        assert p.last_activity_source == "access:face:0:out"
        assert care_service.check_silence(session, now=MORNING) == []

    def test_a_sensor_reading_is_activity_but_a_heartbeat_is_not(self, session, who, ids):
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30))
        door = _device(session, ids["A"], p.house_id)
        _reading(session, door, MORNING - timedelta(hours=1), kind="heartbeat")
        assert len(care_service.check_silence(session, now=MORNING)) == 1  # a keep-alive says nothing of the person
        q = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30), nth=1)
        door2 = _device(session, ids["A"], q.house_id, kind="motion_sensor")
        _reading(session, door2, MORNING - timedelta(hours=1))
        assert care_service.check_silence(session, now=MORNING) == []
        assert _episodes(session, q.id) == 0

    def test_an_offline_sensor_is_a_device_fault_not_silence(self, session, who, ids):
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30))
        _device(session, ids["A"], p.house_id, status="offline")
        assert care_service.check_silence(session, now=MORNING) == []
        assert _episodes(session, p.id) == 0

    def test_a_visit_recorded_fine_ends_the_episode(self, session, who, ids):
        from anju.care.schemas import VisitRecord

        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30))
        care_service.check_silence(session, now=MORNING)
        _climb(session, MORNING, 60)
        visit = session.execute(select(CareVisit).where(CareVisit.profile_id == p.id)).scalar_one()
        at = MORNING + timedelta(hours=1)
        care_service.record_visit(
            session, by=who("grid_zhou"), visit_id=visit.id, data=VisitRecord(outcome="fine"), now=at
        )
        assert visit.outcome == "fine" and visit.visited_by == who("grid_zhou").user_id
        assert care_service.check_silence(session, now=at + timedelta(hours=6)) == []
        assert len(care_service.check_silence(session, now=at + timedelta(hours=25))) == 1  # a new episode


class TestConsent:
    def test_r_e2_alarm_proceeds_without_consent_and_the_guardian_is_told_afterwards(self, session, who, ids):
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30))
        before = _delivery_ids(session)
        [eid] = care_service.check_silence(session, now=MORNING)
        _climb(session, MORNING, 30)
        ep = session.get(CareSilenceEpisode, eid)
        assert ep.consent_missing and ep.told_at == MORNING + timedelta(minutes=15)  # with the alarm
        texts = [
            d.payload["text"]
            for d in session.execute(select(Delivery).where(Delivery.purpose == "care_silence")).scalars()
            if d.id not in before
        ]
        assert len(texts) == 2 and all("特此告知" in t for t in texts)  # both contacts, in order
        assert len(_requests(session, p.id)) == 1

    def test_r_e2_with_consent_no_after_the_fact_notice(self, session, who, ids):
        from anju.care.schemas import ConsentCreate

        m = who("manager_wang")
        p = make_profile(session, m, ids["A"], created_at=MORNING - timedelta(hours=30))
        care_service.give_consent(session, by=m, profile_id=p.id, data=ConsentCreate(scope="location"))
        before = _delivery_ids(session)
        [eid] = care_service.check_silence(session, now=MORNING)
        _climb(session, MORNING, 30)
        ep = session.get(CareSilenceEpisode, eid)
        assert not ep.consent_missing and ep.told_at is None
        texts = [
            d.payload["text"]
            for d in session.execute(select(Delivery).where(Delivery.purpose == "care_silence")).scalars()
            if d.id not in before
        ]
        assert texts and not any("特此告知" in t for t in texts)

    def test_r_e3_visually_impaired_get_a_voice_call_self_check(self, session, who, ids):
        p = make_profile(
            session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30), disability="visual"
        )
        assert p.channel == "voice"
        care_service.check_silence(session, now=MORNING)
        care_service.fire_ladder(session, now=MORNING)
        d = session.execute(
            select(Delivery).where(
                Delivery.purpose == "care_self_check", Delivery.recipient_ref == f"person:{p.person_id}"
            )
        ).scalar_one()
        assert d.channel == "voice"


class TestRuleAsATime:
    def test_first_alarm_at_is_held_to_the_end_of_the_night_window(self):
        from anju.care.service import first_alarm_at

        last = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 China time
        assert first_alarm_at(last, hours=24, quiet_start_minute=22 * 60, quiet_end_minute=7 * 60) == last + timedelta(
            hours=24
        )
        evening = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 China time: +24 h is 23:00, inside the window
        fire = first_alarm_at(evening, hours=24, quiet_start_minute=22 * 60, quiet_end_minute=7 * 60)
        assert fire == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 07:00 China time the morning after

    def test_the_periodic_check_agrees_with_first_alarm_at(self, session, who, ids):
        from anju.care.service import first_alarm_at

        created = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=created)
        fire = first_alarm_at(created, hours=24, quiet_start_minute=22 * 60, quiet_end_minute=7 * 60)
        assert care_service.check_silence(session, now=fire - timedelta(minutes=5)) == []
        assert len(care_service.check_silence(session, now=fire)) == 1
        assert _episodes(session, p.id) == 1

    def test_the_household_simulator_is_deterministic(self):
        from anju.sim.household_sim import simulate

        a, b = simulate(20, 10, seed=3), simulate(20, 10, seed=3)
        assert [h.events for h in a] == [h.events for h in b]
        assert any(h.emergency_at for h in simulate(50, 20, seed=3))


class TestAway:
    def test_an_away_registration_holds_the_alarm_and_silence_restarts_at_its_end(self, session, who, ids):
        from anju.care.schemas import AwayCreate

        p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30))
        care_service.register_away(
            session,
            by=who("grid_zhou"),
            profile_id=p.id,
            data=AwayCreate(starts_at=MORNING - timedelta(hours=20), ends_at=MORNING + timedelta(days=3)),
        )
        assert care_service.check_silence(session, now=MORNING) == []
        back = MORNING + timedelta(days=3)
        assert care_service.check_silence(session, now=back + timedelta(hours=23)) == []  # not back yet for 24 h
        [eid] = care_service.check_silence(session, now=back + timedelta(hours=24))
        assert session.get(CareSilenceEpisode, eid).since == back


class TestDeadlineRule:
    def test_not_up_by_the_deadline_raises_the_alarm_long_before_24_hours(self, session, who, ids):
        # last seen 21:00 China time on 30 Nov (13:00 UTC); deadline 09:30 on 1 Dec = 01:30 UTC
        last = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=last, deadline="09:30")
        assert care_service.check_silence(session, now=datetime(2026, 12, 1, 1, 25, tzinfo=UTC)) == []
        raised = care_service.check_silence(session, now=datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
        assert len(raised) == 1 and _episodes(session, p.id) == 1  # 12.5 h, not 24

    def test_up_this_morning_is_not_a_deadline_alarm(self, session, who, ids):
        up = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 07:00 China time on 1 Dec
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=up, deadline="09:30")
        assert care_service.check_silence(session, now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == []
        assert _requests(session, p.id) == []
        # without a deadline nor a sign of life the 24 h rule still applies (held to the end of the night)
        assert len(care_service.check_silence(session, now=up + timedelta(hours=24))) == 1

    def test_the_deadline_is_cleared_with_null(self, session, who, ids):
        from anju.care.schemas import ProfileUpdate

        last = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
        p = make_profile(session, who("manager_wang"), ids["A"], created_at=last, deadline="09:30")
        care_service.update(session, by=who("manager_wang"), profile_id=p.id, data=ProfileUpdate(deadline=None))
        assert p.deadline_minute is None
        assert care_service.check_silence(session, now=datetime(2026, 12, 1, 1, 30, tzinfo=UTC)) == []


class TestLearnedRuleLive:
    """The live job applies the learned rule from this home's own typed activity (cold start: the fixed rule)."""

    @staticmethod
    def _home(session, who, ids, days: int):
        from anju.core.kit.china_time import CHINA_TZ

        p = make_profile(session, who("manager_wang"), ids["A"], created_at=datetime(2026, 11, 1, tzinfo=UTC))
        motion = _device(session, ids["A"], p.house_id, kind="motion_sensor")
        for d in range(days, 0, -1):  # up at 07:00, a reading every hour until 21:00
            for h in range(7, 22):
                _reading(session, motion, datetime(2026, 12, 1, h, tzinfo=CHINA_TZ) - timedelta(days=d))
        for h in range(7, 15):  # today until 14:00, then nothing
            _reading(session, motion, datetime(2026, 12, 1, h, tzinfo=CHINA_TZ))
        _reading(session, motion, datetime(2026, 12, 1, 14, 30, tzinfo=CHINA_TZ), kind="heartbeat")
        return p

    def test_an_afternoon_silence_is_raised_after_hours_not_a_day(self, session, who, ids):
        from anju.core.kit.china_time import CHINA_TZ

        p = self._home(session, who, ids, days=9)
        assert care_service.check_silence(session, now=datetime(2026, 12, 1, 15, 55, tzinfo=CHINA_TZ)) == []
        assert p.learned_on is not None and p.learned_limits is not None  # kept for the day
        assert len(care_service.check_silence(session, now=datetime(2026, 12, 1, 16, 0, tzinfo=CHINA_TZ))) == 1
        assert _episodes(session, p.id) == 1

    def test_cold_start_keeps_the_fixed_rule(self, session, who, ids):
        from anju.core.kit.china_time import CHINA_TZ

        p = self._home(session, who, ids, days=4)  # fewer than 7 days of history
        assert care_service.check_silence(session, now=datetime(2026, 12, 1, 20, 0, tzinfo=CHINA_TZ)) == []
        assert p.learned_limits is None and _episodes(session, p.id) == 0

    def test_after_a_passage_out_the_fixed_limit_waits_for_the_return(self, session, who, ids):
        from anju.core.kit.china_time import CHINA_TZ

        p = self._home(session, who, ids, days=9)
        out = datetime(2026, 12, 1, 14, 10, tzinfo=CHINA_TZ)
        passage_is_activity(
            session,
            AccessGranted(
                log_id=1,
                compound_id=ids["A"],
                access_point_id=None,
                method="face",
                reason="resident",
                direction="out",
                person_id=p.person_id,
                at=out.isoformat(),
            ),
        )
        assert care_service.check_silence(session, now=out + timedelta(hours=6)) == []
