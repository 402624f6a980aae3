"""Issue 18 resident services, third cut (session 6): the residents' safety committee (members, meetings,
decisions), safety-education campaigns (audience, read tracking, quiz score), and charging sessions paid on their
own (pay_method, pay_ref).

Revision ID: zd20261206_services_third
Revises: zc20261206_care_third
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "zd20261206_services_third"
down_revision = "zc20261206_care_third"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "education_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(length=255), nullable=False),
        sa.Column("video_url", sa.String(length=255), nullable=False),
        sa.Column("quiz", sa.JSON(), nullable=False),
        sa.Column("audience_size", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("published_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_education_campaign_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_education_campaign_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_education_campaign_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_campaign")),
    )
    with op.batch_alter_table("education_campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_education_campaign_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_education_campaign_published_at"), ["published_at"], unique=False)
    op.create_table(
        "safety_committee_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("held_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.Column("attendee_ids", sa.JSON(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_safety_committee_meeting_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_safety_committee_meeting_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_committee_meeting")),
    )
    with op.batch_alter_table("safety_committee_meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_committee_meeting_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_committee_meeting_held_at"), ["held_at"], unique=False)
    op.create_table(
        "safety_committee_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_safety_committee_member_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_committee_member")),
    )
    with op.batch_alter_table("safety_committee_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_committee_member_compound_id"), ["compound_id"], unique=False)
    op.create_table(
        "education_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("read_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quiz_score", sa.Integer(), nullable=True),
        sa.Column("quiz_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["education_campaign.id"],
            name=op.f("fk_education_target_campaign_id_education_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_education_target_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_education_target_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_target")),
        sa.UniqueConstraint("campaign_id", "person_id", name=op.f("uq_education_target_campaign_id_person_id")),
    )
    with op.batch_alter_table("education_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_education_target_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_education_target_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_education_target_person_id"), ["person_id"], unique=False)
    op.create_table(
        "safety_committee_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("published_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"],
            ["compound.id"],
            name=op.f("fk_safety_committee_decision_compound_id_compound"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["safety_committee_meeting.id"],
            name=op.f("fk_safety_committee_decision_meeting_id_safety_committee_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_committee_decision")),
    )
    with op.batch_alter_table("safety_committee_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_committee_decision_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_committee_decision_meeting_id"), ["meeting_id"], unique=False)
    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pay_method", sa.String(length=8), server_default="wallet", nullable=False))
        batch_op.add_column(sa.Column("pay_ref", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_charging_session_pay_ref"), ["pay_ref"])


def downgrade() -> None:
    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_charging_session_pay_ref"), type_="unique")
        batch_op.drop_column("pay_ref")
        batch_op.drop_column("pay_method")
    with op.batch_alter_table("safety_committee_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_committee_decision_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_safety_committee_decision_compound_id"))
    op.drop_table("safety_committee_decision")
    with op.batch_alter_table("education_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_target_person_id"))
        batch_op.drop_index(batch_op.f("ix_education_target_compound_id"))
        batch_op.drop_index(batch_op.f("ix_education_target_campaign_id"))
    op.drop_table("education_target")
    with op.batch_alter_table("safety_committee_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_committee_member_compound_id"))
    op.drop_table("safety_committee_member")
    with op.batch_alter_table("safety_committee_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_committee_meeting_held_at"))
        batch_op.drop_index(batch_op.f("ix_safety_committee_meeting_compound_id"))
    op.drop_table("safety_committee_meeting")
    with op.batch_alter_table("education_campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_campaign_published_at"))
        batch_op.drop_index(batch_op.f("ix_education_campaign_compound_id"))
    op.drop_table("education_campaign")
