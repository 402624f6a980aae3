"""Video errors (each maps to the project's error body)."""

from __future__ import annotations

from anju.core.errors import Conflict, Invalid, NotFound


class CameraNotFound(NotFound):
    code = "camera_not_found"
    message_zh = "摄像机不存在"
    message_en = "Camera not found"


class VideoEventNotFound(NotFound):
    code = "video_event_not_found"
    message_zh = "视频事件不存在"
    message_en = "Video event not found"


class EvidenceGone(NotFound):
    code = "evidence_gone"
    message_zh = "录像证据已按保存期限删除"
    message_en = "The evidence was deleted at the end of its retention period"


class SignageMissing(Invalid):
    code = "signage_missing"
    message_zh = "公共区域摄像机须先设置明显提示标识，才能启用"
    message_en = "A public-area camera needs visible signage before it is activated (R-F10)"


class RetentionBelowFloor(Invalid):
    code = "retention_below_floor"
    message_zh = "公共区域视频保存期限不得少于法定下限"
    message_en = "Retention below the legal floor for public-area video (R-A1)"


class BadAnalytics(Invalid):
    code = "bad_analytics"
    message_zh = "分析区域或时段设置有误"
    message_en = "Invalid analytics zones or schedule"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    message_zh = "该视频告警已复核"
    message_en = "This video alarm has already been reviewed"
