"""Permissions the charging domain declares (residents charge through self-service)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class ChargingPerm:
    read = declare("charging.read", roles=(Role.property_manager, Role.property_staff, Role.guard))
    manage = declare("charging.manage", roles=(Role.property_manager,))  # the tariff
