"""Registry enumerations (stored as strings, portable across databases)."""

from enum import StrEnum


class OrganisationKind(StrEnum):
    property_company = "property_company"
    street_office = "street_office"
    developer = "developer"


class HouseStatus(StrEnum):
    self_occupied = "self_occupied"
    rented = "rented"
    vacant = "vacant"
    developer_unsold = "developer_unsold"


class AreaSource(StrEnum):
    registered = "registered"
    surveyed = "surveyed"
    contract = "contract"


class OccupancyRole(StrEnum):
    owner = "owner"
    co_owner = "co_owner"
    family = "family"
    tenant = "tenant"


class PopulationType(StrEnum):
    registered = "registered"  # 户籍人口
    floating = "floating"  # 流动人口


class PersonTagKind(StrEnum):
    elderly_alone = "elderly_alone"
    disabled = "disabled"
    minor = "minor"
    special_care = "special_care"


class PersonStatus(StrEnum):
    active = "active"
    moved_out = "moved_out"
    erased = "erased"  # personal data deleted on request (R-P4)


class VehicleClass(StrEnum):
    car = "car"
    new_energy = "new_energy"
    motorcycle = "motorcycle"
    truck = "truck"


class Gender(StrEnum):
    male = "male"
    female = "female"
