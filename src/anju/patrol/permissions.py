"""Permissions the patrol domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class PatrolPerm:
    """Who may do what in patrol; roles listed per permission (platform admins hold each)."""

    read = declare("patrol.read", roles=(Role.property_manager, Role.property_staff, Role.guard, Role.grid_worker))
    manage = declare("patrol.manage", roles=(Role.property_manager,))  # routes, checkpoints, schedules
    checkin = declare("patrol.checkin", roles=(Role.guard,))  # scan a checkpoint, shift handover
