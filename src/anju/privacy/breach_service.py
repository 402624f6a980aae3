"""R-P7 (PIPL 57): a personal-data breach is recorded with what the law lists, and both notices go out.

The record holds the data types, the cause, the possible harm, the remedies taken, what individuals
can do to reduce the harm, and the processor's contacts. From it come the notice to the regulator
(履行个人信息保护职责的部门) and the notice to each affected person, which reaches their in-app inbox
through the outbox (privacy/handlers.py). PIPL 57 para 2: where the remedies effectively avoid the
harm the individual notice may be waived, with the reason recorded; the regulator may still require
it, and it can be sent after a waiver.

State flow: recorded → notifying (one notice out) → notified (regulator notified, and individuals
notified or waived) → closed. Deadlines (configurable, PIPL says 立即) start at discovery; the job
flags what is overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.kit.china_time import china_text
from anju.privacy.config import privacy_settings
from anju.privacy.events import BreachIndividualsNotified
from anju.privacy.exceptions import BadPrivacyInput, BreachNotFound, BreachStateConflict
from anju.privacy.models import BreachIncident
from anju.privacy.permissions import PrivacyPerm
from anju.privacy.schemas import BreachCreate
from anju.registry.models import Person

OPEN_STATES = ("recorded", "notifying")


def _lines(incident: BreachIncident) -> list[str]:
    return [
        f"涉及的个人信息种类：{'、'.join(incident.data_types)}",
        f"发生原因：{incident.cause}",
        f"可能造成的危害：{incident.possible_harm}",
        f"已采取的补救措施：{incident.remedies}",
        f"个人可以采取的减轻危害的措施：{incident.advice}",
        f"联系方式：{incident.contacts}",
    ]


def regulator_notice(incident: BreachIncident) -> str:
    """The notice to the regulator: the PIPL 57 items, the discovery time and how many people."""
    return "\n".join(
        [
            f"个人信息安全事件报告：{incident.title}",
            f"发现时间：{china_text(incident.discovered_at)}（北京时间）",
            f"影响人数：{incident.affected_count}",
            *_lines(incident),
        ]
    )


def individual_notice(incident: BreachIncident) -> str:
    """The notice to each affected person: the same items, in the words a resident reads."""
    return "\n".join(
        [
            "您的个人信息可能受到一起安全事件影响，特此告知（《个人信息保护法》第五十七条）。",
            *_lines(incident),
        ]
    )


class BreachService:
    def _get(self, session: Session, *, who: Principal, incident_id: int) -> BreachIncident:
        who.require(PrivacyPerm.manage)
        incident = session.get(BreachIncident, incident_id)
        if incident is None or not who.in_scope(incident.compound_id):
            raise BreachNotFound()
        return incident

    def get(self, session: Session, *, who: Principal, incident_id: int) -> BreachIncident:
        return self._get(session, who=who, incident_id=incident_id)

    def list(self, session: Session, *, who: Principal) -> list[BreachIncident]:
        who.require(PrivacyPerm.manage)
        return list(
            session.execute(
                select(BreachIncident)
                .where(BreachIncident.compound_id.in_(who.compound_ids))
                .order_by(BreachIncident.discovered_at.desc())
            ).scalars()
        )

    def record(self, session: Session, *, who: Principal, data: BreachCreate) -> BreachIncident:
        who.require(PrivacyPerm.manage)
        if not who.in_scope(data.compound_id):
            raise BadPrivacyInput("compound not in your scope", zh="小区不在您的管辖范围")
        people = sorted(set(data.affected_people))
        if people:
            found = set(
                session.execute(
                    select(Person.id).where(Person.id.in_(people), Person.compound_id == data.compound_id)
                ).scalars()
            )
            missing = [p for p in people if p not in found]
            if missing:
                raise BadPrivacyInput(
                    "affected people must be residents of this compound",
                    zh="受影响人员须为本小区人员",
                    fields=[{"field": "affected_people", "unknown": missing}],
                )
        s = privacy_settings()
        incident = BreachIncident(
            compound_id=data.compound_id,
            title=data.title,
            discovered_at=data.discovered_at,
            data_types=data.data_types,
            cause=data.cause,
            possible_harm=data.possible_harm,
            remedies=data.remedies,
            advice=data.advice,
            contacts=data.contacts,
            affected_people=people,
            affected_count=max(len(people), data.affected_count or 0),
            state="recorded",
            regulator_due_at=data.discovered_at + timedelta(hours=s.breach_regulator_hours),
            individuals_due_at=data.discovered_at + timedelta(hours=s.breach_individuals_hours),
            recorded_by=who.user_id,
        )
        session.add(incident)
        session.flush()
        return incident

    def _settle(self, incident: BreachIncident) -> None:
        individuals_done = incident.individuals_notified_at is not None or incident.waiver_reason is not None
        if incident.regulator_notified_at is not None and individuals_done:
            incident.state = "notified"
        elif incident.regulator_notified_at is not None or incident.individuals_notified_at is not None:
            incident.state = "notifying"

    def notify_regulator(
        self, session: Session, *, who: Principal, incident_id: int, reference: str | None = None
    ) -> BreachIncident:
        """Produce the regulator notice and record that it was filed (with the regulator's receipt number)."""
        incident = self._get(session, who=who, incident_id=incident_id)
        if incident.state not in OPEN_STATES or incident.regulator_notified_at is not None:
            raise BreachStateConflict("the regulator was already notified", zh="已向监管部门报告")
        incident.regulator_notice = regulator_notice(incident)
        incident.regulator_notified_at = utcnow()
        incident.regulator_ref = reference
        self._settle(incident)
        session.flush()
        return incident

    def notify_individuals(self, session: Session, *, who: Principal, incident_id: int) -> BreachIncident:
        """Produce the individual notice and send it to every affected person's inbox (through the outbox)."""
        incident = self._get(session, who=who, incident_id=incident_id)
        if incident.individuals_notified_at is not None or incident.state == "closed":
            raise BreachStateConflict("the individuals were already notified", zh="已通知受影响的个人")
        if not incident.affected_people:
            raise BreachStateConflict("name the affected people before notifying them", zh="请先登记受影响的人员再通知")
        n = session.execute(
            update(BreachIncident)
            .where(BreachIncident.id == incident.id, BreachIncident.individuals_notified_at.is_(None))
            .values(individuals_notified_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if n != 1:
            raise BreachStateConflict("the individuals were already notified", zh="已通知受影响的个人")
        session.refresh(incident)
        incident.individual_notice = individual_notice(incident)  # also after a waiver, if the regulator asks
        self._settle(incident)
        session.flush()
        events.publish(
            session,
            BreachIndividualsNotified(
                incident_id=incident.id,
                compound_id=incident.compound_id,
                person_ids=list(incident.affected_people),
                title=f"个人信息安全事件告知：{incident.title}"[:200],
                body=incident.individual_notice,
            ),
            compound_id=incident.compound_id,
        )
        return incident

    def waive_individual_notice(
        self, session: Session, *, who: Principal, incident_id: int, reason: str
    ) -> BreachIncident:
        """PIPL 57 para 2: the remedies effectively avoid the harm, so individuals need not be told (reason kept)."""
        incident = self._get(session, who=who, incident_id=incident_id)
        if incident.state not in OPEN_STATES or incident.individuals_notified_at is not None:
            raise BreachStateConflict()
        if len(reason.strip()) < 10:
            raise BadPrivacyInput(
                "say how the remedies effectively avoid the harm", zh="请说明补救措施如何有效避免危害"
            )
        incident.waiver_reason = reason.strip()
        self._settle(incident)
        session.flush()
        return incident

    def close(self, session: Session, *, who: Principal, incident_id: int) -> BreachIncident:
        incident = self._get(session, who=who, incident_id=incident_id)
        if incident.state != "notified":
            raise BreachStateConflict(
                "both notices must be out (or the individual one waived) before closing",
                zh="须先向监管部门报告并通知个人（或记录免于通知的理由）才能结案",
            )
        incident.state, incident.closed_at = "closed", utcnow()
        session.flush()
        return incident

    def flag_overdue(self, session: Session, *, now: datetime) -> int:
        """Mark open incidents whose notices are past their deadline (shown red in the console)."""
        rows = session.execute(
            select(BreachIncident).where(
                BreachIncident.state.in_(OPEN_STATES), BreachIncident.overdue_flagged_at.is_(None)
            )
        ).scalars()
        n = 0
        for incident in rows:
            late_regulator = incident.regulator_notified_at is None and incident.regulator_due_at < now
            individuals_done = incident.individuals_notified_at is not None or incident.waiver_reason is not None
            late_individuals = not individuals_done and incident.individuals_due_at < now
            if late_regulator or late_individuals:
                incident.overdue_flagged_at = now
                n += 1
        session.flush()
        return n


breach_service = BreachService()
