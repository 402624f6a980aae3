"""R-P1: every personal-data field is declared with purpose, legal basis, sensitivity and
retention, and the record of processing in the database equals that declaration."""

from __future__ import annotations

import re

from sqlalchemy import select

from anju.models import metadata
from anju.privacy.catalog import CATALOG, PERSONAL_COLUMNS, sync_catalog
from anju.privacy.models import ProcessingRecord

# How encrypted, indexed and masked copies of a value are stored: "phone_enc" is "phone".
STORAGE_SUFFIXES = ("_enc", "_bidx", "_masked", "_digest")
# Column names that hold personal data in whatever table they appear.
PERSONAL_NAMES = re.compile(
    r"(^|_)(phone|mobile|email|ip|plate|username|display_name|id_number|birth_date|gender|card|pin|"
    r"face|template|photo|image|visitor_name|address)($|_)"
)
# A plain "name" is personal where the row is about a person.
PERSON_LINKS = ("person_id", "host_person_id")
PEOPLE_TABLES = {"person", "emergency_contact"}
# Physical columns declared under another logical name.
ALIASES = {
    "access_credential.card_enc": "access_credential.card_number",
    "access_credential.card_bidx": "access_credential.card_number",
    "access_credential.card_masked": "access_credential.card_number",
    "access_blacklist.card_bidx": "access_blacklist.card_number",
}
# Columns the detector flags that hold no personal data, and why.
NOT_PERSONAL = {
    "device.secret_enc": "a device's own shared secret",
    "video_camera.url_enc": "a camera's stream address and its credentials",
    "notify_webhook.secret_enc": "a webhook's signing secret",
    "access_signing_key.private_enc": "a QR signing key",
    "compound.address": "the compound's street address, not a person's",
    "education_campaign.image_url": "a safety lesson's illustration link, not a picture of a person",
    "access_terminal.face_capable": "a terminal capability flag",
    "access_point.face_capable": "an access point capability flag",
    "access_point.face_enabled": "an access point setting",
    "access_point.face_threshold": "an access point's face-matching threshold setting",
    "access_point.face_liveness_required": "an access point setting",
    "emergency_floor_plan.template": "a floor-plan template's name (slab, tower, walk-up)",
    "emergency_evacuation.template": "the floor-plan template a simulation used",
}
# The spine's personal fields: they must stay declared.
REQUIRED = {
    "person.name",
    "person.gender",
    "person.birth_date",
    "person.phone",
    "person.id_number",
    "person.population_type",
    "person_tag.tag",
    "emergency_contact.name",
    "emergency_contact.phone",
    "occupancy.house_id",
    "vehicle.plate",
    "app_user.username",
    "app_user.display_name",
    "login_attempt.username",
    "login_attempt.ip",
}


def _logical(table: str, column: str) -> str:
    key = f"{table}.{column}"
    if key in ALIASES:
        return ALIASES[key]
    for suffix in STORAGE_SUFFIXES:
        if column.endswith(suffix):
            return f"{table}.{column.removesuffix(suffix)}"
    return key


def personal_looking_columns() -> dict[str, str]:
    """Every column the detector thinks holds personal data -> the field it must be declared as."""
    out: dict[str, str] = {}
    for table in metadata.tables.values():
        about_a_person = table.name in PEOPLE_TABLES or any(c in table.c for c in PERSON_LINKS)
        for col in table.columns:
            looks = (
                col.name.endswith(STORAGE_SUFFIXES)
                or PERSONAL_NAMES.search(col.name)
                or (col.name == "name" and about_a_person)
            )
            if looks and col.name not in ("id",) and not col.foreign_keys:
                out[f"{table.name}.{col.name}"] = _logical(table.name, col.name)
    return out


class TestDeclaration:
    def test_r_p1_every_personal_field_is_declared(self):
        undeclared = {
            col: field
            for col, field in personal_looking_columns().items()
            if field not in PERSONAL_COLUMNS and col not in NOT_PERSONAL
        }
        assert not undeclared, (
            f"declare these in anju.privacy.catalog.CATALOG (or list them in NOT_PERSONAL with a reason): {undeclared}"
        )

    def test_r_p1_the_spine_fields_stay_declared(self):
        assert REQUIRED <= PERSONAL_COLUMNS, REQUIRED - PERSONAL_COLUMNS

    def test_r_p1_the_detector_sees_the_known_fields(self):
        # Guards the heuristic itself: it must flag what we know is personal.
        seen = set(personal_looking_columns())
        assert {
            "person.phone_enc",
            "person.id_number_bidx",
            "person.name",
            "emergency_contact.phone_masked",
            "vehicle.plate",
            "app_user.username",
            "login_attempt.ip",
        } <= seen

    def test_r_p1_every_declaration_is_complete(self):
        for d in CATALOG:
            assert d.purpose.strip() and d.legal_basis.strip() and d.retention.strip() and d.category.strip(), d
            assert d.sensitivity in ("normal", "sensitive"), d
            assert d.retention_days is None or d.retention_days > 0, d
            if d.needs_separate_consent:
                assert d.sensitivity == "sensitive" and "consent" in d.legal_basis, d

    def test_r_p1_fields_are_declared_once_and_name_real_tables(self):
        fields = [d.field for d in CATALOG]
        assert len(fields) == len(set(fields))
        for f in fields:
            table, _, column = f.partition(".")
            assert table in metadata.tables, f
            names = {c.name for c in metadata.tables[table].columns}
            assert (
                column in names
                or any(column.startswith(n.split("_")[0]) and n.endswith(STORAGE_SUFFIXES) for n in names)
                or f in ALIASES.values()
            ), f

    def test_r_p1_biometrics_need_separate_consent(self):
        for d in CATALOG:
            if d.category == "biometric":
                assert d.needs_separate_consent and d.sensitivity == "sensitive", d

    def test_r_p5_security_logs_are_kept_six_months(self):
        for d in CATALOG:
            if d.field.startswith("pii_access."):
                assert d.retention_days is not None and d.retention_days >= 183, d


def _rows(session) -> dict[str, tuple]:
    return {
        r.field: (
            r.category,
            r.purpose,
            r.legal_basis,
            r.sensitivity,
            r.retention,
            r.retention_days,
            r.needs_separate_consent,
        )
        for r in session.execute(select(ProcessingRecord)).scalars()
    }


def _declared() -> dict[str, tuple]:
    return {
        d.field: (
            d.category,
            d.purpose,
            d.legal_basis,
            d.sensitivity,
            d.retention,
            d.retention_days,
            d.needs_separate_consent,
        )
        for d in CATALOG
    }


class TestRecordOfProcessing:
    def test_r_p1_processing_record_table_equals_the_catalogue(self, session):
        assert _rows(session) == _declared()

    def test_r_p1_sync_removes_fields_no_longer_processed(self, session):
        session.add(
            ProcessingRecord(
                field="person.shoe_size",
                category="x",
                purpose="x",
                legal_basis="x",
                sensitivity="normal",
                retention="x",
                retention_days=None,
            )
        )
        row = session.execute(select(ProcessingRecord).where(ProcessingRecord.field == "person.name")).scalar_one()
        row.purpose = "edited by hand"
        session.flush()
        sync_catalog(session)
        session.flush()
        assert _rows(session) == _declared()

    def test_r_p1_sync_is_idempotent(self, session):
        sync_catalog(session)
        sync_catalog(session)
        session.flush()
        assert _rows(session) == _declared()

    def test_the_record_is_published_to_every_signed_in_user(self, client, persona):
        r = client.get("/api/v1/privacy/processing-records", headers=persona("resident_li").headers)
        assert r.status_code == 200
        assert {x["field"] for x in r.json()} == set(_declared())
