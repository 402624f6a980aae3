"""Escalation timers: rows fired or cancelled once by compare-and-swap, so two workers never repeat a step."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.alarms.enums import AlarmAction, AlarmStatus
from anju.alarms.events import AlarmEscalated
from anju.alarms.labels import kind_label, severity_label
from anju.alarms.models import Alarm, AlarmEscalation, AlarmTransition
from anju.core import events
from anju.core.db import utcnow

_ROLE_ZH = {"guard": "值班保安", "property_staff": "主管", "property_manager": "经理"}


def target_users(session: Session, *, compound_id: int, target: dict[str, Any]) -> list[int]:
    """Users named by a chain step: explicit ids, or every active user of the roles granted the compound."""
    from anju.accounts.service import staff_of

    ids = {int(u) for u in target.get("users", [])}
    roles = target.get("roles", [])
    if roles:
        ids |= {u.id for u in staff_of(session, compound_id, roles)}
    return sorted(ids)


class EscalationService:
    def schedule(self, session: Session, *, alarm: Alarm, chain: list[dict[str, Any]], now: datetime) -> None:
        """Write one timer row per chain step (step 0 is due at once: notify the on-duty guards)."""
        for step, spec in enumerate(chain):
            session.add(
                AlarmEscalation(
                    alarm_id=alarm.id,
                    compound_id=alarm.compound_id,
                    step=step,
                    target={**spec.get("target", {}), "channels": spec.get("channels", ["inbox"])},
                    due_at=now + timedelta(seconds=int(spec.get("after_seconds", 0))),
                )
            )

    def cancel(self, session: Session, *, alarm_id: int, from_step: int) -> int:
        res = session.execute(
            update(AlarmEscalation)
            .where(
                AlarmEscalation.alarm_id == alarm_id,
                AlarmEscalation.step >= from_step,
                AlarmEscalation.status == "pending",
            )
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        return int(res.rowcount)  # type: ignore[attr-defined]

    def fire_due(
        self, session: Session, *, now: datetime | None = None, worker_id: str = "worker", limit: int = 200
    ) -> list[tuple[int, int]]:
        """Fire every due step whose alarm still needs it; returns (alarm_id, step) of the steps this caller fired."""
        from anju.notify.service import notify_service

        now = now or utcnow()
        due = session.execute(
            select(AlarmEscalation, Alarm.status, Alarm.title, Alarm.kind, Alarm.severity)
            .join(Alarm, Alarm.id == AlarmEscalation.alarm_id)
            .where(AlarmEscalation.status == "pending", AlarmEscalation.due_at <= now)
            .order_by(AlarmEscalation.due_at, AlarmEscalation.id)
            .limit(limit)
        ).all()
        fired: list[tuple[int, int]] = []
        for esc, status, title, kind, severity in due:
            # Step 0 (tell the guards) always goes out; later steps only while nobody has taken the alarm.
            still_needed = esc.step == 0 or status == AlarmStatus.new
            new_status = "fired" if still_needed else "cancelled"
            res = session.execute(
                update(AlarmEscalation)
                .where(AlarmEscalation.id == esc.id, AlarmEscalation.status == "pending")
                .values(status=new_status, fired_at=now, fired_by=worker_id)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1 or not still_needed:  # type: ignore[attr-defined]
                continue  # another worker fired (or cancelled) this step first
            users = target_users(session, compound_id=esc.compound_id, target=esc.target)
            roles = "、".join(_ROLE_ZH.get(r, r) for r in esc.target.get("roles", []))
            if esc.step == 0:
                heading = f"【{_sev_zh(severity)}告警】{title}"
            else:
                heading = f"【告警升级 L{esc.step}】{title}：超时未确认，已通知{roles or '指定人员'}"
            notify_service.inbox(
                session,
                user_ids=users,
                compound_id=esc.compound_id,
                category="alarm" if esc.step == 0 else "alarm_escalation",
                title=heading,
                # Written once for every reader: Chinese, then English, with labels instead of codes.
                body=(
                    f"告警 #{esc.alarm_id} · {kind_label(kind)[0]} · {severity_label(str(severity))[0]}"
                    f" / Alarm #{esc.alarm_id} · {kind_label(kind)[1]} · {severity_label(str(severity))[1]}"
                ),
                alarm_id=esc.alarm_id,
            )
            if "webhook" in esc.target.get("channels", []):
                notify_service.queue_webhooks(
                    session,
                    compound_id=esc.compound_id,
                    kind=kind,
                    alarm_id=esc.alarm_id,
                    payload={
                        "event": "alarm.escalated",
                        "alarm_id": esc.alarm_id,
                        "step": esc.step,
                        "kind": kind,
                        "severity": str(severity),
                        "title": title,
                    },
                )
            if esc.step > 0:
                session.execute(
                    update(Alarm)
                    .where(Alarm.id == esc.alarm_id, Alarm.escalation_level < esc.step)
                    .values(escalation_level=esc.step)
                    .execution_options(synchronize_session=False)
                )
                session.add(
                    AlarmTransition(
                        alarm_id=esc.alarm_id,
                        compound_id=esc.compound_id,
                        action=AlarmAction.escalated,
                        from_status=str(status),
                        to_status=str(status),
                        at=now,
                        reason_key="alarms.hist.escalated",
                        reason_params={
                            "step": esc.step,
                            "roles": list(esc.target.get("roles", [])),
                            "users": len(users),
                        },
                    )
                )
            events.publish(
                session,
                AlarmEscalated(alarm_id=esc.alarm_id, compound_id=esc.compound_id, step=esc.step, user_ids=users),
                compound_id=esc.compound_id,
            )
            fired.append((esc.alarm_id, esc.step))
        session.flush()
        return fired


def _sev_zh(severity: object) -> str:
    return severity_label(str(severity))[0]


escalation_service = EscalationService()
