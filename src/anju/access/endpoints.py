"""Access API for people: access points, terminals, credentials, face, visitors, remote open, live feed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from anju.access.auth import AccessManager, AccessReader, AccessUser, VisitorDesk, feed_streams
from anju.access.config import access_settings
from anju.access.credential_service import credential_service
from anju.access.decision_service import decision_service
from anju.access.delivery_service import DeliveryLimits, delivery_rule_service
from anju.access.exceptions import (
    CardInUse,
    ConsentMissing,
    FaceNotAllowedHere,
    GuardianConsentRequired,
    NoVisitorPhone,
    PassNotUsable,
    PiaMissing,
    PinChangesLimited,
    PinTooSimple,
    ShareSmsLimited,
    SignageMissing,
    TooManyStreams,
)
from anju.access.models import AccessLog, AccessPoint, VisitorPass
from anju.access.points_service import access_point_service, points_in, terminal_service
from anju.access.repository import CredentialQuery, LogQuery
from anju.access.schemas import (
    AccessPointCreate,
    AccessPointRead,
    AccessPointUpdate,
    BlacklistCreate,
    BlacklistRead,
    CardIssue,
    ConsentRead,
    CredentialRead,
    DecisionRead,
    DeliveryRuleRead,
    DeliveryRuleUpdate,
    FaceConsentCreate,
    FaceEnrolled,
    FaceStats,
    FaceWithdrawn,
    FeedItem,
    GrantCreate,
    GrantRead,
    PiaCreate,
    PiaRead,
    PinSet,
    RemoteOpen,
    ResidentQrRead,
    TerminalCreate,
    TerminalCreated,
    TerminalPointIds,
    TerminalRead,
    VisitorPassCreate,
    VisitorPassIssued,
    VisitorPassRead,
    VisitorShareLinkRead,
    VisitorShareSent,
    WalkInCreate,
)
from anju.access.share_service import visitor_share_service
from anju.access.visitor_service import visitor_name_shown, visitor_pass_service
from anju.core.auth import CurrentPrincipal, Principal
from anju.core.db import new_session, utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound, Responses, TooLarge

router = APIRouter(prefix="/access", tags=["access"])
_SHARE_ERRORS: Responses = {404: NotFound.doc(), 409: PassNotUsable.doc()}
MAX_IMAGE = 4 * 1024 * 1024


# --- access points and terminals ---------------------------------------------------------------
@router.post(
    "/points",
    response_model=AccessPointRead,
    status_code=201,
    responses={422: FaceNotAllowedHere.doc(), 409: PiaMissing.doc()},
)
def create_point(body: AccessPointCreate, who: AccessManager, session: WriteSession) -> AccessPoint:
    """Add a gate, door, lift or locker bank; face rules R-F7, R-F9, R-F10 are checked."""
    return access_point_service.create(session, who=who, data=body)


@router.get("/points", response_model=list[AccessPointRead])
def list_points(compound_id: int, who: AccessReader, session: ReadSession) -> list[AccessPoint]:
    """Access points of a compound."""
    return points_in(session, who=who, compound_id=compound_id)


@router.patch(
    "/points/{access_point_id}",
    response_model=AccessPointRead,
    responses={422: SignageMissing.doc(), 409: PiaMissing.doc()},
)
def update_point(
    access_point_id: int, body: AccessPointUpdate, who: AccessManager, session: WriteSession
) -> AccessPoint:
    """Change an access point; enabling face needs signage and a PIA."""
    ap = access_point_service.get(session, who=who, access_point_id=access_point_id)
    return access_point_service.update(session, who=who, ap=ap, data=body)


@router.post("/points/{access_point_id}/remote-open", response_model=DecisionRead)
def remote_open(access_point_id: int, body: RemoteOpen, who: AccessUser, session: WriteSession) -> DecisionRead:
    """Open a door remotely (guard desk, console, or a resident for their own doors); logged with reason."""
    return decision_service.remote_open(
        session, who=who, access_point_id=access_point_id, reason=body.reason, now=utcnow()
    )


@router.post("/compounds/{compound_id}/emergency-release", response_model=list[AccessPointRead])
def emergency_release(compound_id: int, who: AccessManager, session: WriteSession) -> list[AccessPoint]:
    """Open every evacuation-route door now (R-F13), until reset."""
    if not who.in_scope(compound_id):
        raise NotFound("compound not found", zh="未找到该小区")
    return access_point_service.fail_open(session, compound_id=compound_id, cause=f"manual:{who.username}")


@router.post("/compounds/{compound_id}/fail-open/reset", response_model=list[AccessPointRead])
def reset_fail_open(compound_id: int, who: AccessManager, session: WriteSession) -> list[AccessPoint]:
    """Return evacuation doors to normal after the fire alarm is handled."""
    return access_point_service.reset_fail_open(session, who=who, compound_id=compound_id)


@router.post("/terminals", response_model=TerminalCreated, status_code=201)
def create_terminal(body: TerminalCreate, who: AccessManager, session: WriteSession) -> TerminalCreated:
    """Register a terminal; its device secret is returned once."""
    t, secret = terminal_service.create(session, who=who, data=body)
    return TerminalCreated(
        **TerminalRead.model_validate(t).model_dump(exclude={"access_point_ids"}),
        access_point_ids=body.access_point_ids,
        secret=secret,
    )


@router.get("/terminals", response_model=list[TerminalRead])
def list_terminals(compound_id: int, who: AccessReader, session: ReadSession) -> list[TerminalRead]:
    """Terminals of a compound with their list versions."""
    return [
        TerminalRead(**TerminalRead.model_validate(t).model_dump(exclude={"access_point_ids"}), access_point_ids=aps)
        for t, aps in terminal_service.list(session, who=who, compound_id=compound_id)
    ]


@router.put("/terminals/{terminal_id}/points", response_model=TerminalRead)
def set_terminal_points(
    terminal_id: int,
    access_point_ids: Annotated[TerminalPointIds, Body()],
    who: AccessManager,
    session: WriteSession,
) -> TerminalRead:
    """Replace the access points a terminal controls (distinct ids of its compound, at most 32); its list is rebuilt."""
    t = terminal_service.get(session, who=who, terminal_id=terminal_id)
    terminal_service.set_points(session, who=who, terminal=t, access_point_ids=access_point_ids)
    return TerminalRead(
        **TerminalRead.model_validate(t).model_dump(exclude={"access_point_ids"}), access_point_ids=access_point_ids
    )


@router.post("/pias", response_model=PiaRead, status_code=201)
def create_pia(body: PiaCreate, who: AccessManager, session: WriteSession) -> object:
    """Record a personal-information impact assessment for face features (R-F7)."""
    return access_point_service.add_pia(session, who=who, data=body)


# --- credentials -----------------------------------------------------------------------------------
@router.post("/cards", response_model=CredentialRead, status_code=201, responses={409: CardInUse.doc()})
def issue_card(body: CardIssue, who: AccessManager, session: WriteSession) -> object:
    """Issue an IC card to a resident or a staff member."""
    return credential_service.issue_card(session, who=who, data=body)


@router.post(
    "/pins",
    response_model=CredentialRead,
    status_code=201,
    responses={422: PinTooSimple.doc(), 429: PinChangesLimited.doc()},
)
def set_pin(body: PinSet, who: AccessUser, session: WriteSession) -> object:
    """Set a PIN for one door or all of a person's doors.

    PINs are per person: at a terminal the person types their room, then `#`, then the PIN
    (at a unit door or lift the PIN alone is enough). Whether anyone else has the same PIN is
    never checked, so this never tells. Changes are limited per person (429, with an alarm).
    """
    try:
        return credential_service.set_pin(session, who=who, data=body)
    except PinChangesLimited:
        session.commit()  # the refused change is counted and its alarm requested: keep both
        raise


@router.get("/people/{person_id}/credentials", response_model=list[CredentialRead])
def person_credentials(person_id: int, who: AccessUser, session: ReadSession) -> object:
    """A person's credentials, revoked ones included."""
    return credential_service.list_for(session, who=who, person_id=person_id)


@router.post("/credentials/{credential_id}/revoke", response_model=CredentialRead)
def revoke_credential(
    credential_id: int, who: AccessUser, session: WriteSession, reason: str = Query("revoked", max_length=64)
) -> object:
    """Revoke a card, PIN or QR; terminals drop it on their next sync (pushed at once)."""
    return credential_service.revoke(session, who=who, credential_id=credential_id, reason=reason)


@router.get("/me/qr", response_model=ResidentQrRead)
def my_qr(who: CurrentPrincipal, session: WriteSession) -> ResidentQrRead:
    """The caller's rotating QR; always available whether or not face is enrolled (R-F1)."""
    token, cred, window, expires = credential_service.resident_qr(session, who=who, now=utcnow())
    return ResidentQrRead(
        token=token,
        credential_id=cred.id,
        window=window,
        expires_at=expires,
        refresh_after_seconds=max(5, access_settings().qr_window_seconds - 5),
    )


@router.get("/me/doors", response_model=list[AccessPointRead])
def my_doors(who: CurrentPrincipal, session: ReadSession) -> object:
    """Doors the caller may open (and so open remotely)."""
    return decision_service.my_doors(session, who=who, now=utcnow())


@router.get("/me/credentials", response_model=list[CredentialRead])
def my_credentials(who: CurrentPrincipal, session: ReadSession) -> object:
    """The caller's own credentials."""
    if who.person_id is None:
        return []
    return CredentialQuery(session).credentials_of(person_id=who.person_id, active_only=False)


# --- face -------------------------------------------------------------------------------------------
@router.post(
    "/face/consents", response_model=ConsentRead, status_code=201, responses={409: GuardianConsentRequired.doc()}
)
def give_face_consent(body: FaceConsentCreate, who: AccessUser, session: WriteSession) -> object:
    """Record the separate face consent (R-F2; guardian under 14, R-F3)."""
    return credential_service.give_face_consent(session, who=who, data=body)


@router.post("/face/photo-consents", response_model=ConsentRead, status_code=201)
def give_photo_consent(body: FaceConsentCreate, who: AccessUser, session: WriteSession) -> object:
    """Separately authorise keeping the raw enrolment photo (R-F11); without it the photo is discarded."""
    return credential_service.give_face_consent(session, who=who, data=body, purpose="face_photo")


@router.post(
    "/face/enrolments",
    response_model=FaceEnrolled,
    status_code=201,
    responses={409: ConsentMissing.doc(), 413: TooLarge.doc()},
)
def enrol_face(
    who: AccessUser,
    session: WriteSession,
    person_id: Annotated[int, Form()],
    image: Annotated[UploadFile, File()],
    keep_photo: Annotated[bool, Form()] = False,
) -> FaceEnrolled:
    """Enrol a face from one photo with exactly one face; 422 with reason no_face/multiple_faces/not_an_image."""
    data = image.file.read(MAX_IMAGE + 1)
    if len(data) > MAX_IMAGE:
        raise TooLarge("image larger than 4 MB", zh="图片超过 4 MB")
    cred, n = credential_service.enrol_face(session, who=who, person_id=person_id, image=data, keep_photo=keep_photo)
    assert cred.subject_ref is not None
    return FaceEnrolled(credential_id=cred.id, subject_ref=cred.subject_ref, templates=n, photo_kept=keep_photo)


@router.post("/face/withdrawals/{person_id}", response_model=FaceWithdrawn)
def withdraw_face(person_id: int, who: AccessUser, session: WriteSession) -> FaceWithdrawn:
    """Withdraw face consent: templates deleted everywhere within the deadline (R-F5); card and QR keep working."""
    n, terminals, deadline = credential_service.withdraw_face(session, who=who, person_id=person_id)
    return FaceWithdrawn(person_id=person_id, templates_deleted=n, terminals_notified=terminals, deadline=deadline)


@router.get("/face/stats", response_model=FaceStats)
def face_stats(compound_id: int, who: AccessManager, session: ReadSession) -> FaceStats:
    """People with stored face data for the compound's processor, against the R-F8 thresholds."""
    if not who.in_scope(compound_id):
        raise NotFound("compound not found", zh="未找到该小区")
    s = access_settings()
    n, filing = credential_service.face_stats(session, compound_id=compound_id)
    return FaceStats(
        people_with_face_data=n,
        warn_at=s.face_warn_people,
        filing_at=s.face_filing_people,
        warning=n >= s.face_warn_people,
        filing_due_on=filing.due_on if filing else None,
    )


# --- blacklist and grants ------------------------------------------------------------------------------
@router.post("/blacklist", response_model=BlacklistRead, status_code=201)
def add_blacklist(body: BlacklistCreate, who: AccessManager, session: WriteSession) -> object:
    """Bar a person or card; hits are denied and sent to a guard for review (R-A4)."""
    return credential_service.add_blacklist(session, who=who, data=body)


@router.post("/grants", response_model=GrantRead, status_code=201)
def add_grant(body: GrantCreate, who: AccessManager, session: WriteSession) -> object:
    """Let staff (by shift) or a contractor through given kinds of doors."""
    return credential_service.add_grant(session, who=who, data=body)


# --- visitors -------------------------------------------------------------------------------------------
def _pass_read(who: Principal, vp: VisitorPass) -> VisitorPassRead:
    read = VisitorPassRead.model_validate(vp)
    return read.model_copy(
        update={"visitor_name": visitor_name_shown(who, vp.visitor_name, host_house_id=vp.host_house_id)}
    )


def _issued(
    session: ReadSession, who: Principal, vp: VisitorPass, call: dict[str, object] | None = None
) -> VisitorPassIssued:
    return VisitorPassIssued(
        **_pass_read(who, vp).model_dump(), qr=visitor_pass_service.qr(session, vp), host_call=call
    )


@router.post("/visitor-passes", response_model=VisitorPassIssued, status_code=201)
def create_pass(body: VisitorPassCreate, who: AccessUser, session: WriteSession) -> VisitorPassIssued:
    """Invite a visitor: name or phone and a window; no ID number (R-F12). Returns the signed QR."""
    vp = visitor_pass_service.create(session, who=who, data=body, now=utcnow())
    return _issued(session, who, vp)


@router.get("/visitor-passes", response_model=list[VisitorPassRead])
def list_passes(who: AccessUser, session: ReadSession) -> object:
    """Passes the caller may see: their household's, or the compound's for staff (visitor names masked for staff)."""
    return [_pass_read(who, vp) for vp in visitor_pass_service.list(session, who=who)]


@router.get("/visitor-passes/{pass_id}", response_model=VisitorPassIssued)
def get_pass(pass_id: int, who: AccessUser, session: WriteSession) -> VisitorPassIssued:
    """One pass with its QR."""
    return _issued(session, who, visitor_pass_service.get(session, who=who, pass_id=pass_id))


@router.post("/visitor-passes/{pass_id}/approve", response_model=VisitorPassRead)
def approve_pass(pass_id: int, who: AccessUser, session: WriteSession) -> object:
    """The host approves a pending pass (walk-in or approval-required)."""
    return _pass_read(who, visitor_pass_service.approve(session, who=who, pass_id=pass_id, approve=True))


@router.post("/visitor-passes/{pass_id}/reject", response_model=VisitorPassRead)
def reject_pass(pass_id: int, who: AccessUser, session: WriteSession) -> object:
    """The host rejects a pending pass."""
    return _pass_read(who, visitor_pass_service.approve(session, who=who, pass_id=pass_id, approve=False))


@router.post("/visitor-passes/{pass_id}/revoke", response_model=VisitorPassRead)
def revoke_pass(pass_id: int, who: AccessUser, session: WriteSession) -> object:
    """Cancel a pass; terminals drop it."""
    return _pass_read(who, visitor_pass_service.revoke(session, who=who, pass_id=pass_id))


@router.get("/visitor-passes/{pass_id}/share-link", response_model=VisitorShareLinkRead, responses=_SHARE_ERRORS)
def share_pass(pass_id: int, who: AccessUser, session: ReadSession) -> VisitorShareLinkRead:
    """The pass's share link: a signed page with the QR that the visitor opens without signing in (issue 18)."""
    link = visitor_share_service.link(session, who=who, pass_id=pass_id, now=utcnow())
    return VisitorShareLinkRead(path=link.path, url=link.url, expires_at=link.expires_at)


@router.post(
    "/visitor-passes/{pass_id}/sms",
    response_model=VisitorShareSent,
    status_code=202,
    responses={**_SHARE_ERRORS, 422: NoVisitorPhone.doc(), 429: ShareSmsLimited.doc()},
)
def text_pass(pass_id: int, who: AccessUser, session: WriteSession) -> VisitorShareSent:
    """Text the share link to the visitor's phone through the SMS provider (a few times per pass at most)."""
    vp = visitor_share_service.send_sms(session, who=who, pass_id=pass_id, now=utcnow())
    left = max(0, access_settings().share_sms_max - vp.sms_sent)
    return VisitorShareSent(pass_id=vp.id, phone_masked=vp.visitor_phone_masked, sms_sent=vp.sms_sent, sms_left=left)


def _rule_read(limits: DeliveryLimits) -> DeliveryRuleRead:
    return DeliveryRuleRead.model_validate(limits, from_attributes=True)


@router.get("/delivery-rules/{compound_id}", response_model=DeliveryRuleRead, responses={404: NotFound.doc()})
def get_delivery_rule(compound_id: int, who: AccessUser, session: ReadSession) -> DeliveryRuleRead:
    """How far couriers and riders go in this compound and how long their passes last (issue 18)."""
    return _rule_read(delivery_rule_service.get(session, who=who, compound_id=compound_id))


@router.put("/delivery-rules/{compound_id}", response_model=DeliveryRuleRead, responses={404: NotFound.doc()})
def set_delivery_rule(
    compound_id: int, body: DeliveryRuleUpdate, who: AccessManager, session: WriteSession
) -> DeliveryRuleRead:
    """Set the compound's courier and rider rule; terminals re-learn live delivery passes at once."""
    return _rule_read(delivery_rule_service.update(session, who=who, compound_id=compound_id, data=body))


@router.post("/walk-ins", response_model=VisitorPassIssued, status_code=201)
def register_walk_in(body: WalkInCreate, who: VisitorDesk, session: WriteSession) -> VisitorPassIssued:
    """The guard desk registers a walk-in visitor and gets the host's numbers to call."""
    vp, call = visitor_pass_service.walk_in(session, who=who, data=body, now=utcnow())
    return _issued(session, who, vp, call)


# --- log and live feed ------------------------------------------------------------------------------------
def _feed_items(
    session: ReadSession, compound_ids: set[int], after: int, limit: int = 50, *, who: Principal
) -> list[FeedItem]:
    out = []
    for log, point, visitor, person in LogQuery(session).feed(compound_ids, after, limit):
        out.append(
            FeedItem(
                id=log.id,
                at=log.server_at,
                point=point,
                method=log.method.value,
                decision=log.decision.value,
                reason=log.reason,
                who=_mask(person),
                visitor=visitor_name_shown(who, visitor, host_house_id=None),
                blacklist=log.reason == "blacklisted",
            )
        )
    return out


def _mask(name: str | None) -> str | None:
    from anju.core.crypto import mask_name

    return mask_name(name)


@router.get("/logs", response_model=list[FeedItem])
def list_logs(
    compound_id: int,
    who: AccessReader,
    session: ReadSession,
    after: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=500),
) -> list[FeedItem]:
    """Recent access attempts of a compound (names masked)."""
    if not who.in_scope(compound_id):
        raise NotFound("compound not found", zh="未找到该小区")
    return _feed_items(session, {compound_id}, after, limit, who=who)


# Kept out of the OpenAPI document like the alarm stream: a long-lived stream is not a
# request/response operation. Contract: see the docstring.
@router.get("/feed", response_class=StreamingResponse, include_in_schema=False, responses={429: TooManyStreams.doc()})
async def live_feed(
    request: Request,
    who: AccessReader,
    compound_id: int | None = None,
    after: int | None = Query(None, ge=0),
    max_seconds: float = Query(300, ge=0.1, le=3600),
) -> StreamingResponse:
    """Server-sent events of passes and denials for the guard desk (names masked; the browser reconnects).

    Async, with only a short poll of the database in a worker thread each second: an open stream
    holds no worker thread. At most `feed_streams_per_user` streams per user (429 too_many_streams).
    Resume with `Last-Event-ID` (or `after`).
    """
    compounds = {compound_id} if compound_id is not None and who.in_scope(compound_id) else set(who.compound_ids)
    header = request.headers.get("last-event-id", "")
    start = int(header) if header.isascii() and header.isdigit() and len(header) < 19 else after
    release = feed_streams.acquire(who.user_id)  # 429 when the user has too many open

    def poll(last: int | None) -> tuple[int, list[FeedItem]]:
        with new_session() as s:
            if last is None:  # a fresh connection shows the last few attempts, then new ones
                top = s.execute(
                    select(AccessLog.id)
                    .where(AccessLog.compound_id.in_(compounds or {-1}))
                    .order_by(AccessLog.id.desc())
                    .limit(1)
                ).scalar()
                last = max(0, int(top or 0) - 20)
            items = _feed_items(s, compounds, last, who=who)
            s.rollback()
        return (items[-1].id if items else last), items

    async def stream() -> AsyncIterator[str]:
        try:
            last, end = start, time.monotonic() + max_seconds
            yield "retry: 2000\n\n"
            while True:
                last, items = await run_in_threadpool(poll, last)
                for item in items:
                    body = json.dumps(item.model_dump(mode="json"), ensure_ascii=False)
                    yield f"id: {item.id}\nevent: access\ndata: {body}\n\n"
                if time.monotonic() >= end or await request.is_disconnected():
                    return
                await asyncio.sleep(1.0)
        finally:
            release()

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
