"""Parking errors, each with its HTTP status and message in both languages."""

from __future__ import annotations

from anju.core.errors import Conflict, Invalid, NotFound


class CarParkNotFound(NotFound):
    code = "parking_car_park_not_found"
    message_zh = "停车场不存在或不属于您的小区"
    message_en = "Car park not found in your compounds"


class LaneNotFound(NotFound):
    code = "parking_lane_not_found"
    message_zh = "车道不存在或不属于您的小区"
    message_en = "Lane not found in your compounds"


class SpaceNotFound(NotFound):
    code = "parking_space_not_found"
    message_zh = "车位不存在或不属于您的小区"
    message_en = "Parking space not found in your compounds"


class LaneEventNotFound(NotFound):
    code = "parking_lane_event_not_found"
    message_zh = "过车记录不存在或不属于您的小区"
    message_en = "Lane capture not found in your compounds"


class ParkingSessionNotFound(NotFound):
    code = "parking_session_not_found"
    message_zh = "停车记录不存在或不属于您的小区"
    message_en = "Parking session not found in your compounds"


class BadPlate(Invalid):
    code = "parking_bad_plate"
    message_zh = "车牌号格式不正确"
    message_en = "The plate number breaks the plate grammar"


class SpaceCodeTaken(Conflict):
    code = "parking_space_code_taken"
    message_zh = "该停车场已有相同编号的车位"
    message_en = "A space with this code already exists in the car park"


class VisitorCapReached(Conflict):
    code = "parking_visitor_cap_reached"
    message_zh = "本户同时在场的访客车辆已达上限"
    message_en = "This house already has the maximum number of visitor cars at once"


class AlreadyDecided(Conflict):
    code = "parking_already_decided"
    message_zh = "该过车记录已处理"
    message_en = "This capture was already decided"


class NothingToPay(Conflict):
    code = "parking_nothing_to_pay"
    message_zh = "该停车记录无需缴费或已缴清"
    message_en = "Nothing is due on this parking session"


class CouponNotFound(NotFound):
    code = "parking_coupon_not_found"
    message_zh = "优惠券不存在或不适用于该停车场"
    message_en = "Coupon not found for this car park"


class CouponUnusable(Conflict):
    code = "parking_coupon_unusable"
    message_zh = "优惠券已使用、已过期，或该次停车已用过优惠券"
    message_en = "The coupon is used or expired, or this stay already has a coupon"


class CouponCodeTaken(Conflict):
    code = "parking_coupon_code_taken"
    message_zh = "该优惠券编号已存在"
    message_en = "A coupon with this code already exists"


class LanePhotoNotFound(NotFound):
    code = "parking_lane_photo_not_found"
    message_zh = "该过车记录没有抓拍照片"
    message_en = "This capture has no photo"
