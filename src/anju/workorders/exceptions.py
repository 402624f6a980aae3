"""Work-order errors, each with a zh + en reason."""

from __future__ import annotations

from anju.core.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge


class OrderNotFound(NotFound):
    code = "workorder_not_found"
    message_zh = "工单不存在"
    message_en = "Work order not found"


class OrderStateConflict(Conflict):
    """The order is not in a state this action accepts, or someone moved it first (CAS)."""

    code = "workorder_state_conflict"
    message_zh = "工单当前状态不允许此操作"
    message_en = "The work order's state does not allow this action"


class AlreadyTaken(Conflict):
    code = "workorder_already_taken"
    message_zh = "工单已被他人抢单"
    message_en = "Someone else took this order first"


class NotYourOrder(Forbidden):
    code = "workorder_not_yours"
    message_zh = "只能处理指派给自己的工单"
    message_en = "Only the assignee may do this"


class NotReporter(Forbidden):
    code = "workorder_not_reporter"
    message_zh = "只有报事人本人可以评价"
    message_en = "Only the reporter may rate this order"


class ReporterNotFound(NotFound):
    """A staff member names as reporter a person who is not of the order's compound (issue 20 item 7)."""

    code = "workorder_reporter_not_found"
    message_zh = "报事人不属于该小区"
    message_en = "Reporter not found in this compound"


class BadAssignee(Invalid):
    code = "workorder_bad_assignee"
    message_zh = "派单对象须为本小区的维修或网格人员"
    message_en = "The assignee must be a technician or grid worker of the order's compound"


class BadPhoto(Invalid):
    status_code = 415
    code = "workorder_bad_photo"
    message_zh = "照片须为 JPEG、PNG、WebP 或 GIF 图片"
    message_en = "A photo must be a JPEG, PNG, WebP or GIF image"


class PhotoTooLarge(TooLarge):
    code = "workorder_photo_too_large"
    message_zh = "照片过大"
    message_en = "Photo too large"


class BadTarget(Invalid):
    code = "workorder_bad_target"
    message_zh = "报修房屋或楼栋无效"
    message_en = "Unknown house or building for this compound"
