"""Permissions the registry domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class RegistryPerm:
    """Who may do what in registry; roles listed per permission (platform admins hold each)."""

    read = declare(
        "registry.read",
        roles=(
            Role.property_manager,
            Role.property_staff,
            Role.technician,
            Role.guard,
            Role.grid_worker,
            Role.committee_member,
        ),
    )  # compounds, buildings, units, houses (the people in them need people.read)
    write = declare("registry.write", roles=(Role.property_manager, Role.property_staff))
    # The roster, masked. Not guards or technicians (issue 17 item 5, minimum necessary): the gate desk works
    # from houses, passes and plates; a technician sees only the household of an order assigned to them.
    people_read = declare("people.read", roles=(Role.property_manager, Role.property_staff, Role.grid_worker))
    people_write = declare("people.write", roles=(Role.property_manager, Role.property_staff))
    people_unmask = declare("people.unmask", roles=(Role.property_manager,))  # full phone / ID number, audited
    # buildings, units and houses, one at a time or generated (issue 11 item 3); a new compound: admins only
    structure = declare("registry.structure", roles=(Role.property_manager,))
    compound_create = declare("compound.create", roles=())
    roster_import = declare("roster.import", roles=(Role.property_manager,))
    roster_export = declare("roster.export", roles=(Role.property_manager,))
    # my household, my data: residents and committee members, never a platform admin
    self_service = declare("self.service", roles=(Role.resident, Role.committee_member), admin=False)
    vehicles_read = declare(
        "vehicles.read", roles=(Role.property_manager, Role.property_staff, Role.guard, Role.grid_worker)
    )
