"""The silence escalation ladder on durable rung timers (fake clock): self-check → alarm and contacts in order, each
with its wait → neighbour → grid worker → a visit work order with an SLA, whose outcome labels the episode.
A "fine" at any rung stops it. Two workers racing: tests/care/test_silence_race.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from anju.care.models import CareLadderStep, CareProfile, CareSilenceEpisode, CareVisit
from anju.care.schemas import ContactIn, EpisodeAnswer, VisitRecord
from anju.care.service import care_service
from anju.core.events import OutboxEvent
from anju.notify.models import Delivery
from anju.workorders.models import WorkOrder
from tests.care.helpers import make_profile

MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 China time
API = "/api/v1/care"


def _open(session, who, ids, **kw) -> tuple[CareProfile, int]:
    p = make_profile(session, who("manager_wang"), ids["A"], created_at=MORNING - timedelta(hours=30), **kw)
    [eid] = care_service.check_silence(session, now=MORNING)
    return p, eid


def _alarm_requests(session, profile_id):
    rows = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
    return [e for e in rows if e.payload["source"] == f"care:profile:{profile_id}"]


def _texts(session, purpose, since_id):
    q = select(Delivery).where(Delivery.purpose == purpose, Delivery.id > since_id).order_by(Delivery.id)
    return list(session.execute(q).scalars())


def _last_delivery(session) -> int:
    return max(session.execute(select(Delivery.id)).scalars(), default=0)


def _steps(session, eid):
    q = select(CareLadderStep).where(CareLadderStep.episode_id == eid).order_by(CareLadderStep.rung)
    return [(s.kind, s.status) for s in session.execute(q).scalars()]


class TestLadder:
    def test_rungs_in_order_each_with_its_wait_neighbour_after_family(self, session, who, ids):
        contacts = [
            ContactIn(name="张小明", relation="儿子", phone="13800001111", guardian=True),
            ContactIn(name="李阿姨", relation="邻居", phone="13800003333"),
            ContactIn(name="张小红", relation="女儿", phone="13800002222"),
        ]
        p, eid = _open(session, who, ids, contacts=contacts)
        due = session.execute(
            select(CareLadderStep.kind, CareLadderStep.due_at)
            .where(CareLadderStep.episode_id == eid)
            .order_by(CareLadderStep.rung)
        ).all()
        mins = [(k, int((at - MORNING).total_seconds() // 60)) for k, at in due]
        assert mins == [
            ("self_check", 0),
            ("alarm", 15),
            ("contact", 15),  # the son, first in order, with the alarm
            ("contact", 25),  # the daughter after the son's 10 minutes
            ("neighbour", 35),  # the neighbour after the family, whatever their position
            ("grid_worker", 45),
            ("visit", 65),
        ]
        start = _last_delivery(session)
        assert care_service.fire_ladder(session, now=MORNING + timedelta(minutes=14)) == [(eid, 0)]
        assert _alarm_requests(session, p.id) == []  # the self-check has its 15 minutes
        care_service.fire_ladder(session, now=MORNING + timedelta(minutes=15))
        assert len(_alarm_requests(session, p.id)) == 1
        sms = _texts(session, "care_silence", start)
        assert [d.recipient_masked for d in sms] == ["138****1111"]
        care_service.fire_ladder(session, now=MORNING + timedelta(minutes=35))
        sms = _texts(session, "care_silence", start)
        assert [d.recipient_masked for d in sms] == ["138****1111", "138****2222", "138****3333"]
        assert "邻居" in sms[-1].payload["text"]

    def test_self_check_answered_fine_stops_the_ladder_before_any_alarm(self, session, who, ids):
        p, eid = _open(session, who, ids)
        care_service.fire_ladder(session, now=MORNING)
        at = MORNING + timedelta(minutes=8)
        ep = care_service.answer(session, by=who("grid_zhou"), episode_id=eid, data=EpisodeAnswer(by="self"), now=at)
        assert (ep.outcome, ep.answered_by, ep.closed_at) == ("fine", "self", at)
        assert care_service.fire_ladder(session, now=MORNING + timedelta(hours=3)) == []
        assert _alarm_requests(session, p.id) == []
        assert [s for _k, s in _steps(session, eid)] == ["fired"] + ["cancelled"] * 5
        assert p.last_activity_at == at  # a new silence counts from the answer

    def test_a_contact_saying_fine_stops_it_before_the_visit_order(self, session, who, ids):
        _p, eid = _open(session, who, ids)
        care_service.fire_ladder(session, now=MORNING + timedelta(minutes=25))
        care_service.answer(
            session,
            by=who("grid_zhou"),
            episode_id=eid,
            data=EpisodeAnswer(by="contact", note="儿子接她去家里住两天"),
            now=MORNING + timedelta(minutes=30),
        )
        care_service.fire_ladder(session, now=MORNING + timedelta(hours=3))
        assert session.execute(select(CareVisit).where(CareVisit.episode_id == eid)).first() is None
        assert [s for _k, s in _steps(session, eid)][-2:] == ["cancelled", "cancelled"]

    def test_found_fine_after_the_alarm_clears_the_alarm_centres_alarm_by_its_source(self, session, who, ids):
        from anju.alarms.models import Alarm
        from tests.conftest import run_worker_once

        p, eid = _open(session, who, ids)
        care_service.fire_ladder(session, now=MORNING + timedelta(minutes=25))  # the alarm rung is due at 15 min
        run_worker_once()  # the alarm centre takes the request
        [alarm] = session.execute(select(Alarm).where(Alarm.source == f"care:profile:{p.id}")).scalars()
        assert alarm.cleared_at is None
        care_service.answer(
            session,
            by=who("grid_zhou"),
            episode_id=eid,
            data=EpisodeAnswer(by="contact", note="在女儿家"),
            now=MORNING + timedelta(minutes=30),
        )
        session.refresh(alarm)
        assert alarm.cleared_at is not None  # cleared by its source; a human still closes it
        assert alarm.closed_at is None

    def test_the_visit_order_has_an_sla_and_its_outcome_labels_the_episode(self, session, who, ids):
        p, eid = _open(session, who, ids)
        care_service.fire_ladder(session, now=MORNING + timedelta(minutes=55))
        visit = session.execute(select(CareVisit).where(CareVisit.episode_id == eid)).scalar_one()
        order = session.get(WorkOrder, visit.order_id)
        assert order.kind == "care_visit" and order.house_id == p.house_id
        assert order.resolution_due_at is not None  # the work order's own SLA clock runs
        assert visit.due_at == MORNING + timedelta(minutes=55, hours=2)
        at = MORNING + timedelta(hours=2)
        care_service.record_visit(
            session, by=who("grid_zhou"), visit_id=visit.id, data=VisitRecord(outcome="hospital"), now=at
        )
        ep = session.get(CareSilenceEpisode, eid)
        assert (ep.outcome, ep.answered_by) == ("hospital", "visit")  # the label fed back
        session.refresh(order)
        assert order.status == "closed"
        assert p.away_from == at and p.away_until == at + timedelta(days=7)  # no silence alarm while in hospital
        assert care_service.check_silence(session, now=at + timedelta(days=2)) == []

    def test_r_e3_the_self_check_goes_by_the_persons_channel(self, session, who, ids):
        p, _eid = _open(session, who, ids, disability="visual")
        start = _last_delivery(session)
        care_service.fire_ladder(session, now=MORNING)
        [d] = _texts(session, "care_self_check", start)
        assert d.channel == "voice" and d.recipient_ref == f"person:{p.person_id}"
        q, _ = _open(session, who, ids, nth=1, disability="hearing")
        care_service.fire_ladder(session, now=MORNING)
        [d] = [x for x in _texts(session, "care_self_check", start) if x.recipient_ref == f"person:{q.person_id}"]
        assert d.channel == "sms"  # to the vibrating SMS device


class TestAnswerApi:
    def test_the_person_confirms_for_themselves_once(self, client, login, session, who, ids):
        p = make_profile(
            session,
            who("manager_wang"),
            ids["A"],
            created_at=MORNING - timedelta(hours=30),
            person_id=ids["li_person"],
        )
        [eid] = care_service.check_silence(session, now=MORNING)
        session.commit()
        r = client.post(f"{API}/episodes/{eid}/answer", json={"by": "self"}, headers=login("resident_li"))
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "fine" and r.json()["steps"][0]["kind"] == "self_check"
        again = client.post(f"{API}/episodes/{eid}/answer", json={"by": "self"}, headers=login("resident_li"))
        assert again.status_code == 409
        assert client.post(
            f"{API}/episodes/{eid}/answer", json={"by": "contact"}, headers=login("outsider_zhao")
        ).status_code in (403, 404)
        listed = client.get(f"{API}/profiles/{p.id}/episodes", headers=login("manager_wang")).json()
        assert listed[0]["answered_by"] == "self"
