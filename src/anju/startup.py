"""Start-up registration: each domain registers its permissions, subscribers, jobs and hooks with the kernel.

The kernel (`anju.core`) imports no domain; the app factory, the worker and the CLI call `register_all()`.
"""

from __future__ import annotations

import importlib

# Each domain's permissions module declares its permissions with `anju.core.rbac.declare()` on import.
PERMISSION_MODULES = (
    "anju.accounts.permissions",
    "anju.registry.permissions",
    "anju.privacy.permissions",
    "anju.analytics.permissions",
    "anju.devices.permissions",
    "anju.alarms.permissions",
    "anju.access.permissions",
    "anju.workorders.permissions",
    "anju.patrol.permissions",
    "anju.facilities.permissions",
    "anju.notices.permissions",
    "anju.governance.permissions",
    "anju.fees.permissions",
    "anju.care.permissions",
    "anju.decoration.permissions",
    "anju.charging.permissions",
    "anju.volunteers.permissions",
    "anju.emergency.permissions",
    "anju.parking.permissions",
    "anju.video.permissions",
)


def register_permissions() -> None:
    """Declare every domain's permissions, so a role's full list is known before the first request."""
    for name in PERMISSION_MODULES:
        importlib.import_module(name)


def register_all() -> None:
    """Everything the kernel needs from the domains: permissions, subscribers and jobs, hooks. Idempotent."""
    import anju.handlers  # noqa: F401  (every subscriber and job)
    from anju.accounts.service import principal_for_token
    from anju.core.auth import set_principal_loader
    from anju.core.migrate import on_post_upgrade
    from anju.privacy.catalog import sync_catalog
    from anju.privacy.minors import minor_access
    from anju.registry.service import register_unmask_guard

    register_permissions()
    set_principal_loader(principal_for_token)
    on_post_upgrade(sync_catalog)
    register_unmask_guard(minor_access.require_approval)  # R-P6: privacy builds on the registry
    from anju.governance.freeze_service import vote_open_in_compound
    from anju.registry.structure_service import register_vote_open_check

    register_vote_open_check(vote_open_in_compound)  # R-V7: areas are frozen while a vote is open


def post_upgrade() -> None:
    """After migrating: register the domains, then write the reference data they keep in code."""
    from anju.core.migrate import post_upgrade as run_hooks

    register_all()
    run_hooks()
