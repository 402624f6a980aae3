"""Escalation timers with an injected clock (and two concurrent workers), and the smoke-alarm linkage chain."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from anju.alarms.enums import AlarmAction
from anju.alarms.escalation import escalation_service
from anju.alarms.events import AlarmRequested
from anju.alarms.models import Alarm, AlarmEscalation
from anju.alarms.service import alarm_service
from anju.core.audit import PiiAccess
from anju.core.crypto import encrypt, mask_phone
from anju.core.db import transaction, utcnow
from anju.core.events import OutboxEvent
from anju.devices.enums import DeviceType
from anju.notify.models import Delivery, Notification
from anju.notify.providers import phone_provider
from anju.registry.models import EmergencyContact, House
from tests.conftest import run_worker_once
from tests.core.job_race import race
from tests.devices.helpers import DedicatedDatabase, make_device, msg, push


def _user(session, name: str) -> int:
    return session.execute(text("SELECT id FROM app_user WHERE username=:u"), {"u": name}).scalar_one()


def _inbox(session, user_id: int, alarm_id: int) -> list[Notification]:
    return list(
        session.execute(
            select(Notification).where(Notification.user_id == user_id, Notification.alarm_id == alarm_id)
        ).scalars()
    )


def _critical(ids, key=None) -> AlarmRequested:
    return AlarmRequested(
        compound_id=ids["A"],
        kind="lift_trapped",
        severity="critical",
        source="test",
        dedupe_key=key or f"t:{uuid.uuid4().hex}",
        title="电梯困人",
    )


class TestEscalation:
    def test_chain_with_frozen_time(self, session, ids):
        t0 = utcnow()
        a = alarm_service.raise_or_refresh(session, request=_critical(ids), now=t0).alarm_id
        guard, staff, mgr = _user(session, "guard_chen"), _user(session, "staff_liu"), _user(session, "manager_wang")
        assert escalation_service.fire_due(session, now=t0) == [(a, 0)]
        assert len(_inbox(session, guard, a)) == 1 and _inbox(session, staff, a) == []
        assert escalation_service.fire_due(session, now=t0 + timedelta(seconds=119)) == []
        assert escalation_service.fire_due(session, now=t0 + timedelta(seconds=120)) == [(a, 1)]
        assert len(_inbox(session, staff, a)) == 1 and _inbox(session, mgr, a) == []
        assert escalation_service.fire_due(session, now=t0 + timedelta(seconds=300)) == [(a, 2)]
        assert len(_inbox(session, mgr, a)) == 1
        alarm = session.get(Alarm, a)
        session.refresh(alarm)
        assert alarm.escalation_level == 2
        assert escalation_service.fire_due(session, now=t0 + timedelta(hours=1)) == []  # each step once

    def test_acknowledging_stops_the_chain(self, session, ids, persona):
        t0 = utcnow()
        a = alarm_service.raise_or_refresh(session, request=_critical(ids), now=t0).alarm_id
        escalation_service.fire_due(session, now=t0)
        who = persona("guard_chen").who  # a guard of compound A
        alarm_service.transition(
            session, by=who, alarm_id=a, action=AlarmAction.acknowledged, now=t0 + timedelta(seconds=60)
        )
        assert escalation_service.fire_due(session, now=t0 + timedelta(hours=1)) == []
        steps = session.execute(
            select(AlarmEscalation.step, AlarmEscalation.status)
            .where(AlarmEscalation.alarm_id == a)
            .order_by(AlarmEscalation.step)
        ).all()
        assert [tuple(s) for s in steps] == [(0, "fired"), (1, "cancelled"), (2, "cancelled")]

    def test_chain_is_configurable_per_compound(self, session, ids):
        from anju.alarms.models import AlarmPolicy

        staff = _user(session, "staff_liu")
        session.add(
            AlarmPolicy(
                compound_id=ids["A"],
                kind="lift_trapped",
                severity="*",
                policy={
                    "chain": [
                        {"after_seconds": 0, "target": {"users": [staff]}},
                        {"after_seconds": 30, "target": {"roles": ["guard"]}},
                    ]
                },
            )
        )
        session.flush()
        t0 = utcnow()
        a = alarm_service.raise_or_refresh(session, request=_critical(ids), now=t0).alarm_id
        assert escalation_service.fire_due(session, now=t0 + timedelta(seconds=30)) == [(a, 0), (a, 1)]
        assert len(_inbox(session, staff, a)) == 1


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    db = DedicatedDatabase(tmp_path_factory.mktemp("esc"), "esc")
    yield db
    db.close()


def test_two_workers_never_fire_the_same_step_twice(real_db):
    t0 = utcnow()
    with transaction() as s:
        compound = s.execute(text("SELECT id FROM compound WHERE code='SFXQ'")).scalar_one()
        alarm_ids = [
            alarm_service.raise_or_refresh(s, request=_critical({"A": compound}), now=t0).alarm_id for _ in range(20)
        ]
    results: dict[str, list[tuple[int, int]]] = {}

    def work(name: str) -> None:
        fired: list[tuple[int, int]] = []
        for offset in (0, 120, 300):  # both workers walk the same frozen clock
            with transaction() as s:
                fired += escalation_service.fire_due(s, now=t0 + timedelta(seconds=offset), worker_id=name)
        results[name] = fired

    race(2, lambda i: work(("w1", "w2")[i]))
    everything = results["w1"] + results["w2"]
    assert sorted(everything) == sorted((a, step) for a in alarm_ids for step in range(3))  # once each, no repeats
    with transaction() as s:
        guards = s.execute(
            text(
                "SELECT count(*) FROM app_user u JOIN user_compound uc ON uc.user_id=u.id "
                "WHERE u.role='guard' AND uc.compound_id=:c"
            ),
            {"c": compound},
        ).scalar_one()
        n = s.execute(
            select(func.count())
            .select_from(Notification)
            .where(Notification.alarm_id.in_(alarm_ids), Notification.category == "alarm")
        ).scalar_one()
        assert n == guards * len(alarm_ids)


class TestSmokeLinkage:
    def test_smoke_alarm_chain_end_to_end(self, client, session, ids, login):
        li_house = session.get(House, ids["li_house"])
        session.add(
            EmergencyContact(
                compound_id=ids["A"],
                person_id=ids["li_person"],
                name="李女士",
                relation="子女",
                phone_enc=encrypt("13912345678", context="contact.phone"),
                phone_masked=mask_phone("13912345678"),
            )
        )
        dev, key, secret = make_device(
            session,
            ids["A"],
            DeviceType.smoke_detector,
            building_id=li_house.building_id,
            unit_id=li_house.unit_id,
            floor=li_house.floor,
            location="3号楼1单元8层前室",
        )
        session.flush()
        sent_before = len(phone_provider("logging").sent)

        r = push(client, key, secret, msg({"smoke": 7.5, "alarm": True}))  # 1. ingest
        assert r.status_code == 202
        alarm = session.execute(select(Alarm).where(Alarm.device_id == dev)).scalar_one()  # 2. alarm
        assert (alarm.kind, alarm.severity, alarm.floor) == ("smoke", "critical", li_house.floor)
        topics = [
            e.topic for e in session.execute(select(OutboxEvent).where(OutboxEvent.status == "pending")).scalars()
        ]
        assert "alarms.AlarmRaised" in topics  # 3. access puts evacuation doors in fail-open from this

        run_worker_once()  # the worker: linkage, then the sends (after commit)

        li_user = _user(session, "resident_li")
        assert [n.category for n in _inbox(session, li_user, alarm.id)] == ["alarm_linkage"]  # 4. household inbox
        deliveries = session.execute(select(Delivery).where(Delivery.alarm_id == alarm.id)).scalars().all()
        refs = {d.recipient_ref: d.status for d in deliveries}
        contact = session.execute(
            select(EmergencyContact.id).where(
                EmergencyContact.person_id == ids["li_person"], EmergencyContact.name == "李女士"
            )
        ).scalar_one()
        assert refs[f"person:{ids['li_person']}"] == "sent" and refs[f"contact:{contact}"] == "sent"  # 5. SMS
        sent = list(phone_provider("logging").sent)[sent_before:]
        assert "139****5678" in {s.phone_masked for s in sent}
        audits = session.execute(select(PiiAccess).where(PiiAccess.subject == f"contact:{contact}")).scalars().all()
        assert [a.reason for a in audits] == ["alarm linkage"]  # 6. phone reads audited
        wo = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.WorkOrderRequested")).scalars()
        assert any(e.payload["alarm_id"] == alarm.id and e.payload["category"] == "fire_safety" for e in wo)  # 7.
        guard_inbox = _inbox(session, _user(session, "guard_chen"), alarm.id)
        assert guard_inbox == [] or guard_inbox[0].category == "alarm"
        assert all(d.recipient_masked is None or "*" in d.recipient_masked for d in deliveries if d.channel == "sms")

    def test_signed_webhook_with_retries(self, session, ids, monkeypatch):
        from anju.notify import providers
        from anju.notify.service import notify_service

        notify_service.add_webhook(session, compound_id=ids["A"], url="http://hooks.invalid/a", secret="s3cret")
        calls: list[tuple[str, dict]] = []

        class Resp:
            def __init__(self, code: int) -> None:
                self.status_code = code

        def fake_post(url, content, headers, timeout):
            calls.append((url, headers))
            return Resp(500 if len(calls) == 1 else 200)

        monkeypatch.setattr(providers.httpx, "post", fake_post)
        t0 = utcnow()
        a = alarm_service.raise_or_refresh(session, request=_critical(ids), now=t0).alarm_id
        run_worker_once()
        d = (
            session.execute(select(Delivery).where(Delivery.alarm_id == a, Delivery.channel == "webhook"))
            .scalars()
            .first()
        )
        session.refresh(d)
        assert d.status == "retrying" and d.attempts == 1
        assert notify_service.deliver(d.id, now=t0 + timedelta(minutes=5)) == "sent"
        ts, sig = calls[0][1]["x-anju-timestamp"], calls[0][1]["x-anju-signature"]
        assert sig.startswith("sha256=") and len(sig) == 71 and ts.isdigit()
