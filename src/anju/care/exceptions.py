"""Care errors, each with its HTTP status and message in both languages."""

from __future__ import annotations

from anju.core.errors import Conflict, Invalid, NotFound


class ProfileNotFound(NotFound):
    code = "care_profile_not_found"
    message_zh = "关爱档案不存在或不属于您的小区"
    message_en = "Care profile not found in your compounds"


class PersonNotFound(NotFound):
    code = "care_person_not_found"
    message_zh = "人员不存在或不属于该小区"
    message_en = "Person not found in this compound"


class ProfileExists(Conflict):
    code = "care_profile_exists"
    message_zh = "该人员已有关爱档案"
    message_en = "This person already has a care profile"


class VisitNotFound(NotFound):
    code = "care_visit_not_found"
    message_zh = "探访任务不存在或不属于您的小区"
    message_en = "Visit not found in your compounds"


class VisitClosed(Conflict):
    code = "care_visit_closed"
    message_zh = "该探访已记录结果"
    message_en = "This visit already has its outcome"


class BadCareInput(Invalid):
    code = "care_bad_input"
    message_zh = "关爱设置无效"
    message_en = "Invalid care settings"


class EpisodeNotFound(NotFound):
    code = "care_episode_not_found"
    message_zh = "无活动告警记录不存在或不属于您的小区"
    message_en = "Silence episode not found in your compounds"


class EpisodeClosed(Conflict):
    code = "care_episode_closed"
    message_zh = "该无活动告警已有结果"
    message_en = "This silence episode already has its outcome"
