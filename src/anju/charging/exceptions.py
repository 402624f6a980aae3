"""Charging errors."""

from __future__ import annotations

from anju.core.errors import Conflict, Invalid, NotFound


class SocketNotFound(NotFound):
    code = "charging_socket_not_found"
    message_zh = "未找到该充电插座"
    message_en = "charging socket not found"


class SessionNotFound(NotFound):
    code = "charging_session_not_found"
    message_zh = "未找到该充电记录"
    message_en = "charging session not found"


class SocketBusy(Conflict):
    code = "charging_socket_busy"
    message_zh = "该插座正在使用中，请换一个插座"
    message_en = "this socket is in use: choose another"


class SocketFaulty(Conflict):
    code = "charging_socket_faulty"
    message_zh = "该插座故障或离线，暂不可用"
    message_en = "this socket is faulty or offline"


class BadDuration(Invalid):
    code = "charging_bad_duration"
    message_zh = "充电时长须为 1–12 小时"
    message_en = "charging lasts 1 to 12 hours"


class CardUnknown(NotFound):
    code = "charging_card_unknown"
    message_zh = "该充电卡未绑定"
    message_en = "this charging card is not registered"


class CardTaken(Conflict):
    code = "charging_card_taken"
    message_zh = "该充电卡已被绑定"
    message_en = "this card is already registered"
