"""Resident services, second cut (issue 18): the decoration deposit in the fees ledger (deposits with their
charge, deductions and refund), prepaid wallets, and e-bike charging sessions.

Revision ID: yf20261206_services_more
Revises: ye20261206_field_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "yf20261206_services_more"
down_revision = "ye20261206_field_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fee_wallet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("balance_fen", sa.Integer(), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("balance_fen >= 0", name=op.f("ck_fee_wallet_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_wallet_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_wallet_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_wallet")),
        sa.UniqueConstraint("compound_id", "user_id", name=op.f("uq_fee_wallet_compound_id_user_id")),
    )
    with op.batch_alter_table("fee_wallet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_wallet_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_wallet_user_id"), ["user_id"], unique=False)

    op.create_table(
        "fee_deposit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=48), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("deducted_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sa.String(length=40), nullable=False),
        sa.Column("charged_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "deducted_fen >= 0 AND refunded_fen >= 0 AND deducted_fen + refunded_fen <= amount_fen",
            name=op.f("ck_fee_deposit_settled_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_deposit_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_fee_deposit_house_id_house")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_deposit")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_fee_deposit_receipt_no")),
        sa.UniqueConstraint("source", name=op.f("uq_fee_deposit_source")),
    )
    with op.batch_alter_table("fee_deposit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_deposit_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_deposit_house_id"), ["house_id"], unique=False)

    op.create_table(
        "fee_wallet_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wallet_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("receipt_no", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_fee_wallet_entry_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_wallet_entry_user_id_app_user")),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["fee_wallet.id"], name=op.f("fk_fee_wallet_entry_wallet_id_fee_wallet"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_wallet_entry")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_fee_wallet_entry_receipt_no")),
        sa.UniqueConstraint("source_key", name=op.f("uq_fee_wallet_entry_source_key")),
    )
    with op.batch_alter_table("fee_wallet_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_wallet_entry_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_wallet_entry_wallet_id"), ["wallet_id"], unique=False)

    op.create_table(
        "fee_deposit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("receipt_no", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_fee_deposit_entry_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["fee_deposit.id"],
            name=op.f("fk_fee_deposit_entry_deposit_id_fee_deposit"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_fee_deposit_entry_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_deposit_entry")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_fee_deposit_entry_receipt_no")),
    )
    with op.batch_alter_table("fee_deposit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_deposit_entry_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_deposit_entry_deposit_id"), ["deposit_id"], unique=False)

    with op.batch_alter_table("decoration_application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deposit_deductions", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("deposit_deducted_fen", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("deposit_refunded_fen", sa.Integer(), nullable=False, server_default="0"))

    op.create_table(
        "charging_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_message_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_charging_cursor")),
    )
    op.create_table(
        "charging_tariff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fen_per_hour", sa.Integer(), nullable=False),
        sa.Column("full_max_minutes", sa.Integer(), nullable=False),
        sa.Column("to_common_income", sa.Boolean(), nullable=False),
        sa.Column("rule_ref", sa.String(length=128), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_charging_tariff_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_tariff")),
        sa.UniqueConstraint("compound_id", name=op.f("uq_charging_tariff_compound_id")),
    )
    with op.batch_alter_table("charging_tariff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charging_tariff_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "charging_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_uid", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_charging_card_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_charging_card_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_card")),
        sa.UniqueConstraint("compound_id", "card_uid", name=op.f("uq_charging_card_compound_id_card_uid")),
    )
    with op.batch_alter_table("charging_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charging_card_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charging_card_user_id"), ["user_id"], unique=False)

    op.create_table(
        "charging_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("live_device_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("planned_minutes", sa.Integer(), nullable=False),
        sa.Column("fen_per_hour", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("resumes", sa.Integer(), nullable=False),
        sa.Column("ended_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("energy_wh", sa.Integer(), nullable=True),
        sa.Column("prepaid_fen", sa.Integer(), nullable=False),
        sa.Column("charged_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_charging_session_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_charging_session_device_id_device")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_charging_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_session")),
        sa.UniqueConstraint("live_device_id", name=op.f("uq_charging_session_live_device_id")),
    )
    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charging_session_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charging_session_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charging_session_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_charging_session_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_charging_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decoration_application", schema=None) as batch_op:
        batch_op.drop_column("deposit_refunded_fen")
        batch_op.drop_column("deposit_deducted_fen")
        batch_op.drop_column("deposit_deductions")

    with op.batch_alter_table("fee_deposit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_deposit_entry_deposit_id"))
        batch_op.drop_index(batch_op.f("ix_fee_deposit_entry_compound_id"))

    op.drop_table("fee_deposit_entry")
    with op.batch_alter_table("fee_wallet_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_wallet_entry_wallet_id"))
        batch_op.drop_index(batch_op.f("ix_fee_wallet_entry_compound_id"))

    op.drop_table("fee_wallet_entry")
    with op.batch_alter_table("fee_deposit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_deposit_house_id"))
        batch_op.drop_index(batch_op.f("ix_fee_deposit_compound_id"))

    op.drop_table("fee_deposit")
    with op.batch_alter_table("fee_wallet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_wallet_user_id"))
        batch_op.drop_index(batch_op.f("ix_fee_wallet_compound_id"))

    op.drop_table("fee_wallet")
    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charging_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_charging_session_status"))
        batch_op.drop_index(batch_op.f("ix_charging_session_ends_at"))
        batch_op.drop_index(batch_op.f("ix_charging_session_device_id"))
        batch_op.drop_index(batch_op.f("ix_charging_session_compound_id"))

    op.drop_table("charging_session")
    with op.batch_alter_table("charging_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charging_card_user_id"))
        batch_op.drop_index(batch_op.f("ix_charging_card_compound_id"))

    op.drop_table("charging_card")
    with op.batch_alter_table("charging_tariff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charging_tariff_compound_id"))

    op.drop_table("charging_tariff")
    op.drop_table("charging_cursor")
