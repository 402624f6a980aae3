"""Application factory: routers, the one error shape, upload limits, the web console."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, IntegrityError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anju import __version__
from anju.core.config import get_settings
from anju.core.errors import AppError, ErrorBody, Invalid, TooLarge, integrity_error

log = logging.getLogger("anju")

_HTTP_CODES = {
    404: ("not_found", "未找到", "Not found"),
    405: ("method_not_allowed", "不支持的请求方法", "Method not allowed"),
    401: ("unauthenticated", "请先登录", "Authentication required"),
    403: ("forbidden", "无权执行此操作", "Forbidden"),
}


def _error(status: int, code: str, zh: str, en: str, fields: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": {"zh": zh, "en": en}, "fields": fields or []}}
    )


class RequestGuard:
    """Refuse oversize bodies before the app reads them, and NUL characters in the query.

    Pure ASGI so a body without Content-Length (chunked) is counted as it streams in:
    it is buffered up to the limit and refused past it. PostgreSQL text cannot hold NUL,
    so a query string carrying one is invalid input (422), not a server error.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = get_settings().upload_max_bytes
        raw_query: bytes = scope.get("query_string", b"")
        if b"%00" in raw_query or b"\x00" in raw_query or "\x00" in scope.get("path", ""):
            e = Invalid(
                "NUL characters are not allowed in the URL",
                zh="网址中不允许包含空字符",
                fields=[{"field": "query", "message": "NUL character", "type": "string_nul"}],
            )
            await JSONResponse(status_code=e.status_code, content=e.body())(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                await _error(400, "bad_request", "Content-Length 无效", "invalid Content-Length")(scope, receive, send)
                return
            if too_big:
                await self._too_large(limit)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read the body here, at most limit + 1 bytes.
        chunks: list[bytes] = []
        size = 0
        more = True
        first: Message | None = None
        while more:
            message = await receive()
            if message["type"] != "http.request":
                first = message  # a disconnect: hand it on to the app as is
                break
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._too_large(limit)(scope, receive, send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        replay: list[Message] = (
            [first] if first is not None else [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
        )

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        await self.app(scope, replayed, send)

    @staticmethod
    def _too_large(limit: int) -> JSONResponse:
        e = TooLarge(f"body larger than {limit} bytes", zh=f"请求体超过 {limit // 1024} KB 上限")
        return JSONResponse(status_code=e.status_code, content=e.body())


# The console and H5 pages load only local files (anju.js, vendor ECharts and htmx); data for scripts comes
# in <script type="application/json"> blocks, which are not executed. Inline style *attributes* stay allowed
# (progress bars, ECharts tooltips); <style> elements and inline or injected scripts do not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc (local copies) add <style> elements of their own.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'; style-src-attr 'unsafe-inline'", "style-src 'self' 'unsafe-inline'"
)
_DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    """Content-Security-Policy and the usual companions on every HTTP response (pages and API alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CONTENT_SECURITY_POLICY if path.startswith(_DOCS_PATHS) else CONTENT_SECURITY_POLICY
        extra = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in have]
            await send(message)

        await self.app(scope, receive, with_headers)


def _document_common_errors(app: FastAPI) -> None:
    """Declare in the OpenAPI the errors any operation can return, all in the one shape.

    400 (malformed JSON, bad Content-Length), 413 (body too large) and 422 (invalid
    input, including a NUL in the URL) come from the request guard and the handlers
    above, so they apply to every operation, not only where an endpoint raises them.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        if "ErrorBody" not in schemas:
            body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(body.pop("$defs", {}))
            schemas["ErrorBody"] = body
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
        for ops in schema.get("paths", {}).values():
            for op in ops.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                codes = ["400", "422"] + (["413"] if "requestBody" in op else [])
                for code in codes:
                    op["responses"].setdefault(code, {"description": _COMMON_ERRORS[code], **ref})
                # FastAPI documents its own {"detail": [...]} for 422; ours is the one error shape.
                if "HTTPValidationError" in str(op["responses"]["422"]):
                    op["responses"]["422"] = {"description": _COMMON_ERRORS["422"], **ref}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_COMMON_ERRORS = {
    "400": "Malformed request (JSON, Content-Length)",
    "413": "Body too large",
    "422": "Validation failed",
}


def operation_id(route: APIRoute) -> str:
    """Every operation id is "{tag}-{function}" (style R18), e.g. "workorders-open_order"."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(*, with_worker: bool = False) -> FastAPI:
    from anju.api import api_router
    from anju.startup import register_all
    from anju.web.routes import mount_web

    register_all()
    # Face model files are verified (sha256) before anything is served: a missing or altered file stops here.
    from anju.vision.face import check_models_at_startup

    check_models_at_startup()
    # Settings that refuse simulators in a deployment are read now, so a bad one stops the start, not a request.
    from anju.notify.config import notify_settings

    get_settings()
    notify_settings()

    app = FastAPI(
        title="Anju 安居 API",
        version=__version__,
        description="Smart residential community platform. Errors share one shape: "
        "`{error: {code, message: {zh, en}, fields}}`.",
        docs_url=None,  # served offline by anju.web.api_docs
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    if get_settings().database_url.startswith("sqlite"):
        from anju.core.sqlite_retry import SQLiteLockRetry

        app.add_middleware(SQLiteLockRetry)  # innermost: sees the app's own errors, after the guard's size check
    app.add_middleware(RequestGuard)
    app.add_middleware(SecurityHeaders)
    trusted = get_settings().trusted_proxies.strip()
    if trusted:
        # Behind a reverse proxy that terminates https: believe its X-Forwarded-Proto/-For, and only its.
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=[h.strip() for h in trusted.split(",") if h.strip()])

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content=exc.body())

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ()) if x not in ("body",)]
            fields.append({"field": ".".join(loc), "message": err.get("msg", "invalid"), "type": err.get("type")})
        malformed = any(f["type"] == "json_invalid" for f in fields)
        if malformed:
            return _error(400, "malformed_json", "JSON 格式错误", "malformed JSON body", fields)
        e = Invalid("request validation failed", fields=fields)
        return JSONResponse(status_code=422, content=e.body())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _HTTP_CODES.get(exc.status_code, ("http_error", "请求错误", str(exc.detail)))
        return _error(exc.status_code, code, zh, en if exc.status_code in _HTTP_CODES else str(exc.detail))

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
        # A value the database cannot hold (an id beyond 64 bits, a NUL character) is
        # invalid input, found late; the request's transaction has been rolled back.
        log.warning("unstorable value on %s %s: %s", request.method, request.url.path, exc)
        e = Invalid(
            "a value is out of range or cannot be stored",
            zh="数值超出范围或无法保存",
            fields=[{"field": "", "message": "value out of range", "type": "out_of_range"}],
        )
        return JSONResponse(status_code=e.status_code, content=e.body())

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # The last resort: a reference or duplicate no service checked is a 4xx with a reason, never a 500.
        log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        e = integrity_error(exc)
        return JSONResponse(status_code=e.status_code, content=e.body())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal", "服务器内部错误", "internal server error")

    app.include_router(api_router)
    mount_web(app)
    from anju.web.api_docs import mount_api_docs

    mount_api_docs(app, title=app.title)
    _document_common_errors(app)

    if with_worker:
        from anju.core.jobs import Worker

        worker = Worker("inprocess", poll_seconds=get_settings().worker_poll_seconds)

        @app.on_event("startup")
        def _start_worker() -> None:
            worker.start_thread()

        @app.on_event("shutdown")
        def _stop_worker() -> None:
            worker.stop()

    return app
