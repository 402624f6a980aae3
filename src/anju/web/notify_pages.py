"""消息中心: a user's in-app inbox, on the console (staff) and on the phone (residents).

Domains send inbox messages (an emergency plan proposed for a critical alarm, a care visit to make, a visitor at
the gate, a shortfall of supplies); this is where people read them. A message whose text names a page of Anju
opens it: "open" marks the message read and goes there. Only the recipient sees a message (another user's id is
a 404 like any id out of scope).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.notify.models import Notification
from anju.notify.service import notify_service
from anju.web.auth_pages import local_path
from anju.web.deps import ConsolePage, WebUser, console_guard
from anju.web.forms import go_back, outcome
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
StaffPage = Annotated[ConsolePage, Depends(console_guard())]

CONSOLE, H5 = "/console/messages", "/h5/messages"
SHOWN = 100  # newest messages listed; older ones stay in the API (GET /api/v1/notifications)
# A path of ours standing on its own in the text (not the tail of another site's address).
_PAGE_IN_TEXT = re.compile(r"(?<![\w.:/-])/(?:console|h5|field)/[A-Za-z0-9/_\-?=&.%]*[A-Za-z0-9/_\-=]")


def page_of(n: Notification) -> str | None:
    """The Anju page a message names in its text (its action), else its alarm's page; None if neither."""
    m = _PAGE_IN_TEXT.search(n.body or "")
    if m is not None and (target := local_path(m.group(0))):
        return target
    return f"/console/alarms?alarm_id={n.alarm_id}" if n.alarm_id is not None else None


def category_label(t: Translator, category: str) -> str:
    """The message's kind as people read it (a category Anju does not list reads as "通知")."""
    if category.startswith("notice_"):
        category = "notice"
    return t.maybe(f"msg.cat.{category}", t("msg.cat.other"))


def _items(request: Request, session: ReadSession, who: Principal) -> list[dict[str, object]]:
    t = Translator(lang_of(request))
    return [
        {"n": n, "kind": category_label(t, n.category), "page": page_of(n)}
        for n in notify_service.mine(session, by=who, unread_only=False, limit=SHOWN)
    ]


@router.get(CONSOLE)
def console_messages(request: Request, ctx: StaffPage, session: ReadSession) -> Response:
    items = _items(request, session, ctx.who)
    return render(request, "notify/console.html", ctx.context("msg.title", items=items, **outcome(request)))


@router.get(H5)
def h5_messages(request: Request, who: WebUser, session: ReadSession) -> Response:
    return render(request, "notify/h5.html", {"who": who, "items": _items(request, session, who), **outcome(request)})


def _open(request: Request, session: WriteSession, who: Principal, notification_id: int, back: str) -> Response:
    """Mark the message read (once; opening it again is fine) and go to the page it names, else back to the list."""
    n = notify_service.get_mine(session, by=who, notification_id=notification_id)
    notify_service.mark_read(session, by=who, notification_id=n.id)
    target = page_of(n)
    return go_back(request, target) if target else go_back(request, back, ok=Translator(lang_of(request))("msg.read"))


@router.post(CONSOLE + "/{notification_id}/open")
def console_open(notification_id: int, request: Request, ctx: StaffPage, session: WriteSession) -> Response:
    return _open(request, session, ctx.who, notification_id, CONSOLE)


@router.post(H5 + "/{notification_id}/open")
def h5_open(notification_id: int, request: Request, who: WebUser, session: WriteSession) -> Response:
    return _open(request, session, who, notification_id, H5)
