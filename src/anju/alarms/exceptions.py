"""Alarm centre errors (rendered by the one handler in main.py)."""

from __future__ import annotations

from anju.core.errors import AppError, Conflict, Invalid, NotFound


class AlarmNotFound(NotFound):
    code = "alarm_not_found"
    message_zh = "告警不存在"
    message_en = "Alarm not found"


class AlarmStateConflict(Conflict):
    """The alarm is not in a state this action accepts, or another user moved it first (CAS)."""

    code = "alarm_state_conflict"
    message_zh = "告警状态已变化，请刷新"
    message_en = "The alarm's state changed; refresh"


class ReviewRequired(Conflict):
    """R-A4: an automated alarm about a person needs a human review before any action."""

    code = "alarm_review_required"
    message_zh = "涉及个人的自动告警须先经人工复核"
    message_en = "An automated alarm about a person needs human review first"


class NoteRequired(Invalid):
    """Resolving, closing as false or reviewing an alarm needs a note (issue 17)."""

    code = "alarm_note_required"
    message_zh = "请填写处置说明"
    message_en = "A disposal note is required"


class BadDispatchTarget(Invalid):
    code = "alarm_bad_dispatch_target"
    message_zh = "派单对象须为本小区的工作人员"
    message_en = "Dispatch target must be a staff member of the alarm's compound"


class AlarmPlaceNotFound(NotFound):
    """A manual alarm names a building, unit or house that is not in its compound (issue 20 item 7)."""

    code = "alarm_place_not_found"
    message_zh = "楼栋、单元或房屋不属于该小区"
    message_en = "Building, unit or house not found in this compound"


__all__ = [
    "AlarmNotFound",
    "AlarmPlaceNotFound",
    "AlarmStateConflict",
    "AppError",
    "BadDispatchTarget",
    "NoteRequired",
    "ReviewRequired",
]
