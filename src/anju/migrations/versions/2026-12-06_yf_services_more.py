"""Resident services, second cut (issue 18): the decoration deposit in the fees ledger (deposits with their
charge, deductions and refund), prepaid wallets, e-bike charging sessions, and volunteers (activities,
sign-ups with attendance, points ledger, rewards), and the yearly satisfaction evaluation.

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
    # The server defaults only fill the existing rows; the model sets the values (as everywhere else).
    with op.batch_alter_table("decoration_application", schema=None) as batch_op:
        for column in ("deposit_deductions", "deposit_deducted_fen", "deposit_refunded_fen"):
            batch_op.alter_column(column, server_default=None)

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

    op.create_table(
        "volunteer_reward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("cost_points", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_volunteer_reward_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_volunteer_reward_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_reward")),
    )
    with op.batch_alter_table("volunteer_reward", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_reward_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=32), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("availability", sa.String(length=128), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("minutes_served", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_volunteer_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_volunteer_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_volunteer_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer")),
        sa.UniqueConstraint("compound_id", "user_id", name=op.f("uq_volunteer_compound_id_user_id")),
    )
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_user_id"), ["user_id"], unique=False)

    op.create_table(
        "volunteer_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.Column("starts_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("signed_up", sa.Integer(), nullable=False),
        sa.Column("points_per_hour", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_volunteer_activity_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_volunteer_activity_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_activity")),
    )
    with op.batch_alter_table("volunteer_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_activity_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_activity_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "volunteer_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=False),
        sa.Column("source_key", sa.String(length=48), nullable=False),
        sa.Column("reward_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_volunteer_points_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["volunteer_reward.id"], name=op.f("fk_volunteer_points_reward_id_volunteer_reward")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_points_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_points")),
        sa.UniqueConstraint("source_key", name=op.f("uq_volunteer_points_source_key")),
    )
    with op.batch_alter_table("volunteer_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_points_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_points_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "volunteer_signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["volunteer_activity.id"],
            name=op.f("fk_volunteer_signup_activity_id_volunteer_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_volunteer_signup_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_signup_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_signup")),
        sa.UniqueConstraint("activity_id", "volunteer_id", name=op.f("uq_volunteer_signup_activity_id_volunteer_id")),
    )
    with op.batch_alter_table("volunteer_signup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_signup_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_signup_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_signup_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "annual_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("assessor", sa.String(length=64), nullable=True),
        sa.Column("assessor_ref", sa.String(length=128), nullable=True),
        sa.Column("exported_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_annual_evaluation_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], name=op.f("fk_annual_evaluation_survey_id_survey")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_annual_evaluation_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annual_evaluation")),
        sa.UniqueConstraint("compound_id", "year", name=op.f("uq_annual_evaluation_compound_id_year")),
    )
    with op.batch_alter_table("annual_evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annual_evaluation_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_annual_evaluation_survey_id"), ["survey_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("annual_evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annual_evaluation_survey_id"))
        batch_op.drop_index(batch_op.f("ix_annual_evaluation_compound_id"))

    op.drop_table("annual_evaluation")

    with op.batch_alter_table("volunteer_signup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_signup_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_signup_compound_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_signup_activity_id"))

    op.drop_table("volunteer_signup")
    with op.batch_alter_table("volunteer_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_points_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_points_compound_id"))

    op.drop_table("volunteer_points")
    with op.batch_alter_table("volunteer_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_activity_starts_at"))
        batch_op.drop_index(batch_op.f("ix_volunteer_activity_compound_id"))

    op.drop_table("volunteer_activity")
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_user_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_compound_id"))

    op.drop_table("volunteer")
    with op.batch_alter_table("volunteer_reward", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_reward_compound_id"))

    op.drop_table("volunteer_reward")

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
