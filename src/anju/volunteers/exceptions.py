"""Volunteer errors."""

from __future__ import annotations

from anju.core.errors import Conflict, NotFound


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
