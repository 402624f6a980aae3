"""Where each role lands, and the console's left navigation filtered by permission."""

from __future__ import annotations

from dataclasses import dataclass

from anju.access.permissions import AccessPerm
from anju.accounts.permissions import AccountsPerm
from anju.alarms.permissions import AlarmsPerm
from anju.analytics.permissions import AnalyticsPerm
from anju.care.permissions import CarePerm
from anju.charging.permissions import ChargingPerm
from anju.core.auth import Principal
from anju.core.rbac import KernelPerm, Permission, Role
from anju.decoration.permissions import DecorationPerm
from anju.devices.permissions import DevicesPerm
from anju.emergency.permissions import EmergencyPerm
from anju.facilities.permissions import FacilitiesPerm
from anju.fees.permissions import FeesPerm
from anju.governance.permissions import VotesPerm
from anju.notices.permissions import NoticesPerm
from anju.parking.permissions import ParkingPerm
from anju.patrol.permissions import PatrolPerm
from anju.privacy.permissions import PrivacyPerm
from anju.registry.permissions import RegistryPerm
from anju.video.permissions import VideoPerm
from anju.volunteers.permissions import VolunteersPerm
from anju.workorders.permissions import WorkOrdersPerm

H5_ROLES = frozenset({Role.resident, Role.committee_member})


# Each role lands where it works (issue 11 item 7). Grid workers have no grid page: their work list is
# the orders they work on, like a technician's.
ROLE_HOMES = {
    Role.guard: "/console/access",  # the gate desk
    Role.property_staff: "/console/my-tasks",
    Role.technician: "/field",  # the phone pages: my tasks
    Role.grid_worker: "/console/my-tasks",
}


def home_for(who: Principal) -> str:
    """The page a role lands on after signing in."""
    if who.role in H5_ROLES:
        return "/h5"
    if who.role == Role.gov_viewer:
        return "/screen"
    return ROLE_HOMES.get(who.role, "/console")


@dataclass(frozen=True)
class NavItem:
    key: str  # i18n key, also the page id used to highlight the current item
    href: str
    perm: Permission | None  # None: a future domain, shown disabled
    icon: str


@dataclass(frozen=True)
class NavGroup:
    key: str
    items: tuple[NavItem, ...]


NAV: tuple[NavGroup, ...] = (
    NavGroup(
        "nav.group.registry",
        (
            NavItem("nav.compounds", "/console/compounds", RegistryPerm.read, "layout"),
            NavItem("nav.structure", "/console/structure", RegistryPerm.structure, "layout"),
            NavItem("nav.houses", "/console/houses", RegistryPerm.read, "home"),
            NavItem("nav.residents", "/console/residents", RegistryPerm.people_read, "users"),
            NavItem("nav.vehicles", "/console/vehicles", RegistryPerm.vehicles_read, "car"),
        ),
    ),
    NavGroup("nav.group.import", (NavItem("nav.import", "/console/import", RegistryPerm.roster_import, "upload"),)),
    NavGroup(
        "nav.group.accounts",
        (
            NavItem("nav.users", "/console/users", AccountsPerm.users_manage, "users"),
            NavItem("nav.organisations", "/console/organisations", AccountsPerm.users_manage, "layout"),
            NavItem("nav.claims", "/console/claims", AccountsPerm.claims_verify, "check"),
        ),
    ),
    NavGroup(
        "nav.group.privacy",
        (
            NavItem("nav.privacy", "/console/privacy", PrivacyPerm.manage, "shield"),
            NavItem("nav.audit", "/console/audit", KernelPerm.audit_read, "log"),
        ),
    ),
    NavGroup(
        "nav.group.security",
        (
            NavItem("nav.control_room", "/console/alarms", AlarmsPerm.read, "bell"),
            NavItem("nav.devices", "/console/devices", DevicesPerm.read, "chip"),
            NavItem("nav.device_setup", "/console/device-setup", DevicesPerm.manage, "chip"),
            NavItem("nav.guard_desk", "/console/access", AccessPerm.read, "door"),
            NavItem("nav.access_setup", "/console/access-setup", AccessPerm.manage, "door"),
            NavItem("nav.patrol", "/console/patrol", PatrolPerm.read, "route"),
            NavItem("nav.emergency", "/console/emergency", EmergencyPerm.read, "shield"),
            NavItem("nav.parking", "/console/parking", ParkingPerm.read, "car"),
            NavItem("nav.video", "/console/video", VideoPerm.read, "chip"),
        ),
    ),
    NavGroup(
        "nav.group.service",
        (
            NavItem("nav.workorders", "/console/workorders", WorkOrdersPerm.read, "wrench"),
            NavItem("nav.my_tasks", "/console/my-tasks", WorkOrdersPerm.work, "check"),
            NavItem("nav.field", "/field", WorkOrdersPerm.read, "check"),  # the staff phone pages (issue 17)
            NavItem("nav.facilities", "/console/facilities", FacilitiesPerm.read, "tool"),
            NavItem("nav.fees", "/console/fees", FeesPerm.read, "coin"),
            NavItem("nav.decoration", "/console/decoration", DecorationPerm.read, "tool"),
            NavItem("nav.charging", "/console/charging", ChargingPerm.read, "chip"),
            NavItem("nav.volunteers", "/console/volunteers", VolunteersPerm.read, "users"),
            NavItem("nav.safety_committee", "/console/safety-committee", VolunteersPerm.read, "shield"),
            NavItem("nav.safety_education", "/console/safety-education", VolunteersPerm.read, "megaphone"),
            NavItem("nav.notices", "/console/notices", NoticesPerm.manage, "megaphone"),
            NavItem("nav.evaluation", "/console/evaluation", NoticesPerm.manage, "check"),
            NavItem("nav.care", "/console/care", CarePerm.read, "users"),
            NavItem("nav.votes", "/console/votes", VotesPerm.read, "vote"),
        ),
    ),
    NavGroup(
        "nav.group.analytics",
        (
            NavItem("nav.screen", "/screen", AnalyticsPerm.read, "chart"),
            NavItem("nav.reports", "/console/reports", AnalyticsPerm.read, "log"),
        ),
    ),
)


def nav_for(who: Principal) -> list[NavGroup]:
    """The groups and items this role may use; future domains stay visible but disabled."""
    out: list[NavGroup] = []
    for group in NAV:
        items = tuple(i for i in group.items if i.perm is None or who.can(i.perm))
        if items:
            out.append(NavGroup(group.key, items))
    return out
