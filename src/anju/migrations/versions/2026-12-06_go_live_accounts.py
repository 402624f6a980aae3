"""Go live: accounts, organisations and resident self-registration (issue 11 items 2, 5).

Revision ID: p20261206_go_live_accounts
Revises: o20261206_foundations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "p20261206_go_live_accounts"
down_revision = "o20261206_foundations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("last_login_at", anju.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("phone_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("phone_bidx", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("phone_masked", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_app_user_phone_bidx"), ["phone_bidx"])

    op.create_table(
        "account_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_account_link_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_link_token_hash")),
    )
    with op.batch_alter_table("account_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_link_user_id"), ["user_id"], unique=False)

    op.create_table(
        "phone_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_bidx", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_code")),
    )
    with op.batch_alter_table("phone_code", schema=None) as batch_op:
        batch_op.create_index("ix_phone_code_phone_created", ["phone_bidx", "created_at"], unique=False)

    op.create_table(
        "house_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("lease_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_as", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_house_claim_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["app_user.id"], name=op.f("fk_house_claim_decided_by_app_user")),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_house_claim_house_id_house")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_house_claim_person_id_person")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_house_claim_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house_claim")),
    )
    with op.batch_alter_table("house_claim", schema=None) as batch_op:
        batch_op.create_index("ix_house_claim_compound_status", ["compound_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_house_claim_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_house_claim_house_id"), ["house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_house_claim_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("house_claim")
    op.drop_table("phone_code")
    op.drop_table("account_link")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_app_user_phone_bidx"), type_="unique")
        batch_op.drop_column("phone_masked")
        batch_op.drop_column("phone_bidx")
        batch_op.drop_column("phone_enc")
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("must_change_password")
