"""China time: the one zone people read and business hours are kept in. Storage stays UTC."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from anju.core.db import utcnow

CHINA_TZ = ZoneInfo("Asia/Shanghai")  # UTC+8 all year (no daylight saving since 1991)


def to_china(at: datetime) -> datetime:
    """An aware datetime as China wall-clock time."""
    return at.astimezone(CHINA_TZ)


def china_now() -> datetime:
    """Now, in China time."""
    return to_china(utcnow())


def china_date(at: datetime | None = None) -> date:
    """The China calendar date of `at` (default: now); a UTC date is wrong between 16:00 and 24:00 UTC."""
    return to_china(at if at is not None else utcnow()).date()


def china_datetime(day: date, at: time = time(0)) -> datetime:
    """An aware datetime for a China wall-clock time on `day`."""
    return datetime.combine(day, at, tzinfo=CHINA_TZ)


def china_text(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A datetime as people read it: China time, no offset, no ISO 'T'."""
    return "" if at is None else to_china(at).strftime(fmt)
