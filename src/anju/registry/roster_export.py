"""Roster export: masked numbers only, .xlsx or .csv."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from anju.core import sheets
from anju.core.auth import Principal
from anju.registry.permissions import RegistryPerm
from anju.registry.roster_columns import (
    COLUMNS,
    CSV_MEDIA_TYPE,
    GENDER_ZH,
    POPULATION_ZH,
    ROLE_ZH,
    TAG_ZH,
    XLSX_MEDIA_TYPE,
    RosterFile,
    _invalid,
)
from anju.registry.roster_queries import RosterQuery, check_scope
from anju.registry.service import today

# --- export -----------------------------------------------------------------------------------------------


def _export_table(session: Session, compound_id: int) -> list[list[str]]:
    q = RosterQuery(session)
    tags, contacts = q.tags(compound_id), q.first_contacts(compound_id)
    out: list[list[str]] = [[c.zh for c in COLUMNS]]
    for pid, name, phone, idn, pop, gender, birth, label, role, lease in q.export_rows(compound_id):
        contact_name, contact_phone = contacts.get(pid, ("", None))
        out.append(
            [
                name,
                phone or "",
                idn or "",
                label,
                ROLE_ZH[role],
                POPULATION_ZH.get(pop, ""),
                GENDER_ZH.get(gender, "") if gender else "",
                birth.isoformat() if birth else "",
                "、".join(TAG_ZH[t] for t in tags.get(pid, [])),
                lease.isoformat() if lease else "",
                contact_name,
                contact_phone or "",
            ]
        )
    return out


def _xlsx_bytes(table: list[list[str]]) -> bytes:
    # Every cell goes through the shared guard: text stays text (a name starting with "=" never becomes
    # a formula) and a control character in one name cannot fail the whole export.
    return sheets.xlsx_bytes([("住户名册", table, (12, 14, 22, 12, 8, 10, 6, 12, 20, 12, 12, 14))])


def _csv_bytes(table: list[list[str]]) -> bytes:
    # A leading apostrophe keeps spreadsheet programs from running a cell as a formula (shared guard).
    return sheets.csv_bytes(table)


def export_roster_file(session: Session, *, who: Principal | None, compound_id: int, fmt: str = "xlsx") -> RosterFile:
    """The compound's current residents as a file, phone and ID numbers masked (not re-importable)."""
    compound = check_scope(session, who, compound_id, RegistryPerm.roster_export)
    if fmt not in ("xlsx", "csv"):
        raise _invalid("导出格式只能是xlsx或csv", "format must be xlsx or csv")
    table = _export_table(session, compound_id)
    code = re.sub(r"[^A-Za-z0-9_-]", "", compound.code) or str(compound.id)  # safe in a header
    name = f"roster-{code}-{today():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return RosterFile(filename=name, media_type=CSV_MEDIA_TYPE, data=_csv_bytes(table))
    return RosterFile(filename=name, media_type=XLSX_MEDIA_TYPE, data=_xlsx_bytes(table))


def export_roster(session: Session, *, who: Principal | None, compound_id: int, fmt: str = "xlsx") -> bytes:
    """The roster as .xlsx or .csv bytes; masked numbers make it for viewing, not for re-import."""
    return export_roster_file(session, who=who, compound_id=compound_id, fmt=fmt).data
