"""Permissions the fees domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class FeesPerm:
    """Who may do what in fees; roles listed per permission (platform admins hold each)."""

    read = declare("fees.read", roles=(Role.property_manager, Role.property_staff))  # bills, payments, arrears (staff)
    manage = declare(
        "fees.manage", roles=(Role.property_manager,)
    )  # fee items, billing runs, refunds, common-income ledger
    collect = declare(
        "fees.collect", roles=(Role.property_manager, Role.property_staff)
    )  # the staffed counter: cash/card payments, receipts
