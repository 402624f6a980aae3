"""Permissions the workorders domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class WorkOrdersPerm:
    """Who may do what in workorders; roles listed per permission (platform admins hold each)."""

    read = declare(
        "workorders.read",
        roles=(Role.property_manager, Role.property_staff, Role.technician, Role.guard, Role.grid_worker),
    )
    dispatch = declare(
        "workorders.dispatch", roles=(Role.property_manager, Role.property_staff)
    )  # dispatch, transfer, escalate, close, SLA settings
    work = declare(
        "workorders.work", roles=(Role.property_manager, Role.property_staff, Role.technician, Role.grid_worker)
    )  # technician / grid worker: grab, arrive, complete own orders
