"""One schema base and generic pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, field_validator

T = TypeVar("T")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InSchema(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, v: Any) -> Any:
        # PostgreSQL text cannot store NUL: refuse it here as invalid input, not a 500 later.
        if isinstance(v, str) and "\x00" in v:
            raise ValueError("NUL characters are not allowed / 不允许包含空字符")
        return v


MIN_YEAR, MAX_YEAR = 2000, 2199  # times people type: far from the calendar's edges, storable everywhere


def aware_time(value: datetime | None) -> datetime | None:
    """A date-time with its UTC offset, inside MIN_YEAR..MAX_YEAR, as UTC (422 otherwise, never a 500).

    Use as a pydantic validator: `_t = field_validator("starts_at")(aware_time)`.
    """
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a date-time needs its UTC offset, e.g. 2026-12-06T09:00:00+08:00")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"the date-time must be between {MIN_YEAR} and {MAX_YEAR}") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"the date-time must be between {MIN_YEAR} and {MAX_YEAR}")
    return utc


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class PageParams(BaseModel):
    page: int = 1
    page_size: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_params(
    page: int = Query(1, ge=1, le=100_000, description="1-based page number"),
    page_size: int = Query(50, ge=1, le=500, description="rows per page"),
) -> PageParams:
    return PageParams(page=page, page_size=page_size)
