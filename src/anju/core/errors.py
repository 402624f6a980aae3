"""Typed domain errors that carry their HTTP status, and the one error shape."""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message_zh: ClassVar[str] = "请求无效"
    message_en: ClassVar[str] = "Bad request"

    def __init__(
        self, detail: str | None = None, *, fields: list[dict[str, Any]] | None = None, zh: str | None = None
    ) -> None:
        self.detail = detail
        self.zh = zh
        self.fields = fields or []
        super().__init__(detail or self.message_en)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": {"zh": self.zh or self.message_zh, "en": self.detail or self.message_en},
                "fields": self.fields,
            }
        }

    @classmethod
    def doc(cls) -> dict[str, Any]:
        return {"model": ErrorBody, "description": cls.message_en}


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message_zh = "未找到"
    message_en = "Not found"


class Unauthenticated(AppError):
    status_code = 401
    code = "unauthenticated"
    message_zh = "请先登录"
    message_en = "Authentication required"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message_zh = "无权执行此操作"
    message_en = "Not allowed for your role"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message_zh = "状态冲突"
    message_en = "Conflict"


class Invalid(AppError):
    status_code = 422
    code = "invalid"
    message_zh = "数据校验失败"
    message_en = "Validation failed"


class TooLarge(AppError):
    status_code = 413
    code = "too_large"
    message_zh = "上传文件过大"
    message_en = "Upload too large"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message_zh = "尝试次数过多，请稍后再试"
    message_en = "Too many attempts; try again later"


# Pydantic models for OpenAPI documentation of the error shape.
from pydantic import BaseModel  # noqa: E402


class ErrorMessage(BaseModel):
    zh: str
    en: str


class ErrorDetail(BaseModel):
    code: str
    message: ErrorMessage
    fields: list[dict[str, Any]] = []


class ErrorBody(BaseModel):
    error: ErrorDetail
