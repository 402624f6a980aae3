"""Permissions the decoration domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class DecorationPerm:
    """Who may do what with decoration applications (residents apply through self-service)."""

    read = declare("decoration.read", roles=(Role.property_manager, Role.property_staff, Role.guard))
    manage = declare("decoration.manage", roles=(Role.property_manager, Role.property_staff))  # approve, inspect
