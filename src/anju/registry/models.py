"""Registry tables: organisation → compound → building → unit → house; people and their links."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from anju.core.db import Base, UTCDateTime
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin
from anju.registry.enums import (
    AreaSource,
    Gender,
    HouseStatus,
    OccupancyRole,
    OrganisationKind,
    PersonStatus,
    PersonTagKind,
    PopulationType,
    VehicleClass,
)


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class Organisation(TimestampedMixin, Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[OrganisationKind] = mapped_column(_enum(OrganisationKind))


class Compound(TimestampedMixin, Base):
    __tablename__ = "compound"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(255))
    district: Mapped[str | None] = mapped_column(String(64))
    property_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    street_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Site plan: width/height and one shape per building, in plan units.
    site_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    service_grade: Mapped[int] = mapped_column(Integer, default=1)


class Building(CompoundScopedMixin, TimestampedMixin, Base):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("compound_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16))  # "3"
    name: Mapped[str] = mapped_column(String(64))  # "3号楼"
    floors: Mapped[int] = mapped_column(Integer)
    plan_x: Mapped[int | None] = mapped_column(Integer)
    plan_y: Mapped[int | None] = mapped_column(Integer)


class Unit(CompoundScopedMixin, TimestampedMixin, Base):
    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("building_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))  # "1"
    floors: Mapped[int] = mapped_column(Integer)
    building: Mapped[Building] = relationship(lazy="raise")


class House(CompoundScopedMixin, TimestampedMixin, Base):
    __tablename__ = "house"
    __table_args__ = (UniqueConstraint("compound_id", "label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    floor: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))  # "0802"
    label: Mapped[str] = mapped_column(String(32))  # "3-1-0802"
    registered_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    surveyed_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    contract_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    status: Mapped[HouseStatus] = mapped_column(_enum(HouseStatus), default=HouseStatus.vacant)
    unit: Mapped[Unit] = relationship(lazy="raise")

    @property
    def exclusive_area(self) -> tuple[Decimal | None, AreaSource | None]:
        """Registered, else surveyed, else contract area (R-V7)."""
        for source, value in (
            (AreaSource.registered, self.registered_area),
            (AreaSource.surveyed, self.surveyed_area),
            (AreaSource.contract, self.contract_area),
        ):
            if value is not None:
                return Decimal(value), source
        return None, None


class Person(CompoundScopedMixin, TimestampedMixin, Base):
    """A resident or owner. Phone and ID number are stored only encrypted."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("compound_id", "id_number_bidx"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[Gender | None] = mapped_column(_enum(Gender))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_bidx: Mapped[str | None] = mapped_column(String(32))
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    population_type: Mapped[PopulationType] = mapped_column(_enum(PopulationType), default=PopulationType.registered)
    status: Mapped[PersonStatus] = mapped_column(_enum(PersonStatus), default=PersonStatus.active)
    # A person flagged as frozen may only be stored, not used (R-P4).
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tags: Mapped[list[PersonTag]] = relationship(lazy="raise", cascade="all, delete-orphan")
    contacts: Mapped[list[EmergencyContact]] = relationship(lazy="raise", cascade="all, delete-orphan")


class PersonTag(Base):
    __tablename__ = "person_tag"
    __table_args__ = (UniqueConstraint("person_id", "tag"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    tag: Mapped[PersonTagKind] = mapped_column(_enum(PersonTagKind), index=True)


class EmergencyContact(Base):
    __tablename__ = "emergency_contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(32))


class Occupancy(CompoundScopedMixin, TimestampedMixin, Base):
    """A person's link to a house; ended, never deleted."""

    __tablename__ = "occupancy"
    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[OccupancyRole] = mapped_column(_enum(OccupancyRole))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date, index=True)
    lease_end: Mapped[date | None] = mapped_column(Date)
    house: Mapped[House] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")


class Vehicle(CompoundScopedMixin, TimestampedMixin, Base):
    __tablename__ = "vehicle"
    __table_args__ = (UniqueConstraint("compound_id", "plate"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16))
    vehicle_class: Mapped[VehicleClass] = mapped_column(_enum(VehicleClass))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class Grid(CompoundScopedMixin, TimestampedMixin, Base):
    """A grid (网格): a set of buildings looked after by grid workers."""

    __tablename__ = "grid"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))


class GridBuilding(Base):
    __tablename__ = "grid_building"
    __table_args__ = (UniqueConstraint("building_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
