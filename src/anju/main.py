"""Application factory: routers, the one error shape, upload limits, the web console."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from anju import __version__
from anju.core.config import get_settings
from anju.core.errors import AppError, Invalid, TooLarge

log = logging.getLogger("anju")

_HTTP_CODES = {404: ("not_found", "未找到", "Not found"), 405: ("method_not_allowed", "不支持的请求方法", "Method not allowed"),
               401: ("unauthenticated", "请先登录", "Authentication required"),
               403: ("forbidden", "无权执行此操作", "Forbidden")}


def _error(status: int, code: str, zh: str, en: str, fields: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"error": {"code": code, "message": {"zh": zh, "en": en}, "fields": fields or []}})


class UploadLimit(BaseHTTPMiddleware):
    """Refuse bodies over the configured size before reading them."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        limit = get_settings().upload_max_bytes
        length = request.headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                return _error(400, "bad_request", "Content-Length 无效", "invalid Content-Length")
            if too_big:
                e = TooLarge(f"body larger than {limit} bytes", zh=f"请求体超过 {limit // 1024} KB 上限")
                return JSONResponse(status_code=e.status_code, content=e.body())
        return await call_next(request)


def create_app(*, with_worker: bool = False) -> FastAPI:
    from anju.api import api_router
    from anju.web.routes import mount_web

    app = FastAPI(title="Anju 安居 API", version=__version__,
                  description="Smart residential community platform. Errors share one shape: "
                              "`{error: {code, message: {zh, en}, fields}}`.")
    app.add_middleware(UploadLimit)

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal", "服务器内部错误", "internal server error")

    app.include_router(api_router)
    mount_web(app)

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
