"""Decoration errors."""

from __future__ import annotations

from anju.core.errors import Conflict, Forbidden, Invalid, NotFound


class ApplicationNotFound(NotFound):
    code = "decoration_not_found"
    message_zh = "未找到该装修申请"
    message_en = "decoration application not found"


class Overlapping(Conflict):
    code = "decoration_overlap"
    message_zh = "该房屋在此期间已有装修申请"
    message_en = "this house already has a decoration application for these dates"


class LoadBearingChange(Invalid):
    code = "decoration_load_bearing"
    message_zh = "不得擅自变动建筑主体和承重结构（《住宅室内装饰装修管理办法》第五条）"
    message_en = "changing the main structure or load-bearing walls is prohibited (Order 110, art. 5)"


class OwnerConsentRequired(Forbidden):
    code = "decoration_owner_consent"
    message_zh = "非业主申请装修须提供业主书面同意（第十四条）"
    message_en = "a non-owner needs the owner's written consent to decorate (Order 110, art. 14)"


class NotBeforeStart(Invalid):
    code = "decoration_not_before_start"
    message_zh = "须在开工前申报（第十三条）"
    message_en = "an application must be filed before work starts (Order 110, art. 13)"


class WrongState(Conflict):
    code = "decoration_wrong_state"
    message_zh = "装修申请当前状态不允许此操作"
    message_en = "the application is not in a state that allows this"
