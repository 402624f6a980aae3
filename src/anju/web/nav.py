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
    NavGroup(
        "nav.group.registry",
        (
            NavItem("nav.compounds", "/console/compounds", Perm.registry_read, "layout"),
            NavItem("nav.houses", "/console/houses", Perm.registry_read, "home"),
            NavItem("nav.residents", "/console/residents", Perm.people_read, "users"),
            NavItem("nav.vehicles", "/console/vehicles", Perm.vehicles_read, "car"),
        ),
    ),
    NavGroup("nav.group.import", (NavItem("nav.import", "/console/import", Perm.roster_import, "upload"),)),
    NavGroup(
        "nav.group.privacy",
        (
            NavItem("nav.privacy", "/console/privacy", Perm.privacy_manage, "shield"),
            NavItem("nav.audit", "/console/audit", Perm.audit_read, "log"),
        ),
    ),
    NavGroup(
        "nav.group.security",
        (
            NavItem("nav.control_room", "/console/alarms", Perm.alarms_read, "bell"),
            NavItem("nav.devices", "/console/devices", Perm.devices_read, "chip"),
            NavItem("nav.guard_desk", "/console/access", Perm.access_read, "door"),
            NavItem("nav.patrol", "/console/patrol", Perm.patrol_read, "route"),
        ),
    ),
    NavGroup(
        "nav.group.service",
        (
            NavItem("nav.workorders", "/console/workorders", Perm.workorders_read, "wrench"),
            NavItem("nav.my_tasks", "/console/my-tasks", Perm.workorders_work, "check"),
            NavItem("nav.facilities", "/console/facilities", Perm.facilities_read, "tool"),
            NavItem("nav.fees", "/console/fees", Perm.fees_read, "coin"),
            NavItem("nav.notices", "/console/notices", Perm.notices_manage, "megaphone"),
            NavItem("nav.votes", "/console/votes", Perm.votes_read, "vote"),
        ),
    ),
    NavGroup("nav.group.analytics", (NavItem("nav.screen", "/screen", Perm.analytics_read, "chart"),)),
)


def nav_for(who: Principal) -> list[NavGroup]:
    """The groups and items this role may use; future domains stay visible but disabled."""
    out: list[NavGroup] = []
    for group in NAV:
        items = tuple(i for i in group.items if i.perm is None or who.can(i.perm))
        if items:
            out.append(NavGroup(group.key, items))
    return out
