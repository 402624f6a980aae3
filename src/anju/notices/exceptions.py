"""Notice and survey errors (rendered by the one handler in main.py)."""

from __future__ import annotations

from anju.core.errors import Conflict, Invalid, NotFound


class NoticeNotFound(NotFound):
    code = "notice_not_found"
    message_zh = "通知不存在"
    message_en = "Notice not found"


class BadTarget(Invalid):
    code = "notice_bad_target"
    message_zh = "通知对象无效（楼栋/单元/房屋不属于本小区）"
    message_en = "Invalid target: the building, unit or house is not in this compound"


class BadOutage(Invalid):
    code = "notice_bad_outage"
    message_zh = "停水停电通知须写明类型、受影响楼栋和起止时间"
    message_en = "An outage notice needs its kind, the affected buildings and a start before its end"


class SurveyNotFound(NotFound):
    code = "survey_not_found"
    message_zh = "问卷不存在"
    message_en = "Survey not found"


class SurveyClosed(Conflict):
    code = "survey_closed"
    message_zh = "问卷已结束"
    message_en = "The survey is closed"


class AlreadyAnswered(Conflict):
    code = "survey_already_answered"
    message_zh = "您（或您家）已参与过本问卷"
    message_en = "You (or your household) already answered this survey"


class BadAnswers(Invalid):
    code = "survey_bad_answers"
    message_zh = "答卷不完整或选项无效"
    message_en = "Answers are incomplete or an option is invalid"
