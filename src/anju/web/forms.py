"""Helpers every page shares: the outcome of a form post (redirect with a one-line result, or the error text),
and lenient parsing of query-string values (a bad value is ignored, never a 500)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Depends
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from anju.core.errors import AppError
from anju.core.text import MAX_ID
from anju.web.auth_pages import local_path
from anju.web.i18n import Translator, lang_of

E = TypeVar("E", bound=Enum)


def error_message(request: Request, exc: Exception, *, fallback: str = "wo.err.invalid") -> str:
    """A refused action's reason in the user's language (a typed error's own message, else `fallback`)."""
    t = Translator(lang_of(request))
    if isinstance(exc, AppError):
        return t.pick(exc.body()["error"]["message"])
    return t(fallback)


def go_back(request: Request, target: str, *, err: str | None = None, ok: str | None = None) -> Response:
    """Redirect (303) to a local page, carrying a one-line outcome as ?err= or ?ok=."""
    path = local_path(target) or "/console"
    params = {k: v for k, v in (("err", err), ("ok", ok)) if v}
    sep = "&" if "?" in path else "?"
    return RedirectResponse(path + (sep + urlencode(params) if params else ""), status_code=303)


def refused(request: Request, session: Session, target: str, exc: Exception) -> Response:
    """A form action the service refused: undo whatever it wrote before refusing, and go back with the reason.

    The one way a page answers a refusal, so no page can forget the rollback (a service may have debited or
    flagged something before it found the reason to refuse, and the request boundary would commit it).
    """
    session.rollback()
    return go_back(request, target, err=error_message(request, exc))


def form_action(
    request: Request, session: Session, back: str, action: Callable[[], object], *, ok: str, invalid: str
) -> Response:
    """Run a page's form action and go back to `back` with its outcome: the translated `ok` message, the service's
    reason for a refusal, or the translated `invalid` message for a form the schema rejects (each refusal rolled
    back through `refused`'s rule)."""
    try:
        action()
    except AppError as exc:
        return refused(request, session, back, exc)
    except (ValidationError, ValueError):
        session.rollback()
        return go_back(request, back, err=Translator(lang_of(request))(invalid))
    return go_back(request, back, ok=Translator(lang_of(request))(ok))


def outcome(request: Request) -> dict[str, str | None]:
    """The ?err= / ?ok= a redirect from `go_back` carried, for the page's alert line."""
    return {"err": request.query_params.get("err"), "ok": request.query_params.get("ok")}


def parse_enum(kind: type[E], value: str | None) -> E | None:
    """An enum member from a query value; an unknown value is ignored (the filter is off)."""
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def one_line(value: str, *, limit: int = 500) -> str | None:
    """A free-text form field squeezed to one line of at most `limit` characters; blank is None."""
    text = " ".join(value.split())[:limit]
    return text or None


def query_int(value: str | None, *, minimum: int | None = None) -> int | None:
    """A lenient integer from a query or form value: ASCII digits with an optional minus sign, else None.

    `str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads as another number; pages took
    those for ids and answered 500. Anything but plain digits is treated as not given.
    """
    text = (value or "").strip()
    digits = text[1:] if text.startswith("-") else text
    if not digits or len(digits) > 19 or not (digits.isascii() and digits.isdigit()):
        return None
    n = int(text)
    if abs(n) > MAX_ID:  # would overflow a BIGINT comparison on PostgreSQL
        return None
    return max(n, minimum) if minimum is not None else n


def page_number(value: str | None) -> int:
    """A 1-based page number from the query string; a bad or absent value is page 1."""
    return min(query_int(value, minimum=1) or 1, 100_000)


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop so page handlers can be plain `def`: their database work
    then runs in the thread pool and never blocks the loop."""
    return await request.form()


# A handler that needs the raw form (repeated fields, dynamic names) takes `form: PostedForm`.
PostedForm = Annotated[FormData, Depends(posted_form)]
