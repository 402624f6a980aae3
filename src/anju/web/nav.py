"""Where each role lands, and the console's left navigation filtered by permission."""

from __future__ import annotations

from dataclasses import dataclass

from anju.core.auth import Principal
from anju.core.rbac import Perm, Role

H5_ROLES = frozenset({Role.resident, Role.committee_member})


def home_for(who: Principal) -> str:
    """The page a role lands on after signing in."""
    if who.role in H5_ROLES:
        return "/h5"
    if who.role == Role.gov_viewer:
        return "/screen"
    return "/console"


@dataclass(frozen=True)
class NavItem:
    key: str  # i18n key, also the page id used to highlight the current item
    href: str
    perm: Perm | None  # None: a future domain, shown disabled
    icon: str


@dataclass(frozen=True)
class NavGroup:
    key: str
    items: tuple[NavItem, ...]


NAV: tuple[NavGroup, ...] = (
    NavGroup("nav.group.registry", (
        NavItem("nav.compounds", "/console/compounds", Perm.registry_read, "layout"),
        NavItem("nav.houses", "/console/houses", Perm.registry_read, "home"),
        NavItem("nav.residents", "/console/residents", Perm.people_read, "users"),
        NavItem("nav.vehicles", "/console/vehicles", Perm.vehicles_read, "car"),
    )),
    NavGroup("nav.group.import", (
        NavItem("nav.import", "/console/import", Perm.roster_import, "upload"),
    )),
    NavGroup("nav.group.privacy", (
        NavItem("nav.privacy", "/console/privacy", Perm.privacy_manage, "shield"),
        NavItem("nav.audit", "/console/audit", Perm.audit_read, "log"),
    )),
    NavGroup("nav.group.analytics", (
        NavItem("nav.screen", "/screen", Perm.analytics_read, "chart"),
    )),
    NavGroup("nav.group.future", (
        NavItem("nav.access", "", None, "door"),
        NavItem("nav.alarms", "", None, "bell"),
        NavItem("nav.workorders", "", None, "wrench"),
        NavItem("nav.patrol", "", None, "route"),
        NavItem("nav.fees", "", None, "coin"),
    )),
)


def nav_for(who: Principal) -> list[NavGroup]:
    """The groups and items this role may use; future domains stay visible but disabled."""
    out: list[NavGroup] = []
    for group in NAV:
        items = tuple(i for i in group.items if i.perm is None or who.can(i.perm))
        if items:
            out.append(NavGroup(group.key, items))
    return out
