"""Permissions the emergency domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class EmergencyPerm:
    """Who may do what in emergency management; roles listed per permission (platform admins hold each)."""

    read = declare(
        "emergency.read",
        roles=(Role.property_manager, Role.property_staff, Role.technician, Role.guard, Role.grid_worker),
    )
    manage = declare("emergency.manage", roles=(Role.property_manager,))  # plans, supplies, declare, close
    act = declare(
        "emergency.act",
        roles=(Role.property_manager, Role.property_staff, Role.technician, Role.guard, Role.grid_worker),
    )  # tick off a role task, draw supplies, record a drill
