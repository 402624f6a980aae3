"""Patrol pages: 巡更状态 with handovers and route setup, checkpoint QR codes, and the guard's scan page (H5)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from anju.accounts.service import display_names
from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.china_time import china_text
from anju.patrol.permissions import PatrolPerm
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import go_back, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
PatrolPage = Annotated[ConsolePage, Depends(console_guard(PatrolPerm.read))]
ScanPage = Annotated[Principal, Depends(page_guard(PatrolPerm.checkin))]


@router.get("/console/patrol")
def patrol_status(request: Request, ctx: PatrolPage, session: ReadSession) -> Response:
    """巡更状态: each checkpoint's last check-in (late key points red), recent rounds, handovers."""
    from anju.patrol.service import late_checkins, patrol_completion, recent_handovers, recent_rounds, status_board

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.patrol"))
    cid = ctx.compound.id
    rounds = recent_rounds(session, compound_id=cid)
    handovers = recent_handovers(session, compound_id=cid)
    names = display_names(session, {h.from_user_id for h in handovers} | {h.to_user_id or 0 for h in handovers})
    return render(
        request,
        "patrol/status.html",
        ctx.context(
            "nav.patrol",
            points=status_board(session, compound_id=cid),
            late=late_checkins(session, compound_id=cid),
            rounds=rounds,
            handovers=handovers,
            names=names,
            completion=patrol_completion(session, compound_id=cid, since=None),
            can_scan=ctx.who.can(PatrolPerm.checkin),
            can_manage=ctx.who.can(PatrolPerm.manage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/patrol/handover")
def patrol_handover(
    request: Request, ctx: PatrolPage, session: WriteSession, note: Annotated[str, Form()] = ""
) -> Response:
    """交接班: the outgoing guard writes what the next shift takes over."""
    from anju.patrol.service import handover

    t = Translator(lang_of(request))
    ctx.who.require(PatrolPerm.checkin)
    if ctx.compound is None or len(note.strip()) < 2 or len(note) > 1000:
        return go_back(request, "/console/patrol", err=t("patrol.handover_note"))
    handover(session, by=ctx.who, compound_id=ctx.compound.id, to_user_id=None, note=note.strip())
    return go_back(request, "/console/patrol", ok=t("wo.ok.done"))


@router.post("/console/patrol/routes")
def patrol_route_create(
    request: Request,
    ctx: PatrolPage,
    session: WriteSession,
    name: Annotated[str, Form()] = "",
    points: Annotated[str, Form()] = "",
    max_interval: Annotated[str, Form()] = "120",
    window_start: Annotated[str, Form()] = "",
    window_minutes: Annotated[str, Form()] = "60",
) -> Response:
    """A new route: one checkpoint per line, "*" in front marks a key point (R-W5 maximum gap applies)."""
    from anju.patrol.schemas import RouteBody
    from anju.patrol.service import create_route

    t = Translator(lang_of(request))
    ctx.who.require(PatrolPerm.manage)
    back = "/console/patrol"
    if ctx.compound is None:
        return go_back(request, back, err=t("wo.err.invalid"))
    try:
        gap = int(max_interval) if max_interval.strip() else None
        checkpoints = []
        for line in points.splitlines():
            label = line.strip()
            if not label:
                continue
            key = label.startswith(("*", "＊"))
            checkpoints.append(
                {"name": label.lstrip("*＊ ").strip(), "key_point": key, "max_interval_minutes": gap if key else None}
            )
        windows = []
        if window_start.strip():
            hh, mm = window_start.strip().split(":")
            windows.append((int(hh) * 60 + int(mm), int(window_minutes or "60")))
        body = RouteBody(compound_id=ctx.compound.id, name=name.strip(), checkpoints=checkpoints, windows=windows)
    except (ValidationError, ValueError):
        return go_back(request, back, err=t("patrol.bad_route"))
    try:
        create_route(
            session,
            by=ctx.who,
            compound_id=body.compound_id,
            name=body.name,
            checkpoints=[c.model_dump() for c in body.checkpoints],
            windows=body.windows,
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("wo.ok.done"))


@router.post("/console/patrol/checkpoints/{checkpoint_id}/nfc")
def checkpoint_nfc(
    checkpoint_id: int,
    request: Request,
    ctx: PatrolPage,
    session: WriteSession,
    nfc_tag: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Register the NFC tag stuck at a checkpoint: its serial number as the phone reads it, or the text on it."""
    from anju.patrol.service import set_nfc_tag

    t = Translator(lang_of(request))
    try:
        set_nfc_tag(session, by=ctx.who, checkpoint_id=checkpoint_id, nfc_tag=nfc_tag)
    except AppError as exc:
        return refused(request, session, "/console/patrol", exc)
    return go_back(request, "/console/patrol", ok=t("patrol.nfc_saved"))


@router.get("/console/patrol/checkpoints/{checkpoint_id}/qr.svg")
def checkpoint_qr(checkpoint_id: int, request: Request, ctx: PatrolPage, session: ReadSession) -> Response:
    """The QR to print and stick at a checkpoint: it opens the scan page with the point's code."""
    import segno

    from anju.patrol.service import readable_checkpoint

    point = readable_checkpoint(session, by=ctx.who, checkpoint_id=checkpoint_id)
    url = str(request.base_url).rstrip("/") + f"/h5/patrol/scan?code={quote(point.code)}"
    svg = segno.make(url, error="m").svg_inline(scale=4, title=point.name)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/h5/patrol/scan")
def scan_page(request: Request, who: ScanPage, session: ReadSession, code: str = "") -> Response:
    """What a checkpoint's QR opens on the guard's phone: the round's next checkpoint and one button to check in."""
    from anju.patrol.service import next_checkpoint

    return render(
        request,
        "patrol/scan.html",
        {
            "who": who,
            "code": code[:64],
            "next": next_checkpoint(session, by=who),
            "err": request.query_params.get("err"),
            "ok": request.query_params.get("ok"),
        },
    )


@router.post("/h5/patrol/scan")
def scan(
    request: Request,
    who: ScanPage,
    session: WriteSession,
    code: Annotated[str, Form()] = "",
    nfc_tag: Annotated[str, Form()] = "",
) -> Response:
    from anju.patrol.service import check_in

    t = Translator(lang_of(request))
    try:
        row = check_in(session, by=who, code=code.strip() or None, nfc_tag=nfc_tag.strip() or None)
    except AppError as exc:
        return refused(request, session, f"/h5/patrol/scan?code={quote(code[:64])}", exc)
    return go_back(request, "/h5/patrol/scan", ok=t("patrol.scanned", at=china_text(row.at, "%H:%M")))
