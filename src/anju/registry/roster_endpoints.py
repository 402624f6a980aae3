"""Roster API: import a resident roster file, export the compound's roster (masked)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from anju.core.auth import Principal, requires
from anju.core.config import get_settings
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden, Invalid, NotFound, TooLarge
from anju.registry import roster
from anju.registry.permissions import RegistryPerm
from anju.registry.roster import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, ImportReport
from anju.registry.roster_template import roster_template as roster_template_file

router = APIRouter(tags=["roster"])

MAX_ID = 2**31 - 1  # PostgreSQL integer: a larger id is invalid input, not a server error
RosterImporter = Annotated[Principal, requires(RegistryPerm.roster_import)]
RosterExporter = Annotated[Principal, requires(RegistryPerm.roster_export)]


@router.post(
    "/roster/import",
    response_model=ImportReport,
    responses={403: Forbidden.doc(), 404: NotFound.doc(), 413: TooLarge.doc(), 422: Invalid.doc()},
)
def import_roster(
    who: RosterImporter,
    session: WriteSession,
    file: Annotated[UploadFile, File(description="roster as .xlsx or .csv (UTF-8 or GBK)")],
    compound_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    all_or_nothing: Annotated[bool, Form(description="import nothing if any row is invalid")] = False,
    dry_run: Annotated[bool, Form(description="validate and report only; write nothing")] = False,
    create_missing_houses: Annotated[
        bool,
        Form(description='create houses labelled "{building}-{unit}-{floor}{nn}" that the compound lacks'),
    ] = False,
) -> ImportReport:
    """Import a resident roster; every rejected row is listed with its row, column and reason."""
    limit = get_settings().upload_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"file larger than {limit} bytes", zh=f"文件超过 {limit // 1024} KB 上限")
    return roster.import_roster(
        session,
        who=who,
        compound_id=compound_id,
        filename=file.filename or "",
        data=data,
        all_or_nothing=all_or_nothing,
        dry_run=dry_run,
        create_missing_houses=create_missing_houses,
    )


@router.get(
    "/roster/template",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "the roster template with column help"}},
)
def roster_template(who: RosterImporter) -> Response:
    """Download the roster template: the columns the import reads, an example row, and a sheet of column help."""
    f = roster_template_file()
    return Response(
        content=f.data,
        media_type=f.media_type,
        headers={"Content-Disposition": f'attachment; filename="{f.filename}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/roster/export",
    response_class=Response,
    responses={
        200: {
            "content": {XLSX_MEDIA_TYPE: {}, CSV_MEDIA_TYPE: {}},
            "description": "the roster file, phone and ID numbers masked",
        },
        403: Forbidden.doc(),
        404: NotFound.doc(),
    },
)
def export_roster(
    who: RosterExporter,
    session: ReadSession,
    compound_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    fmt: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
) -> Response:
    """Download the compound's current residents as .xlsx or .csv, phone and ID numbers masked."""
    f = roster.export_roster_file(session, who=who, compound_id=compound_id, fmt=fmt)
    return Response(
        content=f.data,
        media_type=f.media_type,
        headers={"Content-Disposition": f'attachment; filename="{f.filename}"', "Cache-Control": "no-store"},
    )
