"""Labels of alarm kinds, severities and outcomes: the one home the console, notices and work orders read.

key -> (zh-CN, en). The web catalogue exposes them as alarms.kind.*, alarms.sev.* and alarms.outcome.*;
texts written by the domain (a linked work order's description, an escalation notice) use both languages.
"""

from __future__ import annotations

KIND_LABELS: dict[str, tuple[str, str]] = {
    "smoke": ("烟感", "Smoke"),
    "gas": ("燃气", "Gas"),
    "water_leak": ("漏水", "Water leak"),
    "manhole_open": ("井盖异常", "Manhole cover"),
    "lift_fault": ("电梯故障", "Lift fault"),
    "lift_trapped": ("电梯困人", "Lift: passenger trapped"),
    "pump_fault": ("水泵故障", "Pump fault"),
    "tank_level": ("水箱液位", "Water tank level"),
    "charger_overheat": ("充电桩过温", "Charger overheating"),
    "charger_overtime": ("充电超时", "Charging too long"),
    "charger_overload": ("充电过载", "Charger overload"),
    "locker_door_open": ("快递柜门未关", "Parcel locker door open"),
    "sos": ("一键求助", "SOS"),
    "door_held_open": ("门未关", "Door held open"),
    "light_fault": ("路灯故障", "Street light fault"),
    "device_fault": ("设备故障", "Device fault"),
    "tamper": ("设备被拆", "Tamper"),
    "device_offline": ("设备离线", "Device offline"),
    "gateway_session_lost": ("网关会话丢失", "Gateway lost its broker session"),
    "ebike_in_corridor": ("电动车进楼道", "E-bike in a corridor"),
    "ebike_in_stairwell": ("电动车进楼梯间", "E-bike in a stairwell"),
    "ebike_in_lobby": ("电动车进门厅", "E-bike in a lobby"),
    "ebike_in_exit": ("电动车堵安全出口", "E-bike at an exit"),
    "ebike_in_lift": ("电动车进电梯", "E-bike in a lift"),
    "fire_lane_blocked": ("消防通道占用", "Fire lane blocked"),
    "fire_lane_parking": ("消防通道违停", "Car parked in a fire lane"),
    "vehicle_blacklist": ("黑名单车辆", "Blacklisted vehicle"),
    "vehicle_unregistered": ("未登记车辆进入", "Unregistered vehicle at a lane"),
    "vehicle_unreadable": ("车牌未识别", "Plate not read at a lane"),
    "zombie_vehicle": ("疑似僵尸车", "Suspected abandoned vehicle"),
    "evacuation_blocked": ("疏散通道堵塞", "Evacuation route blocked"),
    "fire_duty_gap": ("消防控制室值班缺岗", "Fire control room short-staffed"),
    "patrol_missed": ("巡更漏巡", "Patrol round missed"),
    "blacklist_hit": ("黑名单人员", "Blacklist hit"),
    "face_deletion_overdue": ("人脸数据删除逾期", "Face data deletion overdue"),
    "face_filing_threshold": ("人脸数据量接近备案线", "Face data nearing the filing threshold"),
    "pin_enumeration": ("疑似猜测门禁密码", "Suspected door PIN guessing"),
    "fire": ("火警", "Fire"),
    "door_forced": ("门被强行打开", "Door forced open"),
    "manual": ("人工上报", "Reported by staff"),
    # Care (issue 16) and video analytics (issue 14).
    "care_silence": ("独居老人长时间无活动", "No activity from a person living alone"),
    "fall": ("跌倒", "Fall"),
    "intrusion": ("区域入侵", "Intrusion"),
    "loitering": ("徘徊", "Loitering"),
    "thrown_object": ("高空抛物", "Object thrown from height"),
    "gathering": ("人员聚集", "Gathering"),
    "climbing": ("翻越围栏", "Climbing a fence"),
    "left_object": ("遗留物", "Left object"),
    "perimeter_intrusion": ("周界入侵", "Perimeter intrusion"),
    "theft": ("盗窃", "Theft"),
    "burglary": ("入室盗窃", "Burglary"),
}

SEVERITY_LABELS: dict[str, tuple[str, str]] = {
    "critical": ("紧急", "Critical"),
    "major": ("重要", "Major"),
    "minor": ("一般", "Minor"),
    "info": ("提示", "Info"),
}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "pending_review": ("待复核", "Pending review"),
    "new": ("新告警", "New"),
    "acknowledged": ("已确认", "Acknowledged"),
    "dispatched": ("已派单", "Dispatched"),
    "resolved": ("已处理", "Resolved"),
    "false_alarm": ("误报", "False alarm"),
}

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "acknowledged": ("确认", "acknowledge"),
    "dispatched": ("派单", "dispatch"),
    "resolved": ("处理完毕", "resolve"),
    "false_alarm": ("误报关闭", "close as false"),
    "reviewed": ("复核确认", "review"),
}

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "handled": ("现场已处置", "Dealt with on site"),
    "repaired": ("故障已修复", "Fault repaired"),
    "no_danger": ("经核查无危险", "Checked: no danger"),
    "resident_handled": ("住户已自行处理", "The household dealt with it"),
    "referred": ("已移交消防/公安/供气等单位", "Handed to fire brigade, police or utility"),
    "false_alarm": ("误报", "False alarm"),
    "duplicate": ("重复告警", "Duplicate"),
}


def kind_label(kind: str) -> tuple[str, str]:
    """A kind's (zh, en) label; an unknown kind reads as a generic alarm, never its code."""
    return KIND_LABELS.get(kind, ("告警", "Alarm"))


def severity_label(severity: str) -> tuple[str, str]:
    return SEVERITY_LABELS.get(str(severity), ("告警", "Alarm"))


def bilingual(label: tuple[str, str]) -> str:
    """'中文 / English', for texts the domain writes once for every reader."""
    return f"{label[0]} / {label[1]}"
