"""Permissions the devices domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class DevicesPerm:
    """Who may do what in devices; roles listed per permission (platform admins hold each)."""

    manage = declare("devices.manage", roles=(Role.property_manager,))
    read = declare(
        "devices.read",
        roles=(Role.property_manager, Role.property_staff, Role.technician, Role.guard, Role.grid_worker),
    )  # device list, states, site plan markers
    command = declare(
        "devices.command", roles=(Role.property_manager, Role.property_staff, Role.guard)
    )  # mute a smoke alarm, cut a charger, open a door
