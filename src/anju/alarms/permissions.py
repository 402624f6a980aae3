"""Permissions the alarms domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class AlarmsPerm:
    """Who may do what in alarms; roles listed per permission (platform admins hold each)."""

    read = declare("alarms.read", roles=(Role.property_manager, Role.property_staff, Role.guard, Role.grid_worker))
    handle = declare(
        "alarms.handle", roles=(Role.property_manager, Role.property_staff, Role.guard)
    )  # acknowledge, dispatch, resolve, false alarm, review (R-A4)
    configure = declare("alarms.configure", roles=(Role.property_manager,))  # procedures (处置流程) per kind
