"""Reactions to other domains' events: move-out and erasure revoke, fire fails doors open, lists push."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from anju.access import events as access_events
from anju.access.config import access_settings
from anju.access.credential_service import credential_service
from anju.access.points_service import access_point_service
from anju.access.repository import CredentialQuery, VisitorQuery
from anju.access.share_service import visitor_phone, visitor_share_service
from anju.access.sync_service import terminal_sync_service
from anju.access.visitor_service import visitor_pass_service
from anju.alarms.events import AlarmRaised
from anju.core.db import utcnow
from anju.core.events import subscribe
from anju.notify.service import register_phone_resolver
from anju.privacy.events import FaceCloudConsentWithdrawn
from anju.registry.events import PersonErased, ResidentMovedOut

FIRE_KINDS = frozenset({"smoke", "fire"})


@subscribe(ResidentMovedOut)
def revoke_on_move_out(session: Session, event: ResidentMovedOut) -> None:
    """Moved out of the compound: every credential goes; moved within it: only that house's doors and passes."""
    if event.still_resident:
        terminal_sync_service.refresh_holder(session, event.compound_id, person_id=event.person_id)
    else:
        credential_service.revoke_all(
            session, person_id=event.person_id, compound_id=event.compound_id, reason="moved_out"
        )
    visitor_pass_service.revoke_for_house(session, house_id=event.house_id, person_id=event.person_id)


@subscribe(PersonErased)
def revoke_on_erasure(session: Session, event: PersonErased) -> None:
    """Erased: credentials revoked, card numbers and face templates deleted, hosted passes revoked."""
    credential_service.revoke_all(session, person_id=event.person_id, compound_id=event.compound_id, reason="erased")
    for c in CredentialQuery(session).credentials_of(person_id=event.person_id, active_only=False):
        c.card_enc, c.card_bidx, c.pin_digest = None, None, None
    for vp in VisitorQuery(session).passes_hosted_by(event.person_id):
        if vp.host_house_id is None:
            continue
        visitor_pass_service.revoke_for_house(session, house_id=vp.host_house_id, person_id=event.person_id)
    session.flush()


@subscribe(FaceCloudConsentWithdrawn)
def withdraw_templates_sent_off_edge(session: Session, event: FaceCloudConsentWithdrawn) -> None:
    """R-F4: on a cloud-hosted server the person's templates leave the terminals' lists (edge: nothing changes)."""
    if access_settings().face_hosting == "cloud":
        terminal_sync_service.refresh_holder(session, event.compound_id, person_id=event.person_id)


@subscribe(AlarmRaised)
def fail_open_on_fire(session: Session, event: AlarmRaised) -> None:
    """R-F13: a smoke or fire alarm opens every evacuation-route door until a person resets it."""
    if event.kind in FIRE_KINDS:
        access_point_service.fail_open(
            session, compound_id=event.compound_id, cause=f"alarm:{event.alarm_id}:{event.kind}"
        )


@subscribe(access_events.TerminalListsChanged, own_transaction=True)  # commits its queue, then calls the broker
def push_list_changes(session: Session, event: access_events.TerminalListsChanged) -> None:
    """Tell each terminal to sync now (MQTT); failures stay queued for the retry job."""
    terminal_sync_service.queue_pushes(session, terminal_ids=event.terminal_ids)
    session.commit()  # the queued rows survive even if the broker call below hangs the worker
    terminal_sync_service.retry_due(session, now=utcnow())


@subscribe(access_events.RemoteOpened, own_transaction=True)  # calls the broker
def push_remote_open(session: Session, event: access_events.RemoteOpened) -> None:
    terminal_sync_service.retry_due(session, now=utcnow())


@subscribe(access_events.DoorsFailedOpen, own_transaction=True)  # calls the broker
def push_fail_open(session: Session, event: access_events.DoorsFailedOpen) -> None:
    terminal_sync_service.retry_due(session, now=utcnow())


# --- issue 18: visitor passes that reach the visitor --------------------------------------------------------
register_phone_resolver("visitor", visitor_phone)


@subscribe(access_events.AccessGranted)
def tell_host_of_arrival(session: Session, event: access_events.AccessGranted) -> None:
    """A visitor's pass opened a gate inwards: the host's inbox says so (once per entry)."""
    if event.visitor_pass_id is None or event.direction != "in":
        return
    visitor_share_service.tell_arrival(
        session,
        pass_id=event.visitor_pass_id,
        log_id=event.log_id,
        access_point_id=event.access_point_id,
        at=datetime.fromisoformat(event.at),
    )
