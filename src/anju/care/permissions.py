"""Permissions the care domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class CarePerm:
    """Who may do what in care; roles listed per permission (platform admins hold each)."""

    read = declare("care.read", roles=(Role.property_manager, Role.property_staff, Role.grid_worker))
    manage = declare("care.manage", roles=(Role.property_manager, Role.grid_worker))  # archive, contacts, consents
    visit = declare("care.visit", roles=(Role.property_manager, Role.property_staff, Role.grid_worker))
