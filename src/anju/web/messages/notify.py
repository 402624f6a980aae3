"""UI strings of the 消息中心 (the in-app inbox, web/notify_pages.py): (zh-CN, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "msg.title": ("消息", "Messages"),
    "msg.intro": (
        "发给我的提醒与待办：打开即标为已读，并进入相关页面。",
        "Reminders and tasks sent to me: opening one marks it read and takes you to its page.",
    ),
    "msg.col.kind": ("类别", "Kind"),
    "msg.col.message": ("内容", "Message"),
    "msg.col.at": ("时间", "Time"),
    "msg.new": ("未读", "Unread"),
    "msg.open": ("查看", "Open"),
    "msg.mark_read": ("标为已读", "Mark read"),
    "msg.read": ("已标为已读", "Marked read"),
    "msg.none": ("暂无消息", "No messages"),
    "msg.cat.alarm": ("告警", "Alarm"),
    "msg.cat.alarm_escalation": ("告警升级", "Alarm escalation"),
    "msg.cat.alarm_linkage": ("告警联动", "Alarm linkage"),
    "msg.cat.care_visit": ("关爱探访", "Care visit"),
    "msg.cat.decoration": ("装修", "Decoration"),
    "msg.cat.emergency_proposal": ("建议启动预案", "Plan proposed"),
    "msg.cat.emergency_reminder": ("应急提醒", "Emergency reminder"),
    "msg.cat.emergency_task": ("应急任务", "Emergency task"),
    "msg.cat.face_reenrol": ("人脸重新登记", "Face re-enrolment"),
    "msg.cat.visitor_arrived": ("访客到达", "Visitor arrived"),
    "msg.cat.visitor_walk_in": ("访客待确认", "Walk-in visitor"),
    "msg.cat.workorder_sla": ("工单时限", "Work-order deadline"),
    "msg.cat.privacy_breach": ("个人信息安全事件", "Personal-data breach"),
    "msg.cat.notice": ("通知公告", "Notice"),
    "msg.cat.other": ("通知", "Notice"),
}
