"""Permissions the facilities domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class FacilitiesPerm:
    """Who may do what in facilities; roles listed per permission (platform admins hold each)."""

    read = declare("facilities.read", roles=(Role.property_manager, Role.property_staff, Role.technician))
    manage = declare(
        "facilities.manage", roles=(Role.property_manager, Role.property_staff, Role.technician)
    )  # equipment, maintenance plans, inspections
