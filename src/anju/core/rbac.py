"""Roles and the permission mechanism. Each domain declares its own permissions (`<domain>/permissions.py`).

Scoping (which rows) lives in repositories. A permission is declared once, with the roles that hold it;
declaring registers it here, so importing a domain's `permissions` module is its start-up registration
(`anju.startup.register_all()` imports every one, so the full list is known before the first request).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    platform_admin = "platform_admin"
    property_manager = "property_manager"
    property_staff = "property_staff"  # front desk and service staff (counter, roster, orders)
    technician = "technician"  # repairs and maintenance: their orders and the houses, no roster, no fees
    guard = "guard"  # guards and the control room
    grid_worker = "grid_worker"
    resident = "resident"  # owner, tenant or family; the household link says which
    committee_member = "committee_member"  # owners' committee
    gov_viewer = "gov_viewer"  # street office: aggregates only


STAFF_ROLES = frozenset(
    {Role.platform_admin, Role.property_manager, Role.property_staff, Role.technician, Role.guard, Role.grid_worker}
)


class Permission(str):
    """A permission name such as "fees.read", declared by its domain with `declare()`."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)


_declared: dict[str, Permission] = {}
_grants: dict[Role, set[Permission]] = {role: set() for role in Role}


def declare(name: str, *, roles: Iterable[Role], admin: bool = True) -> Permission:
    """Declare a permission and the roles holding it; platform admins hold it too unless `admin=False`.

    Declaring the same name twice with other roles is an error: a permission has one home.
    """
    holders = set(roles) | ({Role.platform_admin} if admin else set())
    perm = _declared.get(name)
    if perm is not None:
        if {r for r, held in _grants.items() if perm in held} != holders:
            raise ValueError(f"permission {name!r} declared twice with different roles")
        return perm
    perm = _declared[name] = Permission(name)
    for role in holders:
        _grants[role].add(perm)
    return perm


def allowed(role: Role, perm: Permission) -> bool:
    return perm in _grants[role]


def permissions_of(role: Role) -> frozenset[Permission]:
    """Every declared permission `role` holds (complete once `anju.startup.register_all()` ran)."""
    return frozenset(_grants[role])


def declared() -> frozenset[Permission]:
    return frozenset(_declared.values())


class KernelPerm:
    """The kernel's own permissions: reading its outbox, jobs and audit log."""

    system_read = declare("system.read", roles=())  # outbox, jobs
    audit_read = declare("audit.read", roles=(Role.property_manager,))
