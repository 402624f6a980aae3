"""Permissions the governance domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class VotesPerm:
    """Who may do what in governance; roles listed per permission (platform admins hold each)."""

    read = declare("votes.read", roles=(Role.property_manager, Role.committee_member))  # live participation, results
    manage = declare(
        "votes.manage", roles=(Role.property_manager, Role.committee_member)
    )  # vote set-up, paper ballots, proxies, 公示
