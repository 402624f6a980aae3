"""Permissions the access domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class AccessPerm:
    """Who may do what in access; roles listed per permission (platform admins hold each)."""

    read = declare(
        "access.read", roles=(Role.property_manager, Role.property_staff, Role.guard)
    )  # access points, terminals, access log (masked)
    manage = declare(
        "access.manage", roles=(Role.property_manager,)
    )  # points, terminals, cards, PIA, blacklist, grants
    remote_open = declare(
        "access.remote_open", roles=(Role.property_manager, Role.guard)
    )  # open a door remotely, with a logged reason
    visitors_manage = declare(
        "visitors.manage", roles=(Role.property_manager, Role.guard)
    )  # guard desk: walk-ins, passes for any house
