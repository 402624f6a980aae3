"""Permissions the accounts domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare
from anju.registry.permissions import RegistryPerm


class AccountsPerm:
    """Who may do what in accounts; roles listed per permission (platform admins hold each)."""

    users_manage = declare("users.manage", roles=(Role.property_manager,))
    self_service = RegistryPerm.self_service  # declared by the registry, which owns households
    claims_verify = RegistryPerm.people_write  # residents' house claims are checked against the roster
