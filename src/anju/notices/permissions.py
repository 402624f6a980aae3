"""Permissions the notices domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class NoticesPerm:
    """Who may do what in notices; roles listed per permission (platform admins hold each)."""

    manage = declare(
        "notices.manage", roles=(Role.property_manager, Role.committee_member)
    )  # publish notices, surveys, emergency broadcasts
