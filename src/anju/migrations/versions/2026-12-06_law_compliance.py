"""Co-owners, breach workflow, consents, face-data rules (issue 20).

Revision ID: m20261206_law_compliance
Revises: l20261206_devices_hardening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "m20261206_law_compliance"
down_revision = "l20261206_devices_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_compliance_duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("raised_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("resolved_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_compliance_duty")),
    )
    with op.batch_alter_table("privacy_compliance_duty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_compliance_duty_kind"), ["kind"], unique=False)

    op.create_table(
        "privacy_third_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_privacy_third_party_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_third_party")),
    )
    with op.batch_alter_table("privacy_third_party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_third_party_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "privacy_sharing_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("data_types", sa.JSON(), nullable=False),
        sa.Column("notice_version", sa.String(length=32), nullable=False),
        sa.Column("given_by", sa.String(length=16), nullable=False),
        sa.Column("given_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_privacy_sharing_consent_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_privacy_sharing_consent_person_id_person")),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["privacy_third_party.id"],
            name=op.f("fk_privacy_sharing_consent_recipient_id_privacy_third_party"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_sharing_consent")),
    )
    with op.batch_alter_table("privacy_sharing_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_sharing_consent_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_sharing_consent_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_sharing_consent_recipient_id"), ["recipient_id"], unique=False)

    op.create_table(
        "privacy_breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("discovered_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data_types", sa.JSON(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("possible_harm", sa.Text(), nullable=False),
        sa.Column("remedies", sa.Text(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("contacts", sa.Text(), nullable=False),
        sa.Column("affected_people", sa.JSON(), nullable=False),
        sa.Column("affected_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("regulator_due_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("individuals_due_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("regulator_notice", sa.Text(), nullable=True),
        sa.Column("regulator_notified_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("regulator_ref", sa.String(length=64), nullable=True),
        sa.Column("individual_notice", sa.Text(), nullable=True),
        sa.Column("individuals_notified_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("waiver_reason", sa.Text(), nullable=True),
        sa.Column("overdue_flagged_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_privacy_breach_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"], name=op.f("fk_privacy_breach_recorded_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_breach")),
    )
    with op.batch_alter_table("privacy_breach", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_breach_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_breach_regulator_due_at"), ["regulator_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_breach_state"), ["state"], unique=False)

    op.create_table(
        "privacy_compliance_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("auditor", sa.String(length=128), nullable=False),
        sa.Column("report_ref", sa.String(length=128), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_privacy_compliance_audit_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_compliance_audit")),
    )
    with op.batch_alter_table("privacy_compliance_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_compliance_audit_performed_on"), ["performed_on"], unique=False)

    op.create_table(
        "privacy_sharing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("data_types", sa.JSON(), nullable=False),
        sa.Column("shared_by", sa.Integer(), nullable=True),
        sa.Column("shared_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_privacy_sharing_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["privacy_sharing_consent.id"],
            name=op.f("fk_privacy_sharing_consent_id_privacy_sharing_consent"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_privacy_sharing_person_id_person")),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["privacy_third_party.id"],
            name=op.f("fk_privacy_sharing_recipient_id_privacy_third_party"),
        ),
        sa.ForeignKeyConstraint(["shared_by"], ["app_user.id"], name=op.f("fk_privacy_sharing_shared_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_sharing")),
    )
    with op.batch_alter_table("privacy_sharing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_sharing_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_sharing_person_id"), ["person_id"], unique=False)

    op.create_table(
        "privacy_vendor_contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("data_types", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("at_end", sa.String(length=8), nullable=False),
        sa.Column("disposal_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("disposal_due_on", sa.Date(), nullable=True),
        sa.Column("disposal_overdue", sa.Boolean(), nullable=False),
        sa.Column("disposed_on", sa.Date(), nullable=True),
        sa.Column("disposal_method", sa.String(length=8), nullable=True),
        sa.Column("disposal_evidence", sa.Text(), nullable=True),
        sa.Column("disposal_recorded_by", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_privacy_vendor_contract_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["disposal_recorded_by"],
            ["app_user.id"],
            name=op.f("fk_privacy_vendor_contract_disposal_recorded_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_vendor_contract")),
    )
    with op.batch_alter_table("privacy_vendor_contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_vendor_contract_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_vendor_contract_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_vendor_contract_status"), ["status"], unique=False)

    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ground", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.drop_column("ground")

    with op.batch_alter_table("privacy_vendor_contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_vendor_contract_status"))
        batch_op.drop_index(batch_op.f("ix_privacy_vendor_contract_ends_on"))
        batch_op.drop_index(batch_op.f("ix_privacy_vendor_contract_compound_id"))

    op.drop_table("privacy_vendor_contract")
    with op.batch_alter_table("privacy_sharing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_sharing_person_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_sharing_compound_id"))

    op.drop_table("privacy_sharing")
    with op.batch_alter_table("privacy_compliance_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_compliance_audit_performed_on"))

    op.drop_table("privacy_compliance_audit")
    with op.batch_alter_table("privacy_breach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_breach_state"))
        batch_op.drop_index(batch_op.f("ix_privacy_breach_regulator_due_at"))
        batch_op.drop_index(batch_op.f("ix_privacy_breach_compound_id"))

    op.drop_table("privacy_breach")
    with op.batch_alter_table("privacy_sharing_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_sharing_consent_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_sharing_consent_person_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_sharing_consent_compound_id"))

    op.drop_table("privacy_sharing_consent")
    with op.batch_alter_table("privacy_third_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_third_party_compound_id"))

    op.drop_table("privacy_third_party")
    with op.batch_alter_table("privacy_compliance_duty", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_compliance_duty_kind"))

    op.drop_table("privacy_compliance_duty")
