"""Permissions the analytics domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class AnalyticsPerm:
    """Who may do what in analytics; roles listed per permission (platform admins hold each)."""

    read = declare(
        "analytics.read",
        roles=(
            Role.property_manager,
            Role.property_staff,
            Role.guard,
            Role.grid_worker,
            Role.committee_member,
            Role.gov_viewer,
        ),
    )  # aggregates
    report_write = declare(
        "analytics.report_write",
        roles=(Role.property_manager, Role.property_staff),
    )  # generate a report on demand, write its rectification plan
    staff_write = declare(
        "analytics.staff_write",
        roles=(Role.property_manager,),
    )  # record training sessions, exams and shifts of the security staff
