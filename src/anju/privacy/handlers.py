"""privacy: event subscribers and jobs (imported by anju.handlers).

A breach's individual notice (R-P7) reaches each affected person's in-app inbox; a person with no
active account gets it by SMS through the notify domain's delivery log (the phone is read only at
send time). The outbox records (event, handler), so a redelivered event never notifies twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.accounts.models import User
from anju.core.events import subscribe
from anju.notify.service import notify_service
from anju.privacy import tasks as _tasks  # noqa: F401  (registers the jobs)
from anju.privacy.events import BreachIndividualsNotified, ComplianceDutyRaised

log = logging.getLogger("anju.privacy")

BREACH_CATEGORY = "privacy_breach"


@subscribe(BreachIndividualsNotified)
def deliver_breach_notice(session: Session, event: BreachIndividualsNotified) -> None:
    """Every affected person is told: in the app where they have an account, else by SMS."""
    accounts = session.execute(
        select(User.id, User.person_id).where(User.person_id.in_(event.person_ids), User.active.is_(True))
    ).all()
    notify_service.inbox(
        session,
        user_ids=[uid for uid, _ in accounts],
        compound_id=event.compound_id,
        category=BREACH_CATEGORY,
        title=event.title,
        body=event.body,
    )
    reached = {pid for _, pid in accounts}
    for person_id in sorted(set(event.person_ids) - reached):
        notify_service.queue_phone(
            session,
            compound_id=event.compound_id,
            channel="sms",
            recipient_ref=f"person:{person_id}",
            recipient_masked=None,
            purpose="personal-data breach notice (PIPL 57)",
            text=f"{event.title}\n{event.body}"[:500],
        )


@subscribe(ComplianceDutyRaised)
def log_compliance_duty(session: Session, event: ComplianceDutyRaised) -> None:
    """The platform-wide duty shows on the compliance page; it is also logged for the operators."""
    log.warning("compliance duty raised: %s at %d people (R-P10)", event.kind, event.people)
