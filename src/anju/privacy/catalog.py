"""The record of processing: every personal-data field, declared once (R-P1).

The test suite checks that every column holding personal data appears here, and
`sync_catalog` keeps the `processing_record` table equal to this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class FieldDecl:
    field: str
    category: str
    purpose: str
    legal_basis: str
    sensitivity: str
    retention: str
    retention_days: int | None
    needs_separate_consent: bool = False


_CONTRACT = "PIPL 13(2) contract performance (property service contract)"
_DUTY = "PIPL 13(3) legal duty (resident registration, public security)"
DEPARTED_RETENTION_DAYS = 180
_WHILE = f"while resident, then {DEPARTED_RETENTION_DAYS} days"

CATALOG: tuple[FieldDecl, ...] = (
    FieldDecl("person.name", "identity", "identify residents for service and access", _CONTRACT, "normal", _WHILE, None),
    FieldDecl("person.gender", "identity", "population structure statistics", _DUTY, "normal", _WHILE, None),
    FieldDecl("person.birth_date", "identity", "care for elderly and minors; age statistics", _DUTY,
              "sensitive", _WHILE, None),
    FieldDecl("person.phone", "contact", "contact for repairs, alarms and notices", _CONTRACT, "normal", _WHILE, None),
    FieldDecl("person.id_number", "identity", "resident registration required by the street office", _DUTY,
              "sensitive", _WHILE, None),
    FieldDecl("person.population_type", "identity", "registered vs floating population statistics", _DUTY,
              "normal", _WHILE, None),
    FieldDecl("person_tag.tag", "vulnerability", "care for elderly living alone, disabled, minors", _DUTY,
              "sensitive", _WHILE, None),
    FieldDecl("emergency_contact.name", "contact", "reach family in an emergency", "PIPL 13(4) protect life",
              "normal", _WHILE, None),
    FieldDecl("emergency_contact.phone", "contact", "reach family in an emergency", "PIPL 13(4) protect life",
              "normal", _WHILE, None),
    FieldDecl("occupancy.house_id", "residence", "link residents to houses for service and access", _CONTRACT,
              "normal", _WHILE, None),
    FieldDecl("vehicle.plate", "vehicle", "vehicle access and parking", _CONTRACT, "normal", _WHILE, None),
    FieldDecl("app_user.username", "account", "sign in", _CONTRACT, "normal", "while the account exists", None),
    FieldDecl("login_attempt.ip", "security log", "detect password guessing", "PIPL 13(3) 网络安全法 21",
              "normal", "30 days", 30),
    FieldDecl("pii_access.user_id", "security log", "audit of unmasked reads", "PIPL 13(3) 网络安全法 21",
              "normal", "at least 6 months", 200),
)

# Columns that hold personal data, as "table.field" (encrypted ones by their logical name).
PERSONAL_COLUMNS = {d.field for d in CATALOG}


def sync_catalog(session: Session) -> None:
    from anju.privacy.models import ProcessingRecord

    existing = {r.field: r for r in session.execute(select(ProcessingRecord)).scalars()}
    for d in CATALOG:
        row = existing.get(d.field) or ProcessingRecord(field=d.field)
        row.category, row.purpose, row.legal_basis = d.category, d.purpose, d.legal_basis
        row.sensitivity, row.retention, row.retention_days = d.sensitivity, d.retention, d.retention_days
        row.needs_separate_consent = d.needs_separate_consent
        session.add(row)
    session.flush()
