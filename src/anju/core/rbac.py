"""Roles and what each may do. Scoping (which rows) lives in repositories."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    platform_admin = "platform_admin"
    property_manager = "property_manager"
    property_staff = "property_staff"  # staff and technicians
    guard = "guard"  # guards and the control room
    grid_worker = "grid_worker"
    resident = "resident"  # owner, tenant or family; the household link says which
    committee_member = "committee_member"  # owners' committee
    gov_viewer = "gov_viewer"  # street office: aggregates only


class Perm(StrEnum):
    registry_read = "registry.read"  # compounds, buildings, units, houses
    registry_write = "registry.write"
    people_read = "people.read"  # residents, masked
    people_write = "people.write"
    people_unmask = "people.unmask"  # full phone / ID number, audited
    roster_import = "roster.import"
    roster_export = "roster.export"
    vehicles_read = "vehicles.read"
    analytics_read = "analytics.read"  # aggregates
    audit_read = "audit.read"
    privacy_manage = "privacy.manage"  # handle data-subject requests
    users_manage = "users.manage"
    devices_manage = "devices.manage"
    devices_read = "devices.read"  # device list, states, site plan markers
    devices_command = "devices.command"  # mute a smoke alarm, cut a charger, open a door
    alarms_read = "alarms.read"
    alarms_handle = "alarms.handle"  # acknowledge, dispatch, resolve, false alarm, review (R-A4)
    system_read = "system.read"  # outbox, jobs
    access_read = "access.read"  # access points, terminals, access log (masked)
    access_manage = "access.manage"  # points, terminals, cards, PIA, blacklist, grants
    access_remote_open = "access.remote_open"  # open a door remotely, with a logged reason
    visitors_manage = "visitors.manage"  # guard desk: walk-ins, passes for any house
    self_service = "self.service"  # my household, my data
    # work orders, grids, patrols, facilities (issue 5)
    workorders_read = "workorders.read"
    workorders_dispatch = "workorders.dispatch"  # dispatch, transfer, escalate, close, SLA settings
    workorders_work = "workorders.work"  # technician / grid worker: grab, arrive, complete own orders
    patrol_read = "patrol.read"
    patrol_manage = "patrol.manage"  # routes, checkpoints, schedules
    patrol_checkin = "patrol.checkin"  # scan a checkpoint, shift handover
    facilities_read = "facilities.read"
    facilities_manage = "facilities.manage"  # equipment, maintenance plans, inspections
    # governance and fees (issue 6)
    notices_manage = "notices.manage"  # publish notices, surveys, emergency broadcasts
    votes_read = "votes.read"  # live participation, results
    votes_manage = "votes.manage"  # vote set-up, paper ballots, proxies, 公示
    fees_read = "fees.read"  # bills, payments, arrears (staff)
    fees_manage = "fees.manage"  # fee items, billing runs, refunds, common-income ledger
    fees_collect = "fees.collect"  # the staffed counter: cash/card payments, receipts


_STAFF_READ = {Perm.registry_read, Perm.people_read, Perm.vehicles_read, Perm.analytics_read}

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.platform_admin: frozenset(Perm) - {Perm.self_service},
    Role.property_manager: frozenset(
        _STAFF_READ
        | {
            Perm.registry_write,
            Perm.people_write,
            Perm.people_unmask,
            Perm.roster_import,
            Perm.roster_export,
            Perm.audit_read,
            Perm.privacy_manage,
            Perm.users_manage,
            Perm.devices_manage,
            Perm.devices_read,
            Perm.devices_command,
            Perm.alarms_read,
            Perm.alarms_handle,
            Perm.access_read,
            Perm.access_manage,
            Perm.access_remote_open,
            Perm.visitors_manage,
            Perm.workorders_read,
            Perm.workorders_dispatch,
            Perm.workorders_work,
            Perm.patrol_read,
            Perm.patrol_manage,
            Perm.facilities_read,
            Perm.facilities_manage,
            Perm.notices_manage,
            Perm.votes_read,
            Perm.votes_manage,
            Perm.fees_read,
            Perm.fees_manage,
            Perm.fees_collect,
        }
    ),
    Role.property_staff: frozenset(
        _STAFF_READ
        | {
            Perm.people_write,
            Perm.registry_write,
            Perm.devices_read,
            Perm.devices_command,
            Perm.alarms_read,
            Perm.alarms_handle,
            Perm.access_read,
            Perm.workorders_read,
            Perm.workorders_dispatch,
            Perm.workorders_work,
            Perm.patrol_read,
            Perm.facilities_read,
            Perm.facilities_manage,
            Perm.fees_read,
            Perm.fees_collect,
        }
    ),
    # Guards and the control room handle alarms and send device commands.
    Role.guard: frozenset(
        _STAFF_READ
        | {
            Perm.devices_read,
            Perm.devices_command,
            Perm.alarms_read,
            Perm.alarms_handle,
            Perm.access_read,
            Perm.access_remote_open,
            Perm.visitors_manage,
            Perm.workorders_read,
            Perm.patrol_read,
            Perm.patrol_checkin,
        }
    ),
    Role.grid_worker: frozenset(
        _STAFF_READ
        | {Perm.devices_read, Perm.alarms_read, Perm.workorders_read, Perm.workorders_work, Perm.patrol_read}
    ),
    # The owners' committee sets up votes and publishes notices; it sees bills only as aggregates.
    Role.committee_member: frozenset(
        {
            Perm.registry_read,
            Perm.analytics_read,
            Perm.self_service,
            Perm.votes_read,
            Perm.votes_manage,
            Perm.notices_manage,
        }
    ),
    Role.resident: frozenset({Perm.self_service}),
    Role.gov_viewer: frozenset({Perm.analytics_read}),
}

STAFF_ROLES = frozenset({Role.platform_admin, Role.property_manager, Role.property_staff, Role.guard, Role.grid_worker})


def allowed(role: Role, perm: Perm) -> bool:
    return perm in ROLE_PERMS[role]
