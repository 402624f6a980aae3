"""The 数据大屏: the compound's security map (一张图) with live layers, or the street office's district comparison.

Counts only, never names (R-P6). With one compound in focus the centre is its site plan with the registered map
layers (anju.analytics.layers) and the tiles around it; the live part is re-rendered on the server and pushed over
server-sent events when alarms, their transitions or passages change (and at least every 30 s for the clocks in
the figures). With several compounds and none chosen (a street office), the centre is the comparison table, each
row drilling down to that compound's aggregate map.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from anju.analytics.layers import layer_keys
from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.picture import change_cursor, command_picture, district
from anju.analytics.queries import overview
from anju.analytics.street import street_hotspots
from anju.core.auth import Principal
from anju.core.db import report_session, utcnow
from anju.core.deps import ReportSession
from anju.core.errors import NotFound
from anju.core.kit.china_time import china_date
from anju.web import queries, sse
from anju.web.deps import page_guard
from anju.web.i18n import Translator, lang_of
from anju.web.nav import H5_ROLES, home_for
from anju.web.render import render, templates

router = APIRouter(include_in_schema=False)
AnalyticsViewer = Annotated[Principal, Depends(page_guard(AnalyticsPerm.read))]
POLL_SECONDS = 1.0
REFRESH_SECONDS = 30  # the live part is re-sent at least this often (overdue orders, MTTA move with the clock)


def _focus(who: Principal, compound_id: str | None) -> tuple[int | None, int | None]:
    """(the compound asked for, the compound whose map is shown): a sole compound is its own focus."""
    wanted = int(compound_id) if compound_id and compound_id.isdigit() else None
    if wanted is not None and not who.in_scope(wanted):
        raise NotFound(f"compound {wanted} not found", zh="未找到该小区")
    if wanted is None and len(who.compound_ids) == 1:
        return None, next(iter(who.compound_ids))
    return wanted, wanted


@router.get("/screen")
def screen(request: Request, who: AnalyticsViewer, session: ReportSession, compound_id: str | None = None) -> Response:
    """The security map of one compound, or the district comparison of several; the population charts around."""
    wanted, focus = _focus(who, compound_id)
    now = utcnow()
    data = overview(session, who=who, compound_id=wanted, today=china_date())
    # The cursor before the picture: a change in between is pushed again rather than lost.
    cursor = ".".join(str(x) for x in change_cursor(session, compound_ids=[focus])) if focus is not None else ""
    picture = command_picture(session, who=who, compound_id=focus, now=now) if focus is not None else None
    return render(
        request,
        "screen.html",
        {
            "who": who,
            "data": data,
            "compound_id": wanted,
            "focus": focus,
            "picture": picture,
            "cursor": cursor,
            "layer_keys": layer_keys(),
            "district": district(session, who=who, now=now) if focus is None else None,
            "street_hot": street_hotspots(session, who=who, now=now) if focus is None else None,
            "home": home_for(who),
            "is_h5": who.role in H5_ROLES,
            "compounds": queries.compounds_of(session, who),
            "generated_at": now,
        },
    )


@router.get("/screen/live")
def screen_live(request: Request, who: AnalyticsViewer, session: ReportSession, compound_id: int) -> Response:
    """The live part of one compound's map (tiles, plan, ticker) as a fragment."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
    picture = command_picture(session, who=who, compound_id=compound_id, now=utcnow())
    return render(request, "screen/_live.html", {"picture": picture, "generated_at": utcnow()})


@router.get("/screen/stream")
async def screen_stream(
    request: Request,
    who: AnalyticsViewer,
    compound_id: int,
    max_seconds: float = Query(600, ge=0.1, le=3600),
    cursor: str | None = Query(None, max_length=64, pattern=r"^\d+(\.\d+){2}$"),
) -> StreamingResponse:
    """Server-sent events: the re-rendered live part whenever something on the map changed."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
    t = Translator(lang_of(request))
    lang = lang_of(request)
    fragment = templates.get_template("screen/_live.html")
    started = time.monotonic()  # the periodic refresh counts from the connection, not from a wall-clock bucket

    def poll(cursor: tuple[Any, ...] | None) -> tuple[tuple[Any, ...] | None, list[str]]:
        """Runs in a worker thread: render and send when the change cursor moved (or the refresh is due).

        The first poll only notes where things are: the page already shows the state it was rendered with."""
        with report_session() as s:
            now_cursor = (
                *change_cursor(s, compound_ids=[compound_id]),
                int((time.monotonic() - started) // REFRESH_SECONDS),
            )
            if cursor is None or now_cursor == cursor:
                return now_cursor, []
            now = utcnow()
            picture = command_picture(s, who=who, compound_id=compound_id, now=now)
        html = fragment.render(picture=picture, generated_at=now, t=t, lang=lang)
        return now_cursor, [sse.event(html, name="picture")]

    # The page says which state it was rendered with, so nothing between rendering and connecting is lost.
    start: tuple[Any, ...] | None = None
    if cursor:
        start = (*(int(x) for x in cursor.split(".")), int((time.monotonic() - started) // REFRESH_SECONDS))

    async def stream() -> AsyncIterator[str]:
        async for chunk in sse.poll_events(
            request, poll, start, every=POLL_SECONDS, max_seconds=max_seconds, wake_on=[compound_id]
        ):
            yield chunk

    return sse.event_stream(stream())
