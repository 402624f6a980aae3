"""Sign-in and sign-out with the session cookie, the language switch, and `/`."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from anju.accounts.service import account_service
from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import SESSION_COOKIE, Principal, optional_principal
from anju.core.config import get_settings
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound, RateLimited, Unauthenticated
from anju.web.csrf import same_origin
from anju.web.i18n import LANG_COOKIE, LANGS
from anju.web.nav import home_for
from anju.web.render import render

router = APIRouter(include_in_schema=False)
ONE_YEAR = 365 * 24 * 3600


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (never `//evil.example` or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def landing(who: Principal, wanted: str | None) -> str:
    """Where to go after signing in: the page asked for, if it is in this role's area, else home."""
    home = home_for(who)
    path = local_path(wanted)
    if path is not None:
        plain = urlsplit(path).path
        if plain == home or plain.startswith(home + "/"):
            return path
        if who.is_staff and (plain == "/console" or plain.startswith("/console/")):
            return path  # staff land on their desk, but a console page they asked for is theirs too
        if (plain == "/screen" or plain.startswith("/screen/")) and who.can(AnalyticsPerm.read):
            return path
    return home


@router.get("/")
def root(request: Request, session: ReadSession) -> Response:
    """Send visitors to the login page and users to their role's home."""
    who = optional_principal(request, session)
    return RedirectResponse(home_for(who) if who else "/login", status_code=303)


@router.get("/login")
def login_page(request: Request, session: ReadSession, next: str | None = None) -> Response:
    """The sign-in form (a signed-in user goes straight home)."""
    who = optional_principal(request, session)
    if who is not None:
        return RedirectResponse(landing(who, next), status_code=303)
    return render(request, "login.html", {"next": local_path(next) or "", "error": None, "username": ""})


@router.post("/login")
def login_submit(
    request: Request,
    session: WriteSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password, open a web session in an httponly cookie, and go to the role's home."""
    username = username.strip()
    ctx = {"next": local_path(next) or "", "username": username}
    if not username or not password:
        return render(request, "login.html", {**ctx, "error": "login.error.missing"}, status_code=400)
    try:
        token, user = account_service.login(
            session,
            username=username,
            password=password,
            kind="web",
            ip=request.client.host if request.client else None,
        )
    except RateLimited:
        # Returning (not raising) lets the request boundary commit the failed attempt.
        return render(request, "login.html", {**ctx, "error": "login.error.locked"}, status_code=429)
    except Unauthenticated:
        return render(request, "login.html", {**ctx, "error": "login.error.credentials"}, status_code=401)
    who = account_service.principal(session, user)
    response = RedirectResponse(landing(who, next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(get_settings().session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookie(request.url.scheme),
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: WriteSession) -> Response:
    """Revoke the session behind the cookie and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        account_service.logout(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookie(request.url.scheme),
    )
    return response


@router.get("/lang/{code}")
def switch_language(code: str, request: Request) -> Response:
    """Remember the UI language and go back to the page the link was on."""
    if code not in LANGS:
        raise NotFound(f"language {code} not supported", zh="不支持该语言")
    back = "/"
    referer = request.headers.get("referer")
    if referer and same_origin(referer, request.headers.get("host", "")):
        parts = urlsplit(referer)
        back = local_path(parts.path + (f"?{parts.query}" if parts.query else "")) or "/"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(LANG_COOKIE, code, max_age=ONE_YEAR, samesite="lax", path="/")
    return response
