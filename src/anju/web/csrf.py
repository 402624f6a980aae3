"""CSRF defence for cookie sessions: unsafe requests must come from our own origin.

The session cookie is SameSite=Lax, which already stops most cross-site POSTs;
checking Origin (or Referer) closes the rest (same-site subdomains, old
browsers). Bearer-token API calls carry no ambient credential, so they pass.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from anju.core.auth import SESSION_COOKIE

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BODY = json.dumps(
    {
        "error": {
            "code": "csrf_failed",
            "message": {
                "zh": "请求来源校验失败（跨站请求已拒绝）",
                "en": "cross-site request refused: Origin or Referer must match this site",
            },
            "fields": [],
        }
    },
    ensure_ascii=False,
).encode()
_SCHEMES = frozenset({"http", "https"})


def _host_port(netloc: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(f"//{netloc}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def same_origin(source: str, host_header: str) -> bool:
    """Whether an Origin/Referer URL names the host (and explicit port) this request was sent to."""
    # The scheme is not compared: behind a TLS-terminating proxy the browser
    # says https while the app sees http. Browsers leave default ports out of
    # both Origin and Host, so explicit ports compare as given.
    src = urlsplit(source)
    if src.scheme not in _SCHEMES or not src.netloc:
        return False  # includes Origin: null (sandboxed frames, file://)
    a, b = _host_port(src.netloc), _host_port(host_header)
    return a is not None and b is not None and bool(a[0]) and a == b


def _has_session_cookie(headers: Headers) -> bool:
    # Parse exactly as request.cookies will, so no odd header can hide the
    # session from this check yet still authenticate the request.
    return SESSION_COOKIE in cookie_parser(headers.get("cookie", ""))


def _bearer(headers: Headers) -> bool:
    return headers.get("authorization", "").lower().startswith("bearer ")


class CsrfMiddleware:
    """Refuse cookie-authenticated unsafe requests whose Origin/Referer is another site."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _bearer(headers):
            await self.app(scope, receive, send)
            return
        source = headers.get("origin") or headers.get("referer")
        # No Origin and no Referer: fine for a client without our cookie
        # (scripts, a privacy browser's login form); not for a session.
        ok = same_origin(source, headers.get("host", "")) if source is not None else not _has_session_cookie(headers)
        if ok:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(_BODY)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _BODY})
