"""Mount the web console, 大屏 and resident H5 on the app: pages, static files, CSRF, HTML errors."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from anju.core.errors import AppError, PasswordChangeRequired, Unauthenticated
from anju.web import (
    access_pages,
    access_setup_pages,
    accounts_pages,
    alarms_pages,
    auth_pages,
    care_pages,
    charging_pages,
    console,
    decoration_pages,
    devices_pages,
    emergency_pages,
    evaluation_pages,
    facilities_pages,
    fees_pages,
    field_pages,
    governance_pages,
    h5,
    notices_pages,
    notify_pages,
    parking_pages,
    patrol_pages,
    privacy_pages,
    registry_pages,
    reports_pages,
    safety_pages,
    screen,
    video_pages,
    volunteers_pages,
    workorders_pages,
)
from anju.web.csrf import CsrfMiddleware
from anju.web.i18n import Translator, lang_of
from anju.web.render import WEB_DIR, is_htmx, render

# One router per page module; a page module serves one domain (web/<domain>_pages.py).
PAGE_ROUTERS = (
    auth_pages.router,
    console.router,
    registry_pages.router,
    privacy_pages.router,
    screen.router,
    reports_pages.router,
    h5.router,
    notify_pages.router,
    access_pages.router,
    access_setup_pages.router,
    alarms_pages.router,
    decoration_pages.router,
    charging_pages.router,
    volunteers_pages.router,
    safety_pages.router,
    evaluation_pages.router,
    devices_pages.router,
    governance_pages.router,
    fees_pages.router,
    notices_pages.router,
    workorders_pages.router,
    patrol_pages.router,
    care_pages.router,
    emergency_pages.router,
    parking_pages.router,
    facilities_pages.router,
    accounts_pages.router,
    field_pages.router,
    video_pages.router,
)
WEB_PREFIXES = ("/console", "/screen", "/h5", "/field", "/login", "/logout", "/lang", "/account")
_TITLES = {403: "error.403.title", 404: "error.404.title", 400: "error.400.title", 422: "error.400.title"}
_BODIES = {403: "error.403.body", 404: "error.404.body"}


def is_web_path(path: str) -> bool:
    """Whether a path belongs to the HTML pages (errors there render as pages, not JSON)."""
    return path == "/" or any(path == p or path.startswith(p + "/") for p in WEB_PREFIXES)


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = "/login" if target in ("/", "/login") else f"/login?next={quote(target, safe='/')}"
    if is_htmx(request):
        # htmx would swap the login page into a table; ask it to navigate instead.
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status: int, message: dict[str, str] | None = None) -> Response:
    """An error as a page in the user's language, with a way home."""
    t = Translator(lang_of(request))
    body = t(_BODIES[status]) if status in _BODIES else (t.pick(message) if message else t("error.generic"))
    detail = t.pick(message) if message and status in _BODIES else None
    if detail and detail.rstrip("。.") == body.rstrip("。."):
        detail = None
    return render(
        request,
        "error.html",
        {"status": status, "title": t(_TITLES.get(status, "error.500.title")), "body": body, "detail": detail},
        status_code=status,
    )


async def _call(handler: Callable[[Request, Exception], Any], request: Request, exc: Exception) -> Any:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def _wrap_errors(app: FastAPI) -> None:
    """Render errors on web paths as pages; the API keeps its JSON error shape."""
    api_app_error = app.exception_handlers[AppError]
    api_http_error = app.exception_handlers[StarletteHTTPException]
    api_validation = app.exception_handlers[RequestValidationError]

    async def app_error(request: Request, exc: Exception) -> Any:
        if not is_web_path(request.url.path):
            return await _call(api_app_error, request, exc)
        if isinstance(exc, Unauthenticated):
            return _to_login(request)
        if isinstance(exc, PasswordChangeRequired):
            if is_htmx(request):
                return Response(status_code=204, headers={"HX-Redirect": "/account/password"})
            return RedirectResponse("/account/password", status_code=303)
        assert isinstance(exc, AppError)
        return error_page(request, exc.status_code, exc.body()["error"]["message"])

    async def http_error(request: Request, exc: Exception) -> Any:
        if not is_web_path(request.url.path):
            return await _call(api_http_error, request, exc)
        assert isinstance(exc, StarletteHTTPException)
        return error_page(request, exc.status_code)

    async def validation_error(request: Request, exc: Exception) -> Any:
        if not is_web_path(request.url.path):
            return await _call(api_validation, request, exc)
        return error_page(request, 400)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def mount_web(app: FastAPI) -> None:
    """Add the pages, /static, the CSRF check and HTML error pages to the app."""
    app.add_middleware(CsrfMiddleware)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    for r in PAGE_ROUTERS:
        app.include_router(r)
    _wrap_errors(app)
