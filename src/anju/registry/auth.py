"""Registry dependencies: who may read or write what (rows are scoped in the repository)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.errors import Forbidden
from anju.registry.permissions import RegistryPerm


def _people_reader(who: CurrentPrincipal) -> Principal:
    # Residents may read their own household's members; government users only aggregates.
    if not (who.can(RegistryPerm.people_read) or who.can(RegistryPerm.self_service)):
        raise Forbidden("this role sees aggregates only", zh="该角色仅可查看统计数据")
    return who


def _house_reader(who: CurrentPrincipal) -> Principal:
    if not (who.can(RegistryPerm.read) or who.can(RegistryPerm.self_service)):
        raise Forbidden("this role sees aggregates only", zh="该角色仅可查看统计数据")
    return who


def _vehicle_list_reader(who: CurrentPrincipal) -> Principal:
    # The gate reads plates without the roster; residents their own household's cars; technicians none.
    if not (who.can(RegistryPerm.vehicles_read) or who.can(RegistryPerm.self_service)):
        raise Forbidden("this role does not read vehicles", zh="该角色无权查看车辆")
    return who


PeopleReader = Annotated[Principal, Depends(_people_reader)]
VehicleListReader = Annotated[Principal, Depends(_vehicle_list_reader)]
HouseReader = Annotated[Principal, Depends(_house_reader)]
PeopleWriter = Annotated[Principal, requires(RegistryPerm.people_write)]
RegistryReader = Annotated[Principal, requires(RegistryPerm.read)]
RegistryWriter = Annotated[Principal, requires(RegistryPerm.write)]
Unmasker = Annotated[Principal, requires(RegistryPerm.people_unmask)]
VehicleReader = Annotated[Principal, requires(RegistryPerm.vehicles_read)]
