"""notices, surveys, fee items, bills, payments, common-income ledger

Revision ID: e20261121_notices_fees
Revises: d20261121_governance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "e20261121_notices_fees"
down_revision = "d20261121_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fee_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("rate_fen", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("filing_ref", sa.String(length=128), nullable=False),
        sa.Column("agreement_ref", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_item_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_item")),
        sa.UniqueConstraint("compound_id", "code", name=op.f("uq_fee_item_compound_id_code")),
    )
    with op.batch_alter_table("fee_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_item_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "notice_mute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_notice_mute_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_notice_mute_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_mute")),
        sa.UniqueConstraint("person_id", "kind", name=op.f("uq_notice_mute_person_id_kind")),
    )
    with op.batch_alter_table("notice_mute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_mute_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_mute_person_id"), ["person_id"], unique=False)

    op.create_table(
        "fee_common_income",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("gross_fen", sa.Integer(), nullable=False),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("cost_doc", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_fee_common_income_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_common_income_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_common_income")),
    )
    with op.batch_alter_table("fee_common_income", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_common_income_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_common_income_occurred_on"), ["occurred_on"], unique=False)

    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("target_kind", sa.String(length=12), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("outage_kind", sa.String(length=12), nullable=True),
        sa.Column("outage_buildings", sa.JSON(), nullable=True),
        sa.Column("window_start", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_end", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("published_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_notice_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_notice_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_published_at"), ["published_at"], unique=False)

    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("respondent_unit", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closes_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_survey_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_survey_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "fee_arrears_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_fee_arrears_reminder_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_fee_arrears_reminder_house_id_house")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_arrears_reminder")),
        sa.UniqueConstraint("house_id", "period", name=op.f("uq_fee_arrears_reminder_house_id_period")),
    )
    with op.batch_alter_table("fee_arrears_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_arrears_reminder_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_arrears_reminder_house_id"), ["house_id"], unique=False)

    op.create_table(
        "fee_bill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("payer_kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("paid_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_bill_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_fee_bill_house_id_house")),
        sa.ForeignKeyConstraint(["item_id"], ["fee_item.id"], name=op.f("fk_fee_bill_item_id_fee_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_bill")),
        sa.UniqueConstraint("house_id", "item_id", "period", name=op.f("uq_fee_bill_house_id_item_id_period")),
    )
    with op.batch_alter_table("fee_bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_bill_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index("ix_fee_bill_compound_period", ["compound_id", "period", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_bill_house_id"), ["house_id"], unique=False)

    op.create_table(
        "notice_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_notice_delivery_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_notice_delivery_house_id_house")),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_delivery_notice_id_notice"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_notice_delivery_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_delivery")),
        sa.UniqueConstraint("notice_id", "person_id", name=op.f("uq_notice_delivery_notice_id_person_id")),
    )
    with op.batch_alter_table("notice_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_delivery_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_delivery_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index("ix_notice_delivery_person_read", ["person_id", "read_at"], unique=False)

    op.create_table(
        "survey_participation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("respondent_key", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_survey_participation_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_survey_participation_person_id_person")),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_participation_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_participation")),
        sa.UniqueConstraint(
            "survey_id", "respondent_key", name=op.f("uq_survey_participation_survey_id_respondent_key")
        ),
    )
    with op.batch_alter_table("survey_participation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_participation_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_participation_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "survey_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=255), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_question_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_question")),
        sa.UniqueConstraint("survey_id", "position", name=op.f("uq_survey_question_survey_id_position")),
    )
    with op.batch_alter_table("survey_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_question_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "survey_response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], name=op.f("fk_survey_response_building_id_building")),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_survey_response_house_id_house")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_survey_response_person_id_person")),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_response_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_response_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "fee_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_txn", sa.String(length=64), nullable=False),
        sa.Column("receipt_no", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["fee_bill.id"], name=op.f("fk_fee_payment_bill_id_fee_bill")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_payment_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_payment_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_payment")),
        sa.UniqueConstraint("provider", "provider_txn", name=op.f("uq_fee_payment_provider_provider_txn")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_fee_payment_receipt_no")),
    )
    with op.batch_alter_table("fee_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_payment_bill_id"), ["bill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_payment_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "fee_payment_intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=40), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["fee_bill.id"], name=op.f("fk_fee_payment_intent_bill_id_fee_bill")),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_fee_payment_intent_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_payment_intent_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_payment_intent")),
        sa.UniqueConstraint("order_no", name=op.f("uq_fee_payment_intent_order_no")),
    )
    with op.batch_alter_table("fee_payment_intent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_payment_intent_bill_id"), ["bill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_payment_intent_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "fee_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("receipt_no", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["fee_bill.id"], name=op.f("fk_fee_refund_bill_id_fee_bill")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_refund_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_refund_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_refund")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_fee_refund_receipt_no")),
    )
    with op.batch_alter_table("fee_refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_refund_bill_id"), ["bill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_refund_compound_id"), ["compound_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fee_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_refund_compound_id"))
        batch_op.drop_index(batch_op.f("ix_fee_refund_bill_id"))

    op.drop_table("fee_refund")
    with op.batch_alter_table("fee_payment_intent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_payment_intent_compound_id"))
        batch_op.drop_index(batch_op.f("ix_fee_payment_intent_bill_id"))

    op.drop_table("fee_payment_intent")
    with op.batch_alter_table("fee_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_payment_compound_id"))
        batch_op.drop_index(batch_op.f("ix_fee_payment_bill_id"))

    op.drop_table("fee_payment")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_response_survey_id"))

    op.drop_table("survey_response")
    with op.batch_alter_table("survey_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_question_survey_id"))

    op.drop_table("survey_question")
    with op.batch_alter_table("survey_participation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_participation_survey_id"))
        batch_op.drop_index(batch_op.f("ix_survey_participation_compound_id"))

    op.drop_table("survey_participation")
    with op.batch_alter_table("notice_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_delivery_person_read")
        batch_op.drop_index(batch_op.f("ix_notice_delivery_notice_id"))
        batch_op.drop_index(batch_op.f("ix_notice_delivery_compound_id"))

    op.drop_table("notice_delivery")
    with op.batch_alter_table("fee_bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_bill_house_id"))
        batch_op.drop_index("ix_fee_bill_compound_period")
        batch_op.drop_index(batch_op.f("ix_fee_bill_compound_id"))

    op.drop_table("fee_bill")
    with op.batch_alter_table("fee_arrears_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_arrears_reminder_house_id"))
        batch_op.drop_index(batch_op.f("ix_fee_arrears_reminder_compound_id"))

    op.drop_table("fee_arrears_reminder")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_compound_id"))

    op.drop_table("survey")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_published_at"))
        batch_op.drop_index(batch_op.f("ix_notice_compound_id"))

    op.drop_table("notice")
    with op.batch_alter_table("fee_common_income", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_common_income_occurred_on"))
        batch_op.drop_index(batch_op.f("ix_fee_common_income_compound_id"))

    op.drop_table("fee_common_income")
    with op.batch_alter_table("notice_mute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_mute_person_id"))
        batch_op.drop_index(batch_op.f("ix_notice_mute_compound_id"))

    op.drop_table("notice_mute")
    with op.batch_alter_table("fee_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_item_compound_id"))

    op.drop_table("fee_item")
