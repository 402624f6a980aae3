"""Permissions the privacy domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class PrivacyPerm:
    """Who may do what in privacy; roles listed per permission (platform admins hold each)."""

    manage = declare("privacy.manage", roles=(Role.property_manager,))  # handle data-subject requests
    # R-P10: the platform-wide compliance audit and important-data checklist (the operating company)
    compliance = declare("privacy.compliance", roles=())
