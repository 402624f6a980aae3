"""UI messages for the privacy pages added with issue 20: key -> (zh-CN, en)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "breach.title": ("个人信息安全事件", "Personal-data breaches"),
    "breach.intro": (
        "依《个人信息保护法》第五十七条：发生或可能发生个人信息泄露、篡改、丢失的，应立即采取补救措施，"
        "并通知履行个人信息保护职责的部门和个人。",
        "PIPL art. 57: on a (possible) leak, alteration or loss of personal information, take remedies at once "
        "and notify the regulator and the individuals.",
    ),
    "breach.link": ("安全事件", "Breaches"),
    "breach.discovered": ("发现时间", "Discovered"),
    "breach.affected": ("影响人数", "People affected"),
    "breach.types": ("信息种类", "Data types"),
    "breach.regulator": ("监管部门", "Regulator"),
    "breach.individuals": ("个人", "Individuals"),
    "breach.state": ("状态", "State"),
    "breach.due": ("须在 {at} 前", "due by {at}"),
    "breach.sent": ("已于 {at} 通知", "notified {at}"),
    "breach.waived": ("免于通知（已记录理由）", "waived (reason recorded)"),
    "breach.overdue": ("已逾期", "Overdue"),
    "breach.state.recorded": ("已登记", "Recorded"),
    "breach.state.notifying": ("通知中", "Notifying"),
    "breach.state.notified": ("已通知", "Notified"),
    "breach.state.closed": ("已结案", "Closed"),
    "h5.request_ground": ("理由（可选）", "Ground (optional)"),
    "request_ground.none": ("不说明", "Not given"),
    "request_ground.face_terms_breached": ("物业违反了人脸信息处理约定", "The company broke its face-data terms"),
    "request_ground.consent_withdrawn": ("我已撤回同意", "I withdrew my consent"),
    "request_ground.purpose_fulfilled": ("处理目的已实现或不再必要", "The purpose is fulfilled or no longer needed"),
    "request_ground.other": ("其他", "Other"),
}
