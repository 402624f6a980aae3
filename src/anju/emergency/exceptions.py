"""Emergency errors, each with its HTTP status and message in both languages."""

from __future__ import annotations

from anju.core.errors import Conflict, Invalid, NotFound


class PlanNotFound(NotFound):
    code = "emergency_plan_not_found"
    message_zh = "应急预案不存在或不属于您的小区"
    message_en = "Emergency plan not found in your compounds"


class IncidentNotFound(NotFound):
    code = "emergency_incident_not_found"
    message_zh = "应急事件不存在或不属于您的小区"
    message_en = "Emergency incident not found in your compounds"


class TaskNotFound(NotFound):
    code = "emergency_task_not_found"
    message_zh = "应急任务不存在或不属于您的小区"
    message_en = "Emergency task not found in your compounds"


class SupplyNotFound(NotFound):
    code = "emergency_supply_not_found"
    message_zh = "应急物资不存在或不属于您的小区"
    message_en = "Supply item not found in your compounds"


class AlreadyActivated(Conflict):
    code = "emergency_already_activated"
    message_zh = "该预案已针对此告警启动"
    message_en = "This plan is already activated for this alarm"


class IncidentClosed(Conflict):
    code = "emergency_incident_closed"
    message_zh = "应急事件已关闭"
    message_en = "The incident is closed"


class TaskDone(Conflict):
    code = "emergency_task_done"
    message_zh = "该任务已完成"
    message_en = "This task is already done"


class NotEnoughStock(Conflict):
    code = "emergency_not_enough_stock"
    message_zh = "库存不足，数量不能小于零"
    message_en = "Not enough stock: the quantity cannot go below zero"


class SupplyExists(Conflict):
    code = "emergency_supply_exists"
    message_zh = "该仓库已有同名物资"
    message_en = "This store already has an item with that name"


class BadPlace(Invalid):
    code = "emergency_bad_place"
    message_zh = "楼栋不属于该小区"
    message_en = "The building is not in this compound"


class BadGeometry(Invalid):
    code = "emergency_bad_geometry"
    message_zh = "楼层几何无效"
    message_en = "Invalid floor geometry"


class BuildingNotFound(NotFound):
    code = "emergency_building_not_found"
    message_zh = "楼栋不存在或不属于您的小区"
    message_en = "Building not found in your compounds"


class AssemblyPointNotFound(NotFound):
    code = "emergency_assembly_point_not_found"
    message_zh = "集合点不存在或不属于您的小区"
    message_en = "Assembly point not found in your compounds"


class AssemblyPointExists(Conflict):
    code = "emergency_assembly_point_exists"
    message_zh = "该集合点名称已存在"
    message_en = "An assembly point with this name exists"


class ExitSourceNotFound(NotFound):
    code = "emergency_exit_source_not_found"
    message_zh = "出口堵塞来源不存在或不属于您的小区"
    message_en = "Exit obstruction source not found in your compounds"


class ExitSourceExists(Conflict):
    code = "emergency_exit_source_exists"
    message_zh = "该来源已绑定到此出口"
    message_en = "This source is already bound to this exit"


class BadExitSource(Invalid):
    code = "emergency_bad_exit_source"
    message_zh = "出口堵塞来源无效"
    message_en = "Invalid exit obstruction source"
