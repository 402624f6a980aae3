"""Linkage: what an alarm sets in motion once raised (after commit, in the worker).

Smoke → the household(s) on that floor and their emergency contacts are told, a work order is
requested; evacuation doors fail open because access subscribes to AlarmRaised itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRaised, WorkOrderRequested
from anju.alarms.policies import WORK_ORDER_CATEGORY, policy_for
from anju.core import events
from anju.notify.service import notify_service
from anju.registry.occupancy import current_occupancy_clause

PURPOSE = "alarm linkage"  # the audited reason for reading a phone number


def _houses(session: Session, e: AlarmRaised) -> list[int]:
    """The alarm's house, else every house on its floor of its unit (or building)."""
    from anju.registry.models import House

    if e.house_id is not None:
        return [e.house_id]
    if e.floor is None or (e.unit_id is None and e.building_id is None):
        return []
    stmt = select(House.id).where(House.compound_id == e.compound_id, House.floor == e.floor)
    stmt = (
        stmt.where(House.unit_id == e.unit_id)
        if e.unit_id is not None
        else stmt.where(House.building_id == e.building_id)
    )
    return list(session.execute(stmt.order_by(House.id)).scalars())


def _occupants(session: Session, house_ids: list[int]) -> list[tuple[int, str | None, int]]:
    """(person_id, masked phone, house_id) of current occupants who are not frozen (R-P4)."""
    from anju.registry.models import Occupancy, Person

    if not house_ids:
        return []
    rows = session.execute(
        select(Person.id, Person.phone_masked, Occupancy.house_id, Person.phone_enc)
        .join(Occupancy, Occupancy.person_id == Person.id)
        .where(Occupancy.house_id.in_(house_ids), current_occupancy_clause(), Person.frozen_at.is_(None))
        .order_by(Person.id)
    ).all()
    seen: set[int] = set()
    out = []
    for pid, masked, hid, enc in rows:
        if pid not in seen and enc:
            seen.add(pid)
            out.append((pid, masked, hid))
    return out


def _basis(policy: dict[str, object]) -> str | None:
    """The national citation followed by the compound's local rule, when either is set (R-S1)."""
    if not policy.get("basis"):
        return None  # only violations with a national basis cite the local rule too
    return "；".join(str(p) for p in (policy["basis"], policy.get("local_rule")) if p)


def run_linkage(session: Session, e: AlarmRaised) -> dict[str, int]:
    """Carry out the policy's linkage actions for a freshly raised alarm; returns what it queued."""
    from anju.accounts.models import User
    from anju.registry.models import EmergencyContact

    policy = policy_for(session, compound_id=e.compound_id, kind=e.kind, severity=e.severity)
    actions = set(policy.get("linkage", []))
    title = e.title or e.kind
    done = {"inbox": 0, "sms": 0, "work_orders": 0, "webhooks": 0}
    houses = _houses(session, e) if actions & {"notify_household", "notify_emergency_contacts"} else []
    people = _occupants(session, houses)
    text = f"【安居】紧急通知：{title}。请立即按疏散指示撤离并保持电话畅通。"
    if "notify_household" in actions:
        person_ids = [p for p, _, _ in people]
        users = list(
            session.execute(
                select(User.id).where(User.person_id.in_(person_ids or [-1]), User.active.is_(True))
            ).scalars()
        )
        done["inbox"] += notify_service.inbox(
            session,
            user_ids=users,
            compound_id=e.compound_id,
            category="alarm_linkage",
            title=f"【紧急】{title}",
            body=text,
            alarm_id=e.alarm_id,
        )
        for pid, masked, _ in people:
            notify_service.queue_phone(
                session,
                compound_id=e.compound_id,
                channel="sms",
                recipient_ref=f"person:{pid}",
                recipient_masked=masked,
                purpose=PURPOSE,
                text=text,
                alarm_id=e.alarm_id,
            )
            done["sms"] += 1
    if "notify_emergency_contacts" in actions:
        contacts = session.execute(
            select(EmergencyContact.id, EmergencyContact.phone_masked)
            .where(
                EmergencyContact.person_id.in_([p for p, _, _ in people] or [-1]),
                EmergencyContact.phone_enc.is_not(None),
            )
            .order_by(EmergencyContact.id)
        ).all()
        ctext = f"【安居】您的紧急联系人住所发生告警：{title}。物业已处置，请尽快联系家人。"
        for cid, masked in contacts:
            notify_service.queue_phone(
                session,
                compound_id=e.compound_id,
                channel="sms",
                recipient_ref=f"contact:{cid}",
                recipient_masked=masked,
                purpose=PURPOSE,
                text=ctext,
                alarm_id=e.alarm_id,
            )
            done["sms"] += 1
    if "work_order" in actions:
        events.publish(
            session,
            WorkOrderRequested(
                alarm_id=e.alarm_id,
                compound_id=e.compound_id,
                kind=e.kind,
                severity=e.severity,
                category=WORK_ORDER_CATEGORY.get(e.kind, "repair"),
                title=title,
                building_id=e.building_id,
                unit_id=e.unit_id,
                floor=e.floor,
                house_id=e.house_id,
                device_id=e.device_id,
                basis=_basis(policy),
            ),
            compound_id=e.compound_id,
        )
        done["work_orders"] += 1
    done["webhooks"] = notify_service.queue_webhooks(
        session,
        compound_id=e.compound_id,
        kind=e.kind,
        alarm_id=e.alarm_id,
        payload={
            "event": "alarm.raised",
            "alarm_id": e.alarm_id,
            "kind": e.kind,
            "severity": e.severity,
            "title": title,
            "building_id": e.building_id,
            "floor": e.floor,
        },
    )
    return done
