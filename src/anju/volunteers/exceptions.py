"""Volunteer errors."""

from __future__ import annotations

from anju.core.errors import Conflict, Forbidden, Invalid, NotFound


class NotAVolunteer(NotFound):
    code = "volunteer_not_registered"
    message_zh = "请先登记为志愿者"
    message_en = "register as a volunteer first"


class ActivityNotFound(NotFound):
    code = "volunteer_activity_not_found"
    message_zh = "未找到该志愿活动"
    message_en = "activity not found"


class SignupNotFound(NotFound):
    code = "volunteer_signup_not_found"
    message_zh = "未找到报名记录"
    message_en = "sign-up not found"


class ActivityFull(Conflict):
    code = "volunteer_activity_full"
    message_zh = "该活动名额已满"
    message_en = "this activity is full"


class AlreadySignedUp(Conflict):
    code = "volunteer_already_signed_up"
    message_zh = "已报名该活动"
    message_en = "already signed up"


class OutsideWindow(Conflict):
    code = "volunteer_outside_window"
    message_zh = "不在签到时段内（开始前 30 分钟至结束）"
    message_en = "check-in is open from 30 minutes before the start until the end"


class WrongStep(Conflict):
    code = "volunteer_wrong_step"
    message_zh = "当前状态不能执行此操作"
    message_en = "not possible in this state"


class NotEnoughPoints(Conflict):
    code = "volunteer_not_enough_points"
    message_zh = "积分不足"
    message_en = "not enough points"


class OutOfStock(Conflict):
    code = "volunteer_reward_out_of_stock"
    message_zh = "该奖品已兑完"
    message_en = "this reward is out of stock"


class CommitteeMemberNotFound(NotFound):
    code = "safety_committee_member_not_found"
    message_zh = "未找到该安全委员会成员"
    message_en = "committee member not found"


class DecisionNotFound(NotFound):
    code = "safety_committee_decision_not_found"
    message_zh = "未找到该决议"
    message_en = "decision not found"


class AlreadyPublished(Conflict):
    code = "safety_committee_decision_published"
    message_zh = "该决议已发布为通知"
    message_en = "this decision was already published as a notice"


class CampaignNotFound(NotFound):
    code = "education_campaign_not_found"
    message_zh = "未找到该安全教育内容"
    message_en = "campaign not found"


class QuizAlreadyAnswered(Conflict):
    code = "education_quiz_answered"
    message_zh = "您已完成该测验，每人只能作答一次"
    message_en = "you have already answered this quiz (once per person)"


class BadQuizAnswers(Invalid):
    code = "education_quiz_bad_answers"
    message_zh = "请回答每一道题"
    message_en = "answer every question with one of its options"


class EventNotFound(NotFound):
    code = "education_event_not_found"
    message_zh = "未找到该安全小课堂"
    message_en = "event not found"


class EventFull(Conflict):
    code = "education_event_full"
    message_zh = "名额已满"
    message_en = "this event is fully booked"


class BookingClosed(Conflict):
    code = "education_booking_closed"
    message_zh = "报名已截止"
    message_en = "booking for this event has closed"


class NotInAudience(Forbidden):
    code = "education_not_in_audience"
    message_zh = "该活动不面向您所在的人群，无法报名"
    message_en = "this event is for another audience"


class BookingNotFound(NotFound):
    code = "education_booking_not_found"
    message_zh = "未找到该报名（签到码无效）"
    message_en = "booking not found (unknown check-in code)"


class BookingState(Conflict):
    code = "education_booking_state"
    message_zh = "当前报名状态不能执行此操作"
    message_en = "not possible for this booking now"
