"""Access pages: the guard desk console (live feed, remote open, walk-ins) and the resident H5 (QR, doors, passes).

Both are thin: every decision, permission and scope check lives in the access
services, which the JSON API uses too. The pages only turn form fields into the
services' schemas and errors into a short alert in the user's language.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

import segno
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response, StreamingResponse

from anju.access.auth import feed_streams
from anju.access.config import access_settings
from anju.access.decision_service import TEXTS, decision_service
from anju.access.enums import CredentialKind, CredentialStatus, PassKind, PassStatus
from anju.access.exceptions import ShareLinkExpired, ShareLinkInvalid
from anju.access.models import AccessLog, AccessPoint, VisitorPass
from anju.access.permissions import AccessPerm
from anju.access.points_service import points_in
from anju.access.repository import CredentialQuery, LogQuery, readable_passes
from anju.access.schemas import VisitorPassCreate, WalkInCreate
from anju.access.share_service import visitor_share_service
from anju.access.visitor_service import visitor_name_shown, visitor_pass_service
from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.crypto import mask_name
from anju.core.db import new_session, utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid
from anju.core.text import MAX_ID
from anju.registry.models import House, Person
from anju.web import sse
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.i18n import Translator, lang_of
from anju.web.render import CST, render, templates

router = APIRouter(include_in_schema=False)
templates.env.filters["access_mask"] = mask_name
# Visitor names follow the access domain's one policy (masked for the desk; the host sees their own).
templates.env.filters["visitor_name"] = lambda name: visitor_name_shown(None, name, host_house_id=None)
T = TypeVar("T")

DeskPage = Annotated[ConsolePage, Depends(console_guard(AccessPerm.read))]
OpenDesk = Annotated[ConsolePage, Depends(console_guard(AccessPerm.remote_open))]
VisitorDeskPage = Annotated[ConsolePage, Depends(console_guard(AccessPerm.visitors_manage))]
ResidentPage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]

PAGE = "nav.guard_desk"
FEED_ROWS = 40
FEED_POLL_SECONDS = 1.0
FEED_PING_SECONDS = 15.0
# Which form field a schema error belongs to → the message that says how to fix it.
_FIELD_ERRORS = {
    "visitor_phone": "access.err.phone",
    "visitor_name": "access.err.name",
    "entries": "access.err.entries",
    "minutes": "access.err.minutes",
    "valid_until": "access.err.time",
    "valid_from": "access.err.time",
}


# --- helpers -----------------------------------------------------------------------------------------
def _invalid(key: str) -> Invalid:
    """A 422 whose zh/en message comes from this page's catalogue."""
    return Invalid(Translator("en")(key), zh=Translator("zh-CN")(key))


def _schema_error(exc: ValidationError) -> Invalid:
    """The first schema error as a message about the form field (the model check means name-or-phone)."""
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        if field in _FIELD_ERRORS:
            return _invalid(_FIELD_ERRORS[field])
    return _invalid("access.err.name_or_phone")


def _alert(
    request: Request, message: str, *, ok: bool, status_code: int = 200, testid: str = "access-alert", **extra: Any
) -> Response:
    return render(
        request,
        "access/_alert.html",
        {"message": message, "ok": ok, "testid": testid, **extra},
        status_code=status_code,
    )


def _attempt(
    request: Request, session: Session, action: Callable[[], T], *, error_target: str | None = None
) -> T | Response:
    """Run a form action; a refused one is rolled back and answered with its reason as a 4xx alert.

    `error_target` sends the alert next to the form when success replaces something else (htmx retarget).
    """
    try:
        return action()
    except AppError as exc:
        session.rollback()
        request.state.commit_session = False
        message = Translator(lang_of(request)).pick(exc.body()["error"]["message"])
        response = _alert(request, message, ok=False, status_code=exc.status_code)
        if error_target:
            response.headers["HX-Retarget"] = error_target
            response.headers["HX-Reswap"] = "innerHTML"
        return response


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def _form_time(value: str | None) -> datetime | None:
    """A datetime-local field is China time; an offset, if given, is respected."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid("access.err.time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=CST)


def qr_svg(payload: str) -> str:
    """The QR image as inline SVG, drawn here: no CDN, no script, works offline on a phone."""
    qr = segno.make(payload, error="m")
    return str(qr.svg_inline(scale=4, border=2, dark="#111827", light="#ffffff", omitsize=True))


def reason_text(t: Translator, reason: str) -> str:
    """The guard's wording for a reason code; the terminal's Chinese text if the catalogue lacks one."""
    return t.maybe(f"access.reason.{reason}", TEXTS.get(reason, (reason, reason))[0])


@dataclass
class FeedRow:
    """One access attempt as the guard sees it: masked names, a reason in words."""

    id: int
    at: datetime
    door: str | None
    method: str
    decision: str
    reason: str
    person: str | None
    visitor: str | None
    operator: str | None
    note: str | None
    blacklist: bool


def feed_rows(session: Session, compound_ids: set[int], after: int, limit: int = FEED_ROWS) -> list[FeedRow]:
    """Attempts after log id `after`, newest first, with names masked (R-P6)."""
    out = []
    for log, door, visitor, person in LogQuery(session).feed(compound_ids, after, limit):
        assert isinstance(log, AccessLog)
        detail = log.detail or {}
        out.append(
            FeedRow(
                id=log.id,
                at=log.server_at,
                door=door,
                method=log.method.value,
                decision=log.decision.value,
                reason=log.reason,
                person=mask_name(person),
                visitor=visitor_name_shown(None, visitor, host_house_id=None),
                operator=detail.get("operator"),
                note=detail.get("reason"),
                blacklist=log.reason == "blacklisted",
            )
        )
    out.reverse()
    return out


def _start_of_today() -> datetime:
    now = utcnow().astimezone(CST)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def todays_passes(session: Session, who: Principal, compound_id: int) -> list[tuple[VisitorPass, str]]:
    """Passes of the compound valid at some moment today (China time), newest first, with the house label."""
    start = _start_of_today()
    rows = session.execute(
        readable_passes(who)
        .add_columns(House.label)
        .outerjoin(House, House.id == VisitorPass.host_house_id)  # a courier's shift pass has no house
        .where(
            VisitorPass.compound_id == compound_id,
            VisitorPass.valid_until >= start,
            VisitorPass.valid_from < start + timedelta(days=1),
        )
        .order_by(VisitorPass.id.desc())
        .limit(100)
    ).all()
    return [(vp, label or "") for vp, label in rows]


def pass_state(vp: VisitorPass, now: datetime) -> str:
    """The status to show: an active pass past its window reads as expired."""
    if vp.status in (PassStatus.active, PassStatus.pending) and now >= vp.valid_until:
        return "expired"
    return vp.status.value


# --- guard desk ---------------------------------------------------------------------------------------
def _desk_values(session: Session, ctx: ConsolePage) -> dict[str, Any]:
    assert ctx.compound is not None
    rows = feed_rows(session, {ctx.compound.id}, 0)
    return {
        "rows": rows,
        "last_id": max((r.id for r in rows), default=0),
        "doors": [p for p in points_in(session, who=ctx.who, compound_id=ctx.compound.id) if p.active],
        "passes": todays_passes(session, ctx.who, ctx.compound.id),
        "now": utcnow(),
        "pass_state": pass_state,
        "reason_text": reason_text,
        "can_open": ctx.who.can(AccessPerm.remote_open),
        "can_register": ctx.who.can(AccessPerm.visitors_manage),
        "reenrol": _needing_reenrolment(session, ctx.compound.id),
        "can_assist_face": ctx.who.can(AccessPerm.manage),
    }


def _needing_reenrolment(session: Session, compound_id: int) -> list[Person]:
    from anju.access.credential_service import credential_service

    return credential_service.needing_reenrolment(session, compound_id=compound_id)


@router.get("/console/access")
def guard_desk(request: Request, ctx: DeskPage, session: ReadSession) -> Response:
    """门岗: the live feed, remote opening, walk-in registration and today's visitors."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context(PAGE))
    return render(request, "access/desk.html", ctx.context(PAGE, **_desk_values(session, ctx)))


@router.get("/console/access/passes")
def desk_passes(request: Request, ctx: DeskPage, session: ReadSession) -> Response:
    """Today's passes table alone (htmx refresh)."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context(PAGE))
    return render(
        request,
        "access/_desk_passes.html",
        ctx.context(
            PAGE,
            passes=todays_passes(session, ctx.who, ctx.compound.id),
            now=utcnow(),
            pass_state=pass_state,
            can_register=ctx.who.can(AccessPerm.visitors_manage),
            doors=[p for p in points_in(session, who=ctx.who, compound_id=ctx.compound.id) if p.active],
        ),
    )


@router.get("/console/access/feed")
async def desk_feed(
    request: Request,
    ctx: DeskPage,
    after: int | None = Query(None, ge=0, le=MAX_ID),
    max_seconds: float = Query(600, ge=0.1, le=3600),
) -> StreamingResponse:
    """Server-sent events: each new attempt of the selected compound as a rendered table row.

    The browser's EventSource reconnects by itself and sends Last-Event-ID, so
    nothing between two connections is skipped.
    """
    compound_ids = {ctx.compound.id} if ctx.compound is not None else set()
    # A reconnecting EventSource says where it stopped; that beats the page's starting point.
    last = sse.resume_from(request, after)
    t = Translator(lang_of(request))
    row_template = templates.get_template("access/_feed_row.html")

    def poll(since: int | None) -> tuple[int, list[str]]:
        """Runs in a worker thread: the new rows since `since`, rendered oldest first."""
        with new_session() as s:
            if since is None:  # a fresh connection starts from now
                top = s.execute(
                    select(AccessLog.id)
                    .where(AccessLog.compound_id.in_(compound_ids or {-1}))
                    .order_by(AccessLog.id.desc())
                    .limit(1)
                ).scalar()
                return int(top or 0), []
            rows = feed_rows(s, compound_ids, since, limit=200)
        # Oldest first: the page prepends each, so the newest ends on top.
        events = [
            sse.event(row_template.render(row=row, t=t, reason_text=reason_text), id=row.id, name="access")
            for row in reversed(rows)
        ]
        return max([since, *(r.id for r in rows)]), events

    # The same per-user cap as the API feed (429 too_many_streams): each open stream polls every second.
    release = feed_streams.acquire(ctx.who.user_id)

    async def capped() -> AsyncIterator[str]:
        try:
            async for chunk in sse.poll_events(
                request,
                poll,
                last,
                every=FEED_POLL_SECONDS,
                max_seconds=max_seconds,
                ping_every=FEED_PING_SECONDS,
                wake_on=sorted(compound_ids),
            ):
                yield chunk
        finally:
            release()

    return sse.event_stream(capped())


@router.post("/console/access/open")
def desk_open(
    request: Request,
    ctx: OpenDesk,
    session: WriteSession,
    access_point_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Open a door of the compound now; the reason and the operator go into the access log."""
    t = Translator(lang_of(request))

    def act() -> Response:
        point, why = _int(access_point_id), reason.strip()
        if point is None:
            raise _invalid("access.err.door")
        if len(why) < 2 or len(why) > 128:
            raise _invalid("access.err.reason")
        ap = session.get(AccessPoint, point)
        if ap is not None and ctx.compound is not None and ap.compound_id != ctx.compound.id:
            ap = None  # another compound's door, even one in scope, is not on this desk
        read = decision_service.remote_open(
            session, who=ctx.who, access_point_id=ap.id if ap else -1, reason=why, now=utcnow()
        )
        assert ap is not None
        return _alert(request, t("access.open.done", door=ap.name, log=read.log_id), ok=True, testid="open-result")

    return _attempt(request, session, act)


@router.post("/console/access/walk-ins")
def desk_walk_in(
    request: Request,
    ctx: VisitorDeskPage,
    session: WriteSession,
    visitor_name: Annotated[str, Form()] = "",
    visitor_phone: Annotated[str, Form()] = "",
    house: Annotated[str, Form()] = "",
    access_point_id: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "120",
) -> Response:
    """Register a walk-in visitor: a pending pass, and the host's (masked) numbers for the desk phone."""

    def act() -> Response:
        label = house.strip()[:32]
        if not label:
            raise _invalid("access.err.house")
        if ctx.compound is None:
            raise _invalid("access.err.house_unknown")
        host = session.execute(
            select(House).where(House.compound_id == ctx.compound.id, House.label == label)
        ).scalar_one_or_none()
        if host is None:
            raise _invalid("access.err.house_unknown")
        door = _int(access_point_id)
        if (
            door is not None
            and session.execute(
                select(AccessPoint.id).where(AccessPoint.id == door, AccessPoint.compound_id == ctx.compound.id)
            ).scalar()
            is None
        ):
            raise _invalid("access.err.door")
        try:
            data = WalkInCreate(
                host_house_id=host.id,
                visitor_name=visitor_name.strip() or None,
                visitor_phone=visitor_phone.strip() or None,
                minutes=_int(minutes) if _int(minutes) is not None else -1,
            )
        except ValidationError as exc:
            raise _schema_error(exc) from None
        vp, call = visitor_pass_service.walk_in(session, who=ctx.who, data=data, now=utcnow())
        response = render(
            request,
            "access/_walk_in_result.html",
            ctx.context(PAGE, vp=vp, call=call, door=door, can_open=ctx.who.can(AccessPerm.remote_open)),
        )
        response.headers["HX-Trigger"] = "access-passes-changed"
        return response

    return _attempt(request, session, act)


@router.post("/console/access/courier-shifts")
def desk_courier_shift(
    request: Request,
    ctx: VisitorDeskPage,
    session: WriteSession,
    visitor_name: Annotated[str, Form(max_length=32)] = "",
    visitor_phone: Annotated[str, Form(max_length=11)] = "",
    company: Annotated[str, Form(max_length=32)] = "",
    hours: Annotated[str, Form(max_length=2)] = "8",
) -> Response:
    """A courier's pass for a shift (issue 18): gates and lockers only, many entries, sent to the courier's phone as
    a share link when a phone is given (the rules live in visitor_pass_service and visitor_share_service)."""
    t = Translator(lang_of(request))

    def act() -> Response:
        if ctx.compound is None:
            raise _invalid("access.err.house_unknown")
        now = utcnow()
        n = _int(hours)
        try:
            data = VisitorPassCreate(
                kind=PassKind.courier,
                per_shift=True,
                compound_id=ctx.compound.id,
                visitor_name=visitor_name.strip() or None,
                visitor_phone=visitor_phone.strip() or None,
                company=company.strip() or None,
                valid_until=now + timedelta(hours=n or 0),  # 0 or too many hours: refused by the service
                entries=20,
            )
        except ValidationError as exc:
            raise _schema_error(exc) from None
        vp = visitor_pass_service.create(session, who=ctx.who, data=data, now=now)
        sent = False
        if vp.visitor_phone_enc:
            visitor_share_service.send_sms(session, who=ctx.who, pass_id=vp.id, now=now)
            sent = True
        link = visitor_share_service.link(session, who=ctx.who, pass_id=vp.id, now=now)
        message = t(
            "access.shift.issued",
            name=(visitor_name_shown(ctx.who, vp.visitor_name, host_house_id=None) or vp.visitor_phone_masked or ""),
            until=vp.valid_until.astimezone(CST).strftime("%H:%M"),
        )
        if sent:
            message += " " + t("access.shift.sms", phone=vp.visitor_phone_masked or "")
        response = _alert(
            request, message, ok=True, testid="shift-result", link=str(request.base_url).rstrip("/") + link.path
        )
        response.headers["HX-Trigger"] = "access-passes-changed"
        return response

    return _attempt(request, session, act)


@router.post("/console/access/passes/{pass_id}/decide")
def desk_decide(
    request: Request,
    pass_id: int,
    ctx: VisitorDeskPage,
    session: WriteSession,
    approve: Annotated[str, Form()] = "",
    access_point_id: Annotated[str, Form()] = "",
) -> Response:
    """The host answered the desk's call: approve (and open the chosen door) or refuse the pending pass."""
    t = Translator(lang_of(request))

    def act() -> Response:
        yes = approve == "1"
        door = _int(access_point_id)
        if yes and door is not None:
            ctx.who.require(AccessPerm.remote_open)  # checked first: nothing is half done
        vp = visitor_pass_service.approve(session, who=ctx.who, pass_id=pass_id, approve=yes)
        if yes and door is not None:
            ap = session.get(AccessPoint, door)
            if ap is None or ap.compound_id != vp.compound_id:
                raise _invalid("access.err.door")
            decision_service.remote_open(
                session,
                who=ctx.who,
                access_point_id=ap.id,
                reason=t("access.walkin.open_reason", id=vp.id),
                now=utcnow(),
            )
        response = _alert(
            request,
            t("access.walkin.approved" if yes else "access.walkin.rejected", id=vp.id),
            ok=yes,
            testid="decide-result",
        )
        response.headers["HX-Trigger"] = "access-passes-changed"
        return response

    return _attempt(request, session, act)


# --- resident H5 ---------------------------------------------------------------------------------------
def _my_credentials(session: Session, who: Principal) -> dict[str, Any]:
    creds = (
        CredentialQuery(session).credentials_of(person_id=who.person_id, active_only=False)
        if who.person_id is not None
        else []
    )
    active = [c for c in creds if c.status == CredentialStatus.active]
    return {
        "cards": [c for c in creds if c.kind == CredentialKind.card],
        "pin_set": any(c.kind == CredentialKind.pin for c in active),
        "face_enrolled": any(c.kind == CredentialKind.face for c in active),
        "face_state": _face_state(session, who),
        "qr_active": any(c.kind == CredentialKind.qr for c in active),
    }


def _face_state(session: Session, who: Principal) -> str:
    """The face state: current, needs_reenrolment (old model only: the person is asked to re-enrol) or none."""
    from anju.access.credential_service import credential_service

    p = session.get(Person, who.person_id) if who.person_id is not None else None
    return credential_service.face_status(session, person_id=p.id, compound_id=p.compound_id) if p else "none"


def _my_qr(session: Session, who: Principal) -> dict[str, Any]:
    """A fresh rotating QR for the page, or why there is none (not a current resident)."""
    from anju.access.credential_service import credential_service

    try:
        token, _, _, expires = credential_service.resident_qr(session, who=who, now=utcnow())
    except AppError:
        return {"qr": None}
    return {"qr": qr_svg(token), "qr_token": token, "qr_expires": expires}


def _my_houses(session: Session, who: Principal) -> list[House]:
    if not who.house_ids:
        return []
    return list(session.execute(select(House).where(House.id.in_(who.house_ids)).order_by(House.label)).scalars())


def _my_passes(session: Session, who: Principal) -> list[dict[str, Any]]:
    now = utcnow()
    labels = {h.id: h.label for h in _my_houses(session, who)}
    out = []
    for vp in visitor_pass_service.list(session, who=who, limit=30):
        state = pass_state(vp, now)
        usable = state in ("active", "pending")
        out.append(
            {
                "vp": vp,
                "house": labels.get(vp.host_house_id or 0, ""),
                "state": state,
                "qr": qr_svg(visitor_pass_service.qr(session, vp)) if usable else None,
            }
        )
    return out


def _passes_fragment(request: Request, session: Session, who: Principal, **extra: Any) -> Response:
    return render(request, "access/_h5_passes.html", {"who": who, "passes": _my_passes(session, who), **extra})


@router.get("/h5/access")
def my_access(request: Request, who: ResidentPage, session: WriteSession) -> Response:
    """My credentials, my rotating entry code, my doors and my visitors' passes."""
    # A write session: the first visit creates the resident's QR credential (R-F1: a non-face way in).
    now = utcnow().astimezone(CST).replace(second=0, microsecond=0)
    return render(
        request,
        "access/h5.html",
        {
            "who": who,
            **_my_credentials(session, who),
            **_my_qr(session, who),
            "doors": decision_service.my_doors(session, who=who, now=utcnow()),
            "houses": _my_houses(session, who),
            "passes": _my_passes(session, who),
            "default_until": (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        },
    )


@router.get("/h5/access/qr")
def my_qr_fragment(request: Request, who: ResidentPage, session: WriteSession) -> Response:
    """The entry code alone, fetched again before the current one rotates out."""
    return render(request, "access/_h5_qr.html", {"who": who, **_my_qr(session, who)})


@router.post("/h5/access/passes")
def my_new_pass(
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    visitor_name: Annotated[str, Form()] = "",
    visitor_phone: Annotated[str, Form()] = "",
    host_house_id: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
    entries: Annotated[str, Form()] = "1",
    kind: Annotated[str, Form()] = "visitor",
) -> Response:
    """Invite a visitor, a courier or a food-delivery rider (name or phone, no ID number, R-F12); the answer is
    the list with the new QR on top."""
    t = Translator(lang_of(request))

    def act() -> Response:
        house = _int(host_house_id)
        if house is None:
            raise _invalid("access.err.house")
        start, until = _form_time(valid_from), _form_time(valid_until)
        if until is None:
            raise _invalid("access.err.until")
        n = _int(entries)
        try:
            data = VisitorPassCreate(
                host_house_id=house,
                visitor_name=visitor_name.strip() or None,
                visitor_phone=visitor_phone.strip() or None,
                valid_from=start,
                valid_until=until,
                entries=n if n is not None else 0,
                kind=PassKind(kind) if kind in PassKind.__members__ else PassKind.visitor,
            )
        except ValidationError as exc:
            raise _schema_error(exc) from None
        vp = visitor_pass_service.create(session, who=who, data=data, now=utcnow())
        return _passes_fragment(request, session, who, created=vp.id, message=t("access.h5.created"))

    return _attempt(request, session, act, error_target="#pass-form-result")


@router.post("/h5/access/passes/{pass_id}/revoke")
def my_revoke_pass(request: Request, pass_id: int, who: ResidentPage, session: WriteSession) -> Response:
    """Cancel one of my visitors' passes; terminals drop it on their next sync (pushed at once)."""

    def act() -> Response:
        visitor_pass_service.revoke(session, who=who, pass_id=pass_id)
        return _passes_fragment(request, session, who)

    return _attempt(request, session, act, error_target=f"#pass-error-{pass_id}")


# --- issue 18: passes that reach the visitor ------------------------------------------------------------------
@router.get("/h5/access/passes/{pass_id}/share")
def my_share_link(request: Request, pass_id: int, who: ResidentPage, session: ReadSession) -> Response:
    """The pass's share link, to paste into a chat: the visitor opens it without signing in."""

    def act() -> Response:
        link = visitor_share_service.link(session, who=who, pass_id=pass_id, now=utcnow())
        # The address the resident reached us at is the one their visitor can reach too.
        url = str(request.base_url).rstrip("/") + link.path
        return render(request, "access/_h5_share.html", {"link": link, "url": url})

    return _attempt(request, session, act)


@router.post("/h5/access/passes/{pass_id}/sms")
def my_share_sms(request: Request, pass_id: int, who: ResidentPage, session: WriteSession) -> Response:
    """Text the share link to the visitor's phone (sent by the worker after this commits)."""
    t = Translator(lang_of(request))

    def act() -> Response:
        vp = visitor_share_service.send_sms(session, who=who, pass_id=pass_id, now=utcnow())
        left = max(0, access_settings().share_sms_max - vp.sms_sent)
        msg = t("access.share.sms_sent", phone=vp.visitor_phone_masked or "", left=left)
        return _alert(request, msg, ok=True, testid="sms-result")

    return _attempt(request, session, act)


@router.post("/h5/access/passes/{pass_id}/decide")
def my_decide_pass(
    request: Request, pass_id: int, who: ResidentPage, session: WriteSession, approve: Annotated[str, Form()] = ""
) -> Response:
    """The host lets a walk-in visitor in (or refuses) from the phone instead of answering the desk's call."""
    t = Translator(lang_of(request))

    def act() -> Response:
        yes = approve == "1"
        visitor_pass_service.approve(session, who=who, pass_id=pass_id, approve=yes)
        message = t("access.share.approved" if yes else "access.share.rejected")
        return _passes_fragment(request, session, who, message=message)

    return _attempt(request, session, act, error_target=f"#pass-error-{pass_id}")


@router.get("/h5/visit/{token}")
def visitor_page(request: Request, token: str, session: ReadSession) -> Response:
    """The visitor's page: no sign-in; the compound, gates, window, first name and the QR, nothing more."""
    try:
        view = visitor_share_service.view(session, token=token, now=utcnow())
    except ShareLinkExpired:
        return render(
            request, "access/visit.html", {"error": "access.visit.expired", "state": "expired"}, status_code=410
        )
    except ShareLinkInvalid:
        return render(
            request, "access/visit.html", {"error": "access.visit.invalid", "state": "invalid"}, status_code=404
        )
    qr = qr_svg(view.qr) if view.qr else None
    return render(request, "access/visit.html", {"view": view, "qr": qr, "state": view.state})


@router.post("/h5/access/doors/{access_point_id}/open")
def my_open_door(request: Request, access_point_id: int, who: ResidentPage, session: WriteSession) -> Response:
    """Open one of my own doors from the phone; logged with me as the operator."""
    t = Translator(lang_of(request))

    def act() -> Response:
        ap = session.get(AccessPoint, access_point_id)
        read = decision_service.remote_open(
            session, who=who, access_point_id=access_point_id, reason=t("access.open.my_reason"), now=utcnow()
        )
        assert ap is not None
        return _alert(request, t("access.open.done", door=ap.name, log=read.log_id), ok=True, testid="open-result")

    return _attempt(request, session, act)


# --- face: self-enrolment on H5 and the guard-assisted path (issue 12; R-F1, R-F2, R-F3, R-E3) -------------
FACE_REASONS = (
    "no_face",
    "multiple_faces",
    "face_too_small",
    "blurry",
    "pose",
    "unclear_face",
    "not_an_image",
    "too_many_pixels",
)
MAX_FACE_PHOTO = 8 * 1024 * 1024


def _face_feedback(t: Translator, exc: AppError) -> str:
    """A face rejection as advice the person can act on (quality feedback), else the error's own message."""
    reason = getattr(exc, "reason", None)
    if reason in FACE_REASONS:
        return t(f"access.face.reason.{reason}")
    return t.pick(exc.body()["error"]["message"])


def _face_page(
    request: Request, session: Session, who: Principal, *, accessible: bool, status_code: int = 200, **extra: Any
) -> Response:
    from anju.access.config import access_settings
    from anju.access.credential_service import credential_service

    consent = state = None
    if who.person_id is not None and who.house_ids:
        consent = credential_service.active_consent(session, who.person_id)
        p = session.get(Person, who.person_id)
        state = (
            credential_service.face_status(session, person_id=who.person_id, compound_id=p.compound_id) if p else None
        )
    return render(
        request,
        "access/h5_face.html",
        {
            "who": who,
            "accessible": accessible,
            "consent": consent,
            "face_state": state,
            "notice_version": access_settings().face_notice_version,
            **extra,
        },
        status_code=status_code,
    )


@router.get("/h5/access/face")
def my_face(request: Request, who: ResidentPage, session: ReadSession, accessible: bool = False) -> Response:
    """Face entry: first the separate consent screen (standard or large-print/read-aloud), then the photo."""
    return _face_page(request, session, who, accessible=accessible)


@router.post("/h5/access/face/consent")
def my_face_consent(
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    notice_version: Annotated[str, Form()] = "",
    agreed: Annotated[str, Form()] = "",
    accessible: Annotated[str, Form()] = "",
) -> Response:
    """Record the separate, explicit consent (R-F2): the box is never pre-ticked and must be sent ticked."""
    from anju.access.credential_service import credential_service
    from anju.access.schemas import FaceConsentCreate

    t = Translator(lang_of(request))
    large = accessible == "1"
    if agreed != "yes" or who.person_id is None:
        return _face_page(request, session, who, accessible=large, status_code=422, error=t("access.face.must_tick"))
    try:
        data = FaceConsentCreate(person_id=who.person_id, notice_version=notice_version[:32], agreed=True)
        credential_service.give_face_consent(session, who=who, data=data)
    except ValidationError:
        return _face_page(request, session, who, accessible=large, status_code=422, error=t("access.face.must_tick"))
    except AppError as exc:
        session.rollback()
        request.state.commit_session = False
        return _face_page(
            request, session, who, accessible=large, status_code=exc.status_code, error=_face_feedback(t, exc)
        )
    return _face_page(request, session, who, accessible=large)


@router.post("/h5/access/face/enrol")
def my_face_enrol(
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    image: Annotated[UploadFile | None, File()] = None,
    accessible: Annotated[str, Form()] = "",
) -> Response:
    """Enrol from one photo; a refused photo says what to change (face size, blur, pose, one face only)."""
    from anju.access.credential_service import credential_service

    t = Translator(lang_of(request))
    large = accessible == "1"
    data = image.file.read(MAX_FACE_PHOTO + 1) if image is not None else b""
    if not data:
        return _face_page(request, session, who, accessible=large, status_code=422, error=t("access.face.no_photo"))
    if len(data) > MAX_FACE_PHOTO or who.person_id is None:
        return _face_page(
            request, session, who, accessible=large, status_code=413, error=t("access.face.reason.too_many_pixels")
        )
    try:
        credential_service.enrol_face(session, who=who, person_id=who.person_id, image=data)
    except AppError as exc:
        session.rollback()
        request.state.commit_session = False
        return _face_page(
            request, session, who, accessible=large, status_code=exc.status_code, error=_face_feedback(t, exc)
        )
    return _face_page(request, session, who, accessible=large, done=t("access.face.done"))


@router.post("/h5/access/face/withdraw")
def my_face_withdraw(request: Request, who: ResidentPage, session: WriteSession) -> Response:
    """Withdraw face consent: templates deleted everywhere (R-F5); card, QR and PIN keep working (R-F1)."""
    from anju.access.credential_service import credential_service

    t = Translator(lang_of(request))
    if who.person_id is not None:
        credential_service.withdraw_face(session, who=who, person_id=who.person_id)
    return _face_page(request, session, who, accessible=False, done=t("access.face.withdrawn"))


@router.post("/console/access/face/assist")
def desk_face_assist(
    request: Request,
    ctx: DeskPage,
    session: WriteSession,
    image: Annotated[UploadFile | None, File()] = None,
    person_id: Annotated[str, Form()] = "",
    person_id_text: Annotated[str, Form()] = "",
    agreed: Annotated[str, Form()] = "",
    guardian: Annotated[str, Form()] = "",
) -> Response:
    """Guard-desk path for people without a phone: the notice is read to them, they agree in person, staff
    take the photo. Needs access.manage (the property manager on duty); consent is recorded like the H5's."""
    from anju.access.config import access_settings
    from anju.access.credential_service import credential_service
    from anju.access.schemas import FaceConsentCreate

    t = Translator(lang_of(request))
    data = image.file.read(MAX_FACE_PHOTO + 1) if image is not None else b""
    person = _int(person_id_text) or _int(person_id)

    def act() -> Response:
        if person is None:
            raise _invalid("access.err.invalid")
        if agreed != "yes":
            raise Invalid("consent not confirmed", zh=t("access.face.must_tick"))
        if not data or len(data) > MAX_FACE_PHOTO:
            raise Invalid("no photo", zh=t("access.face.no_photo"))
        if credential_service.active_consent(session, person) is None:
            credential_service.give_face_consent(
                session,
                who=ctx.who,
                data=FaceConsentCreate(
                    person_id=person,
                    notice_version=access_settings().face_notice_version,
                    given_by="guardian" if guardian == "yes" else "self",
                    agreed=True,
                ),
            )
        credential_service.enrol_face(session, who=ctx.who, person_id=person, image=data)
        return _alert(request, t("access.face.done"), ok=True, testid="assist-result")

    try:
        return act()
    except AppError as exc:
        session.rollback()
        request.state.commit_session = False
        return _alert(request, _face_feedback(t, exc), ok=False, status_code=exc.status_code, testid="assist-result")
