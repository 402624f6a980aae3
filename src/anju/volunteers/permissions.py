"""Permissions the volunteers domain declares (residents take part through self-service)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class VolunteersPerm:
    read = declare("volunteers.read", roles=(Role.property_manager, Role.property_staff, Role.grid_worker))
    manage = declare("volunteers.manage", roles=(Role.property_manager, Role.grid_worker))  # activities, rewards
