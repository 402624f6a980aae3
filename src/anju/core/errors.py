"""Typed domain errors that carry their HTTP status, and the one error shape."""

from __future__ import annotations

from typing import Any, ClassVar, TypeAlias

Responses: TypeAlias = dict[int | str, dict[str, Any]]
"""A route's `responses=` map (FastAPI's type): annotate shared maps, `_STATE: Responses = {404: ….doc()}`."""


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


class PasswordChangeRequired(Forbidden):
    """The account signed in with a temporary password: it may only change it (or sign out)."""

    code = "password_change_required"
    message_zh = "请先修改临时密码"
    message_en = "Change your temporary password first"


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


class BrokenReference(AppError):
    """A write named a row that does not exist (a foreign key the database refused)."""

    status_code = 404
    code = "reference_not_found"
    message_zh = "引用的记录不存在"
    message_en = "A referenced record does not exist"


class DuplicateRecord(Conflict):
    """A write collided with an existing row on a unique key (a constraint the database enforced)."""

    code = "duplicate"
    message_zh = "记录已存在或与已有记录冲突"
    message_en = "The record already exists or conflicts with an existing one"


class ConstraintViolated(Invalid):
    """A value the database's own rules refused (NOT NULL, CHECK)."""

    code = "constraint_violated"
    message_zh = "数据不符合存储规则"
    message_en = "A value breaks a storage rule"


def integrity_error(exc: Exception) -> AppError:
    """The domain error for an IntegrityError that reached the request boundary (the last resort).

    Services check references and duplicates themselves and raise typed errors with a precise
    reason; this only makes sure a check someone forgot is a 4xx with a reason, never a 500.
    PostgreSQL reports SQLSTATE classes, SQLite only a message.
    """
    orig = getattr(exc, "orig", exc)
    state = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    text = str(orig).lower()
    if state == "23503" or "foreign key" in text:
        return BrokenReference("a referenced record does not exist (foreign key)")
    if state == "23505" or "unique constraint" in text or "duplicate key" in text:
        return DuplicateRecord("the record conflicts with an existing one (unique key)")
    return ConstraintViolated("a value breaks a storage rule (not null / check)")


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
