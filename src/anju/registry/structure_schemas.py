"""Compound structure input: compound edits, single buildings/units/houses, and the structure generator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator, model_validator

from anju.core.schemas import InSchema, Schema
from anju.registry.enums import AreaSource

DEFAULT_PATTERN = "{b}-{u}-{f:02d}{n:02d}"


SITE_METRES_PER_UNIT = 0.5  # site-plan units to metres when the plan does not say ("metres_per_unit")


def metres_per_unit(site_plan: dict[str, Any] | None) -> float:
    """The site plan's scale: its "metres_per_unit" when it has one, else SITE_METRES_PER_UNIT."""
    value = (site_plan or {}).get("metres_per_unit")
    return float(value) if isinstance(value, int | float) and value > 0 else SITE_METRES_PER_UNIT


def _check_site_plan(plan: dict[str, Any] | None) -> dict[str, Any] | None:
    """A site plan is {width, height, gates?: [{name,x,y}], buildings?: [{building,x,y,w,h}], metres_per_unit?,
    path_width_m?}, all small numbers."""
    if plan is None:
        return None
    for key in ("width", "height"):
        v = plan.get(key)
        if not isinstance(v, int) or not 100 <= v <= 20000:
            raise ValueError(f"site plan {key} must be a whole number from 100 to 20000")
    for kind, keys in (("gates", ("x", "y")), ("buildings", ("x", "y", "w", "h"))):
        items = plan.get(kind, [])
        if not isinstance(items, list) or len(items) > 500:
            raise ValueError(f"site plan {kind} must be a list (at most 500)")
        for item in items:
            if not isinstance(item, dict) or any(not isinstance(item.get(k), int) for k in keys):
                raise ValueError(f"each of the site plan's {kind} needs whole numbers {', '.join(keys)}")
    # The plan's scale and the width of its footpaths, read by the evacuation estimate and the cameras' view.
    for key, low, high in (("metres_per_unit", 0.01, 100), ("path_width_m", 0.5, 50)):
        v = plan.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high):
            raise ValueError(f"site plan {key} must be a number from {low} to {high}")
    unknown = set(plan) - {"width", "height", "gates", "buildings", "metres_per_unit", "path_width_m"}
    if unknown:
        raise ValueError(f"unknown site plan keys: {', '.join(sorted(unknown))}")
    return plan


class CompoundUpdate(InSchema):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    address: str | None = Field(default=None, min_length=1, max_length=255)
    district: str | None = Field(default=None, max_length=64)
    property_org_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    street_org_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    service_grade: int | None = Field(default=None, ge=1, le=3)
    site_plan: dict[str, Any] | None = None

    _v_plan = field_validator("site_plan")(_check_site_plan)


class BuildingCreate(InSchema):
    number: str = Field(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z\-]+$")
    name: str | None = Field(default=None, max_length=64)
    floors: int = Field(ge=1, le=120)
    plan_x: int | None = Field(default=None, ge=0, le=20000)
    plan_y: int | None = Field(default=None, ge=0, le=20000)


class UnitCreate(InSchema):
    number: str = Field(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z\-]+$")
    floors: int = Field(ge=1, le=120)


class HouseCreate(InSchema):
    floor: int = Field(ge=-5, le=120)
    number: str = Field(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z\-]+$")
    label: str | None = Field(default=None, min_length=1, max_length=32)
    registered_area: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    surveyed_area: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    contract_area: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)


class GeneratorSpec(InSchema):
    """ "Buildings 1–15, 2 units each, floors 1–18, 4 houses per floor": one step, with a preview."""

    buildings_from: int = Field(ge=1, le=999)
    buildings_to: int = Field(ge=1, le=999)
    units: int = Field(ge=1, le=20, description="units per building")
    floors_from: int = Field(default=1, ge=-5, le=120)
    floors_to: int = Field(ge=-5, le=120)
    houses_per_floor: int = Field(ge=1, le=50)
    label_pattern: str = Field(
        default=DEFAULT_PATTERN,
        min_length=1,
        max_length=64,
        description="Python format fields {b} building, {u} unit, {f} floor, {n} house on the floor",
    )
    areas: dict[int, Decimal] = Field(
        default_factory=dict,
        description="area per house type: the house's position on its floor (1…houses_per_floor) → m²",
    )
    area_source: AreaSource = AreaSource.surveyed
    confirm: bool = Field(default=False, description="required above the confirmation limit")

    @model_validator(mode="after")
    def _ranges(self) -> GeneratorSpec:
        if self.buildings_to < self.buildings_from:
            raise ValueError("buildings_to is before buildings_from")
        if self.floors_to < self.floors_from:
            raise ValueError("floors_to is before floors_from")
        for n, area in self.areas.items():
            if not 1 <= n <= self.houses_per_floor:
                raise ValueError(f"area given for house type {n}, outside 1…{self.houses_per_floor}")
            if area <= 0 or area >= Decimal("100000"):
                raise ValueError(f"area of house type {n} must be above 0 and below 100000 m²")
        return self

    @property
    def house_count(self) -> int:
        floors = len([f for f in range(self.floors_from, self.floors_to + 1) if f != 0])
        return (self.buildings_to - self.buildings_from + 1) * self.units * floors * self.houses_per_floor


class GeneratorPreview(Schema):
    buildings: int
    units: int
    houses: int
    sample_labels: list[str]
    last_label: str
    needs_confirmation: bool
    confirmation_limit: int
    created: bool = False


class HouseImportReport(Schema):
    """The house import's row-by-row report, the roster import's shape."""

    total_rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    committed: bool = False
    dry_run: bool = False
    errors: list[Any] = Field(default_factory=list)
    ignored_columns: list[str] = Field(default_factory=list)
