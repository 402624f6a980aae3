"""Compound structure: create and edit a compound, its buildings, units and houses, and the generator
that lays out a whole compound in one step (issue 11 item 3).

A label clash or a bad pattern is refused before anything is written; the caller's boundary commits.
Editing a house's area while a vote is open is refused: the electorate is frozen. The registry may not
import governance, so governance registers the question ("is a vote open for this compound?") at start-up.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from anju.core.audit import record_change
from anju.core.auth import Principal
from anju.core.errors import Conflict, Invalid, NotFound
from anju.registry.enums import AreaSource, HouseStatus, OrganisationKind
from anju.registry.models import Building, Compound, House, Organisation, Unit
from anju.registry.permissions import RegistryPerm
from anju.registry.schemas import CompoundCreate
from anju.registry.structure_schemas import (
    BuildingCreate,
    CompoundUpdate,
    GeneratorPreview,
    GeneratorSpec,
    HouseCreate,
    UnitCreate,
)

CONFIRM_ABOVE = 20_000  # houses: a larger generation needs confirm=true
HARD_MAX = 200_000  # houses in one generation, confirmed or not
LABEL_MAX = 32
_FIELDS = {"b", "u", "f", "n"}
_AREA_COLUMN = {
    AreaSource.registered: "registered_area",
    AreaSource.surveyed: "surveyed_area",
    AreaSource.contract: "contract_area",
}

# --- the frozen electorate ----------------------------------------------------------------------------------

VoteOpenCheck = Callable[[Session, int], bool]
_vote_open_checks: list[VoteOpenCheck] = []


def register_vote_open_check(check: VoteOpenCheck) -> None:
    """Governance tells the registry whether a vote is open for a compound (registered at start-up)."""
    if check not in _vote_open_checks:
        _vote_open_checks.append(check)


def refuse_area_change_during_vote(session: Session, compound_id: int) -> None:
    """409 when a vote of the compound is open: its electorate (and the owners' areas) is frozen (R-V7)."""
    if not _vote_open_checks:  # fail closed: never change areas without the governance rule in place
        raise RuntimeError("no vote-open check registered: call anju.startup.register_all() at start-up")
    if any(check(session, compound_id) for check in _vote_open_checks):
        raise Conflict(
            "a vote is open in this compound: house areas are frozen until it is counted",
            zh="本小区有进行中的表决，计票完成前不能修改房屋面积",
            fields=[{"field": "area", "message": "electorate frozen"}],
        )


# --- compounds --------------------------------------------------------------------------------------------


def _snapshot(c: Compound) -> dict[str, Any]:
    return {
        "code": c.code,
        "name": c.name,
        "address": c.address,
        "district": c.district,
        "property_org_id": c.property_org_id,
        "street_org_id": c.street_org_id,
        "service_grade": c.service_grade,
        "site_plan_buildings": len((c.site_plan or {}).get("buildings", [])),
    }


def _check_org(session: Session, org_id: int | None, kind: OrganisationKind, field: str) -> None:
    if org_id is None:
        return
    org = session.get(Organisation, org_id)
    if org is None or org.kind != kind:
        zh = "物业公司" if kind == OrganisationKind.property_company else "街道办"
        raise Invalid(
            f"{field}: no {kind.value} with id {org_id}",
            zh=f"未找到该{zh}",
            fields=[{"field": field, "message": f"not a {kind.value}"}],
        )


def _require_structure(who: Principal | None, compound_id: int | None) -> None:
    if who is None:
        return
    who.require(RegistryPerm.structure)
    if compound_id is not None and not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")


class StructureService:
    def create_compound(self, session: Session, *, who: Principal | None, data: CompoundCreate) -> Compound:
        """A new compound (platform admins); its code is unique."""
        if who is not None:
            who.require(RegistryPerm.compound_create)
        if session.execute(select(Compound.id).where(Compound.code == data.code)).first():
            raise Conflict(
                f"compound code {data.code} exists",
                zh="小区编码已存在",
                fields=[{"field": "code", "message": "duplicate"}],
            )
        _check_org(session, data.property_org_id, OrganisationKind.property_company, "property_org_id")
        _check_org(session, data.street_org_id, OrganisationKind.street_office, "street_org_id")
        c = Compound(**data.model_dump())
        session.add(c)
        session.flush()
        record_change(
            session,
            user_id=who.user_id if who else None,
            compound_id=c.id,
            entity="compound",
            entity_id=c.id,
            action="create",
            before=None,
            after=_snapshot(c),
        )
        return c

    def get(self, session: Session, *, who: Principal | None, compound_id: int) -> Compound:
        c = session.get(Compound, compound_id)
        if c is None or (who is not None and not who.in_scope(compound_id)):
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
        return c

    def update_compound(
        self, session: Session, *, who: Principal | None, compound: Compound, data: CompoundUpdate
    ) -> Compound:
        _require_structure(who, compound.id)
        fields = data.model_fields_set
        if "property_org_id" in fields:
            _check_org(session, data.property_org_id, OrganisationKind.property_company, "property_org_id")
        if "street_org_id" in fields:
            _check_org(session, data.street_org_id, OrganisationKind.street_office, "street_org_id")
        before = _snapshot(compound)
        for name in fields:
            value = getattr(data, name)
            if value is None and name in ("name", "address", "service_grade"):
                continue  # required columns: None means "leave as it is"
            setattr(compound, name, value)
        session.flush()
        record_change(
            session,
            user_id=who.user_id if who else None,
            compound_id=compound.id,
            entity="compound",
            entity_id=compound.id,
            action="update",
            before=before,
            after=_snapshot(compound),
        )
        return compound

    # --- one at a time ------------------------------------------------------------------------------------

    def add_building(
        self, session: Session, *, who: Principal | None, compound: Compound, data: BuildingCreate
    ) -> Building:
        _require_structure(who, compound.id)
        exists = session.execute(
            select(Building.id).where(Building.compound_id == compound.id, Building.number == data.number)
        ).first()
        if exists:
            raise Conflict(
                f"building {data.number} already exists",
                zh=f"{data.number}号楼已存在",
                fields=[{"field": "number", "message": "duplicate"}],
            )
        b = Building(
            compound_id=compound.id,
            number=data.number,
            name=data.name or f"{data.number}号楼",
            floors=data.floors,
            plan_x=data.plan_x,
            plan_y=data.plan_y,
        )
        session.add(b)
        session.flush()
        self._record(session, who, compound.id, "building", b.id, {"number": b.number, "floors": b.floors})
        return b

    def add_unit(self, session: Session, *, who: Principal | None, building: Building, data: UnitCreate) -> Unit:
        _require_structure(who, building.compound_id)
        exists = session.execute(
            select(Unit.id).where(Unit.building_id == building.id, Unit.number == data.number)
        ).first()
        if exists:
            raise Conflict(
                f"unit {data.number} already exists in building {building.number}",
                zh=f"{building.number}号楼已有{data.number}单元",
                fields=[{"field": "number", "message": "duplicate"}],
            )
        u = Unit(compound_id=building.compound_id, building_id=building.id, number=data.number, floors=data.floors)
        session.add(u)
        session.flush()
        self._record(
            session, who, building.compound_id, "unit", u.id, {"building": building.number, "number": u.number}
        )
        return u

    def add_house(self, session: Session, *, who: Principal | None, unit: Unit, data: HouseCreate) -> House:
        _require_structure(who, unit.compound_id)
        building = session.get(Building, unit.building_id)
        assert building is not None
        label = data.label or f"{building.number}-{unit.number}-{data.number}"
        self._refuse_clashes(session, unit.compound_id, [label])
        h = House(
            compound_id=unit.compound_id,
            building_id=building.id,
            unit_id=unit.id,
            floor=data.floor,
            number=data.number,
            label=label,
            registered_area=data.registered_area,
            surveyed_area=data.surveyed_area,
            contract_area=data.contract_area,
            status=HouseStatus.vacant,
        )
        session.add(h)
        session.flush()
        self._record(session, who, unit.compound_id, "house", h.id, {"label": label})
        return h

    def _record(
        self,
        session: Session,
        who: Principal | None,
        compound_id: int,
        entity: str,
        entity_id: int,
        after: dict[str, Any],
    ) -> None:
        record_change(
            session,
            user_id=who.user_id if who else None,
            compound_id=compound_id,
            entity=entity,
            entity_id=entity_id,
            action="create",
            before=None,
            after=after,
        )

    def _refuse_clashes(self, session: Session, compound_id: int, labels: list[str]) -> None:
        taken: list[str] = []
        for start in range(0, len(labels), 1000):
            chunk = labels[start : start + 1000]
            taken += session.execute(
                select(House.label).where(House.compound_id == compound_id, House.label.in_(chunk))
            ).scalars()
        if taken:
            shown = "、".join(sorted(taken)[:5])
            raise Conflict(
                f"{len(taken)} house label(s) already exist: {', '.join(sorted(taken)[:5])}",
                zh=f"{len(taken)}个房屋编号已存在：{shown}",
                fields=[{"field": "label", "message": "duplicate", "labels": sorted(taken)[:20]}],
            )

    # --- the generator ------------------------------------------------------------------------------------

    def plan(self, spec: GeneratorSpec) -> list[tuple[int, int, int, int, str]]:
        """(building, unit, floor, position, label) of every house the spec describes, or a 422 on a bad pattern."""
        _check_pattern(spec.label_pattern)
        total = spec.house_count
        if total > HARD_MAX:
            raise Invalid(
                f"{total} houses is more than one generation may create ({HARD_MAX})",
                zh=f"一次最多生成{HARD_MAX}户，本次为{total}户",
                fields=[{"field": "houses", "message": f"at most {HARD_MAX}"}],
            )
        out: list[tuple[int, int, int, int, str]] = []
        seen: dict[str, tuple[int, int, int, int]] = {}
        for b in range(spec.buildings_from, spec.buildings_to + 1):
            for u in range(1, spec.units + 1):
                for f in range(spec.floors_from, spec.floors_to + 1):
                    if f == 0:
                        continue  # there is no floor 0: -1 is the first basement
                    for n in range(1, spec.houses_per_floor + 1):
                        label = spec.label_pattern.format(b=b, u=u, f=f, n=n)
                        if not label or len(label) > LABEL_MAX:
                            raise Invalid(
                                f"the pattern gives a label of {len(label)} characters (at most {LABEL_MAX})",
                                zh=f"编号规则生成的房屋编号长度须为1至{LABEL_MAX}个字符",
                                fields=[{"field": "label_pattern", "message": "label length"}],
                            )
                        if label in seen:
                            raise Invalid(
                                f"the pattern gives two houses the label {label}; add the missing field",
                                zh=f"编号规则使两户房屋编号相同（{label}），请补全楼栋、单元、楼层或户号",
                                fields=[{"field": "label_pattern", "message": "labels clash"}],
                            )
                        seen[label] = (b, u, f, n)
                        out.append((b, u, f, n, label))
        return out

    def generate(
        self,
        session: Session,
        *,
        who: Principal | None,
        compound: Compound,
        spec: GeneratorSpec,
        dry_run: bool = False,
    ) -> GeneratorPreview:
        """Buildings, units and houses in one step (or the preview of it); nothing half-written on any refusal."""
        _require_structure(who, compound.id)
        houses = self.plan(spec)
        numbers = [str(b) for b in range(spec.buildings_from, spec.buildings_to + 1)]
        units = len(numbers) * spec.units
        preview = GeneratorPreview(
            buildings=len(numbers),
            units=units,
            houses=len(houses),
            sample_labels=[h[4] for h in houses[:8]],
            last_label=houses[-1][4] if houses else "",
            needs_confirmation=len(houses) > CONFIRM_ABOVE,
            confirmation_limit=CONFIRM_ABOVE,
        )
        existing = sorted(
            session.execute(
                select(Building.number).where(Building.compound_id == compound.id, Building.number.in_(numbers))
            ).scalars()
        )
        if existing:
            raise Conflict(
                f"building(s) {', '.join(existing[:10])} already exist",
                zh=f"楼栋已存在：{'、'.join(existing[:10])}",
                fields=[{"field": "buildings_from", "message": "buildings exist"}],
            )
        self._refuse_clashes(session, compound.id, [h[4] for h in houses])
        if dry_run:
            return preview
        if preview.needs_confirmation and not spec.confirm:
            raise Conflict(
                f"{len(houses)} houses is above {CONFIRM_ABOVE}: confirm to create them",
                zh=f"将生成{len(houses)}户，超过{CONFIRM_ABOVE}户，请确认后再生成",
                fields=[{"field": "confirm", "message": "confirmation required"}],
            )
        floors = spec.floors_to if spec.floors_to > 0 else 1
        building_rows = {
            number: Building(compound_id=compound.id, number=number, name=f"{number}号楼", floors=floors)
            for number in numbers
        }
        session.add_all(building_rows.values())
        session.flush()
        unit_rows = {
            (b, u): Unit(compound_id=compound.id, building_id=building_rows[str(b)].id, number=str(u), floors=floors)
            for b in range(spec.buildings_from, spec.buildings_to + 1)
            for u in range(1, spec.units + 1)
        }
        session.add_all(unit_rows.values())
        session.flush()
        column = _AREA_COLUMN[spec.area_source]
        values = [
            {
                "compound_id": compound.id,
                "building_id": building_rows[str(b)].id,
                "unit_id": unit_rows[(b, u)].id,
                "floor": f,
                "number": (f"{f:02d}" if f > 0 else f"B{-f}") + f"{n:02d}",
                "label": label,
                "registered_area": None,
                "surveyed_area": None,
                "contract_area": None,
                column: spec.areas.get(n),
                "status": HouseStatus.vacant,
            }
            for b, u, f, n, label in houses
        ]
        for start in range(0, len(values), 2000):
            session.execute(insert(House), values[start : start + 2000])
        _lay_out(compound, numbers)
        session.flush()
        record_change(
            session,
            user_id=who.user_id if who else None,
            compound_id=compound.id,
            entity="compound",
            entity_id=compound.id,
            action="generate",
            before=None,
            after={
                "buildings": numbers,
                "units_per_building": spec.units,
                "floors": [spec.floors_from, spec.floors_to],
                "houses_per_floor": spec.houses_per_floor,
                "label_pattern": spec.label_pattern,
                "houses": len(values),
                "areas": {str(k): str(v) for k, v in sorted(spec.areas.items())},
                "area_source": spec.area_source.value,
            },
        )
        preview.created = True
        return preview


def _check_pattern(pattern: str) -> None:
    """Only {b} {u} {f} {n} with an optional integer format spec; anything else is a 422, never a 500."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
        unknown = fields - _FIELDS
        if unknown or "" in fields:
            raise ValueError(f"unknown field(s) {', '.join(sorted(unknown)) or '{}'}")
        pattern.format(b=1, u=1, f=1, n=1)
    except (ValueError, IndexError, KeyError, AttributeError) as e:
        raise Invalid(
            f"label pattern: {e}; use {{b}} {{u}} {{f}} {{n}}, e.g. {{b}}-{{u}}-{{f:02d}}{{n:02d}}",
            zh="编号规则有误，只能使用 {b} {u} {f} {n}，例如 {b}-{u}-{f:02d}{n:02d}",
            fields=[{"field": "label_pattern", "message": str(e)}],
        ) from e


def _lay_out(compound: Compound, numbers: list[str]) -> None:
    """Place new buildings on the site plan in a grid after those already drawn (the plan stays editable)."""
    plan = dict(compound.site_plan or {"width": 960, "height": 400, "gates": [], "buildings": []})
    shapes = list(plan.get("buildings", []))
    drawn = {str(s.get("building")) for s in shapes}
    cols = 5
    for number in numbers:
        if number in drawn:
            continue
        i = len(shapes)
        shapes.append({"building": number, "x": 60 + (i % cols) * 180, "y": 60 + (i // cols) * 160, "w": 120, "h": 70})
    rows = (len(shapes) - 1) // cols + 1 if shapes else 1
    plan["buildings"] = shapes
    plan["width"] = max(int(plan.get("width", 0)), 60 + cols * 180)
    plan["height"] = max(int(plan.get("height", 0)), 60 + rows * 160 + 40)
    compound.site_plan = plan


structure_service = StructureService()
