"""Registry request and response shapes."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from anju.core.schemas import InSchema, Schema
from anju.registry.enums import (
    AreaSource,
    Gender,
    HouseStatus,
    OccupancyRole,
    PersonStatus,
    PersonTagKind,
    PopulationType,
    VehicleClass,
)

if TYPE_CHECKING:
    from anju.registry.models import House

# ASCII digits only: Python's \d also matches other scripts' digits. Input is NFKC-normalised
# first, so full-width digits typed with a Chinese IME become ASCII (and dedupe correctly).
PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
PLATE_RE = re.compile(r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(id_number: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    if not ID_RE.match(id_number):
        return False
    total = sum(int(c) * w for c, w in zip(id_number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == id_number[17]


def id_check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_phone(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    v = unicodedata.normalize("NFKC", v).replace(" ", "").replace("-", "")
    if not PHONE_RE.match(v):
        raise ValueError("phone must be an 11-digit mainland mobile number / 手机号须为11位")
    return v


def validate_id_number(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    v = unicodedata.normalize("NFKC", v).strip().upper()
    if not id_checksum_ok(v):
        raise ValueError("invalid ID number (format or check digit) / 身份证号格式或校验位错误")
    return v


def validate_plate(v: str) -> str:
    v = unicodedata.normalize("NFKC", v).replace("·", "").replace(" ", "").upper()
    if not PLATE_RE.match(v):
        raise ValueError("invalid plate number / 车牌号格式错误")
    return v


class CompoundRead(Schema):
    id: int
    code: str
    name: str
    address: str
    district: str | None
    service_grade: int


class CompoundCreate(InSchema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    address: str = Field(min_length=1, max_length=255)
    district: str | None = Field(default=None, max_length=64)
    property_org_id: int | None = None
    street_org_id: int | None = None
    service_grade: int = Field(default=1, ge=1, le=3)


class UnitNode(Schema):
    id: int
    number: str
    floors: int
    houses: int
    occupied: int


class BuildingNode(Schema):
    id: int
    number: str
    name: str
    floors: int
    units: list[UnitNode]


class CompoundTree(Schema):
    compound: CompoundRead
    site_plan: dict[str, Any] | None
    buildings: list[BuildingNode]


class BuildingRead(Schema):
    id: int
    compound_id: int
    number: str
    name: str
    floors: int


class HouseRead(Schema):
    id: int
    compound_id: int
    building_id: int
    unit_id: int
    floor: int
    number: str
    label: str
    status: HouseStatus
    registered_area: Decimal | None
    surveyed_area: Decimal | None
    contract_area: Decimal | None
    exclusive_area: Decimal | None
    area_source: AreaSource | None


class HouseUpdate(InSchema):
    status: HouseStatus | None = None
    registered_area: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    surveyed_area: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    contract_area: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)


class EmergencyContactIn(InSchema):
    name: str = Field(min_length=1, max_length=64)
    relation: str = Field(min_length=1, max_length=32)
    phone: str | None = None
    _v_phone = field_validator("phone")(validate_phone)


class EmergencyContactRead(Schema):
    name: str
    relation: str
    phone_masked: str | None


class OccupancyRead(Schema):
    id: int
    house_id: int
    house_label: str
    person_id: int
    role: OccupancyRole
    started_on: date
    ended_on: date | None
    lease_end: date | None


class PersonRead(Schema):
    """A person as staff see them: phone and ID number masked (R-P6)."""

    id: int
    compound_id: int
    name: str
    gender: Gender | None
    birth_date: date | None
    phone_masked: str | None
    id_number_masked: str | None
    population_type: PopulationType
    status: PersonStatus
    tags: list[PersonTagKind]
    houses: list[str] = []


class PersonDetail(PersonRead):
    contacts: list[EmergencyContactRead]
    occupancies: list[OccupancyRead]


class PersonCreate(InSchema):
    compound_id: int
    name: str = Field(min_length=1, max_length=64)
    gender: Gender | None = None
    birth_date: date | None = None
    phone: str | None = None
    id_number: str | None = None
    population_type: PopulationType = PopulationType.registered
    tags: list[PersonTagKind] = []
    contacts: list[EmergencyContactIn] = Field(default=[], max_length=5)
    _v_phone = field_validator("phone")(validate_phone)
    _v_id = field_validator("id_number")(validate_id_number)


class PersonUpdate(InSchema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    gender: Gender | None = None
    birth_date: date | None = None
    phone: str | None = None
    id_number: str | None = None
    population_type: PopulationType | None = None
    tags: list[PersonTagKind] | None = None
    contacts: list[EmergencyContactIn] | None = Field(default=None, max_length=5)
    _v_phone = field_validator("phone")(validate_phone)
    _v_id = field_validator("id_number")(validate_id_number)


class RevealRequest(InSchema):
    field: str = Field(pattern="^(phone|id_number)$")
    reason: str = Field(min_length=2, max_length=255)


class RevealResult(Schema):
    person_id: int
    field: str
    value: str | None


class MoveIn(InSchema):
    person_id: int | None = Field(default=None, description="an existing person; else give `person`")
    person: PersonCreate | None = None
    role: OccupancyRole
    on: date
    lease_end: date | None = None


class MoveOut(InSchema):
    person_ids: list[int] | None = Field(default=None, description="omit to move out everyone")
    on: date
    reason: str = Field(default="move-out", max_length=255)


class VehicleRead(Schema):
    id: int
    compound_id: int
    plate: str
    vehicle_class: VehicleClass
    house_id: int | None
    person_id: int | None
    active: bool


class VehicleCreate(InSchema):
    compound_id: int
    plate: str
    vehicle_class: VehicleClass = VehicleClass.car
    house_id: int | None = None
    person_id: int | None = None
    _v_plate = field_validator("plate")(validate_plate)


class GridRead(Schema):
    id: int
    compound_id: int
    name: str
    building_ids: list[int]


class HouseholdMember(Schema):
    person_id: int
    name: str
    role: OccupancyRole
    phone_masked: str | None
    tags: list[PersonTagKind]


class Household(Schema):
    house: HouseRead
    members: list[HouseholdMember]
    vehicles: list[VehicleRead]


def house_read(h: House) -> HouseRead:
    """A house as the API and the pages show it (with its exclusive area and where that figure came from)."""
    area, source = h.exclusive_area
    return HouseRead(
        id=h.id,
        compound_id=h.compound_id,
        building_id=h.building_id,
        unit_id=h.unit_id,
        floor=h.floor,
        number=h.number,
        label=h.label,
        status=h.status,
        registered_area=h.registered_area,
        surveyed_area=h.surveyed_area,
        contract_area=h.contract_area,
        exclusive_area=area,
        area_source=source,
    )
