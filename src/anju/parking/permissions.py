"""Permissions the parking domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class ParkingPerm:
    """Who may do what with car parks, lanes, passes and visitor cars (platform admins hold each)."""

    read = declare("parking.read", roles=(Role.property_manager, Role.property_staff, Role.guard))
    manage = declare("parking.manage", roles=(Role.property_manager, Role.property_staff))  # parks, spaces, passes
    lane = declare("parking.lane", roles=(Role.property_manager, Role.guard))  # captures, release, booth payment
    visitor = declare("parking.visitor", roles=(Role.resident,))  # authorise a visitor car for one's house
