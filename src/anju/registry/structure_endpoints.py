"""Compound structure API: edit a compound, add buildings, units and houses, generate a whole compound."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response

from anju.core.auth import Principal, requires
from anju.core.config import get_settings
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Conflict, Forbidden, Invalid, NotFound, Responses, TooLarge
from anju.core.schemas import Schema
from anju.registry import house_import
from anju.registry.endpoints import house_read
from anju.registry.models import Building, Unit
from anju.registry.permissions import RegistryPerm
from anju.registry.roster_columns import XLSX_MEDIA_TYPE, ImportReport, RosterFile
from anju.registry.schemas import BuildingRead, CompoundRead, HouseRead
from anju.registry.structure_schemas import (
    BuildingCreate,
    CompoundUpdate,
    GeneratorPreview,
    GeneratorSpec,
    HouseCreate,
    UnitCreate,
)
from anju.registry.structure_service import structure_service

router = APIRouter(tags=["structure"])

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
StructureWriter = Annotated[Principal, requires(RegistryPerm.structure)]
_ERRORS: Responses = {403: Forbidden.doc(), 404: NotFound.doc(), 409: Conflict.doc(), 422: Invalid.doc()}


class UnitRead(Schema):
    id: int
    compound_id: int
    building_id: int
    number: str
    floors: int


@router.patch("/compounds/{compound_id}", response_model=CompoundRead, responses=_ERRORS)
def update_compound(compound_id: Id, body: CompoundUpdate, who: StructureWriter, session: WriteSession) -> CompoundRead:
    """Edit a compound: name, address, street office, property company, site plan."""
    c = structure_service.get(session, who=who, compound_id=compound_id)
    return CompoundRead.model_validate(structure_service.update_compound(session, who=who, compound=c, data=body))


@router.post("/compounds/{compound_id}/buildings", response_model=BuildingRead, status_code=201, responses=_ERRORS)
def add_building(compound_id: Id, body: BuildingCreate, who: StructureWriter, session: WriteSession) -> BuildingRead:
    """Add one building; a number already used in the compound is a 409."""
    c = structure_service.get(session, who=who, compound_id=compound_id)
    return BuildingRead.model_validate(structure_service.add_building(session, who=who, compound=c, data=body))


def _building(session: WriteSession, who: Principal, building_id: int) -> Building:
    b = session.get(Building, building_id)
    if b is None or not who.in_scope(b.compound_id):
        raise NotFound(f"building {building_id} not found", zh="未找到该楼栋")
    return b


@router.post("/buildings/{building_id}/units", response_model=UnitRead, status_code=201, responses=_ERRORS)
def add_unit(building_id: Id, body: UnitCreate, who: StructureWriter, session: WriteSession) -> UnitRead:
    """Add one unit to a building."""
    b = _building(session, who, building_id)
    return UnitRead.model_validate(structure_service.add_unit(session, who=who, building=b, data=body))


@router.post("/units/{unit_id}/houses", response_model=HouseRead, status_code=201, responses=_ERRORS)
def add_house(unit_id: Id, body: HouseCreate, who: StructureWriter, session: WriteSession) -> HouseRead:
    """Add one house; its label (default "{building}-{unit}-{number}") must be new in the compound (409)."""
    u = session.get(Unit, unit_id)
    if u is None or not who.in_scope(u.compound_id):
        raise NotFound(f"unit {unit_id} not found", zh="未找到该单元")
    return house_read(structure_service.add_house(session, who=who, unit=u, data=body))


@router.post("/compounds/{compound_id}/generate", response_model=GeneratorPreview, responses=_ERRORS)
def generate_structure(
    compound_id: Id,
    body: GeneratorSpec,
    who: StructureWriter,
    session: WriteSession,
    dry_run: Annotated[bool, Query(description="preview only: counts and sample labels, nothing written")] = False,
) -> GeneratorPreview:
    """Create buildings, units and houses in one step (or preview them). Above the confirmation limit the
    body must say confirm=true (409 otherwise); a label clash is a 409 and nothing is written."""
    c = structure_service.get(session, who=who, compound_id=compound_id)
    return structure_service.generate(session, who=who, compound=c, spec=body, dry_run=dry_run)


HouseReaderP = Annotated[Principal, requires(RegistryPerm.read)]
HouseWriterP = Annotated[Principal, requires(RegistryPerm.write)]
_FILE: Responses = {200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "an .xlsx file"}, **_ERRORS}


def _file(f: RosterFile) -> Response:
    return Response(
        content=f.data,
        media_type=f.media_type,
        headers={"Content-Disposition": f'attachment; filename="{f.filename}"', "Cache-Control": "no-store"},
    )


@router.get("/compounds/{compound_id}/houses/export", response_class=Response, responses=_FILE)
def export_houses(compound_id: Id, who: HouseReaderP, session: ReadSession) -> Response:
    """The compound's houses as .xlsx: label, building, unit, floor, number, the three areas, the area source."""
    return _file(house_import.export_houses(session, who=who, compound_id=compound_id))


@router.get("/compounds/{compound_id}/houses/template", response_class=Response, responses=_FILE)
def houses_template(compound_id: Id, who: HouseReaderP, session: ReadSession) -> Response:
    """The house file's columns, no rows."""
    return _file(house_import.export_houses(session, who=who, compound_id=compound_id, template=True))


@router.post(
    "/compounds/{compound_id}/houses/import",
    response_model=ImportReport,
    responses={413: TooLarge.doc(), **_ERRORS},
)
def import_houses(
    compound_id: Id,
    who: HouseWriterP,
    session: WriteSession,
    file: Annotated[UploadFile, File(description="houses as .xlsx or .csv")],
    dry_run: Annotated[bool, Form(description="validate and report only; write nothing")] = False,
) -> ImportReport:
    """Update house areas from a file (or create houses in existing units), with a row-by-row report;
    409 while a vote of the compound is open."""
    limit = get_settings().upload_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"file larger than {limit} bytes", zh=f"文件超过 {limit // 1024} KB 上限")
    return house_import.import_houses(
        session, who=who, compound_id=compound_id, filename=file.filename or "", data=data, dry_run=dry_run
    )
