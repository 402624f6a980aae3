"""Device errors."""

from __future__ import annotations

from anju.core.errors import Conflict, Invalid, NotFound


class DeviceNotFound(NotFound):
    code = "device_not_found"
    message_zh = "设备不存在"
    message_en = "Device not found"


class DeviceKeyTaken(Conflict):
    code = "device_key_taken"
    message_zh = "设备编号已存在"
    message_en = "Device key already registered"


class BadDeviceLocation(Invalid):
    code = "device_bad_location"
    message_zh = "设备位置不属于该小区"
    message_en = "Location does not belong to the device's compound"


class CommandNotSupported(Invalid):
    code = "device_command_not_supported"
    message_zh = "该设备不支持此指令"
    message_en = "This device type does not accept this command"


class ChargerWithoutAutoCutoff(Invalid):
    """R-S2: an e-bike charging station must cut off by itself when the battery is full."""

    code = "device_charger_no_auto_cutoff"
    message_zh = "电动自行车充电设施须具备充满自动断电功能（capabilities.auto_cutoff=true），依据《高层民用建筑消防安全管理规定》第37条"
    message_en = (
        "An e-bike charger must declare 'auto cut-off when full' (capabilities.auto_cutoff=true), "
        "per the high-rise fire safety rules, art. 37"
    )
