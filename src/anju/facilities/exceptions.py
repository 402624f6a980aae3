"""Facilities errors, each with its HTTP status and message in both languages."""

from __future__ import annotations

from anju.core.errors import Conflict


class SignOffConflict(Conflict):
    code = "facilities_signoff_conflict"
    message_zh = "该检查记录不能由您签核"
    message_en = "This inspection cannot be signed off by you"
