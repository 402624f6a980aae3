"""owner votes, electorate snapshots, hash-chained ballots

Revision ID: d20261121_governance
Revises: c20261121_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "d20261121_governance"
down_revision = "c20261121_access"
branch_labels = None
depends_on = None

# R-V15: ballots, tally events, the electorate snapshot and proxies are evidence kept for the
# challenge period; the database refuses edits and deletes, as for the audit tables.
APPEND_ONLY = ("vote_ballot", "vote_event", "vote_elector", "vote_elector_house", "vote_elector_person", "vote_proxy")


def _protect() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:  # the spine's function (initial schema); recreated here only if absent
        op.execute("""CREATE OR REPLACE FUNCTION anju_append_only() RETURNS trigger AS $$
                      BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql""")
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            name = f"{table}_no_{verb.lower()}"
            if pg:
                op.execute(f"""CREATE TRIGGER {name} BEFORE {verb} ON {table}
                               FOR EACH ROW EXECUTE FUNCTION anju_append_only()""")
            else:
                op.execute(f"""CREATE TRIGGER {name} BEFORE {verb} ON {table}
                               BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def _unprotect() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            name = f"{table}_no_{verb.lower()}"
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if pg else f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "meeting_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_meeting_request_compound_id_compound")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_meeting_request_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_request")),
        sa.UniqueConstraint("compound_id", "person_id", name=op.f("uq_meeting_request_compound_id_person_id")),
    )
    with op.batch_alter_table("meeting_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_request_compound_id"), ["compound_id"], unique=False)

    op.create_table(
        "vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "matter_type",
            sa.Enum(
                "rules_of_procedure",
                "management_statute",
                "elect_committee",
                "hire_property_company",
                "use_repair_fund",
                "other_major",
                "raise_repair_fund",
                "rebuild",
                "change_common_use",
                "residence_to_business",
                name="mattertype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject_house_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "published",
                "open",
                "closed",
                "tallied",
                "announced",
                name="votestate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("opens_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opened_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tallied_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("announced_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("results_due_at", anju.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("publication_overdue", sa.Boolean(), nullable=False),
        sa.Column("deem_unreturned", sa.Boolean(), nullable=False),
        sa.Column("deem_rule_clause", sa.Text(), nullable=True),
        sa.Column("announcement", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("created_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_vote_compound_id_compound"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_vote_created_by_app_user")),
        sa.ForeignKeyConstraint(["subject_house_id"], ["house.id"], name=op.f("fk_vote_subject_house_id_house")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote")),
    )
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_results_due_at"), ["results_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_state"), ["state"], unique=False)

    op.create_table(
        "vote_elector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("is_developer", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("area", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("house_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_vote_elector_person_id_person")),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_elector_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_elector")),
        sa.UniqueConstraint("vote_id", "key", name=op.f("uq_vote_elector_vote_id_key")),
    )
    with op.batch_alter_table("vote_elector", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_elector_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_elector_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "published", "opened", "closed", "tallied", "announced", name="eventkind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["by_user_id"], ["app_user.id"], name=op.f("fk_vote_event_by_user_id_app_user")),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_vote_event_compound_id_compound")),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_event_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_event")),
        sa.UniqueConstraint("vote_id", "seq", name=op.f("uq_vote_event_vote_id_seq")),
    )
    with op.batch_alter_table("vote_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_event_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_event_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_item_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_item")),
        sa.UniqueConstraint("vote_id", "position", name=op.f("uq_vote_item_vote_id_position")),
    )
    with op.batch_alter_table("vote_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_item_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_elector_house",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("house_label", sa.String(length=32), nullable=False),
        sa.Column("area", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "area_source",
            sa.Enum("registered", "surveyed", "contract", name="areasource", native_enum=False, length=32),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["elector_id"], ["vote_elector.id"], name=op.f("fk_vote_elector_house_elector_id_vote_elector")
        ),
        sa.ForeignKeyConstraint(["house_id"], ["house.id"], name=op.f("fk_vote_elector_house_house_id_house")),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_elector_house_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_elector_house")),
        sa.UniqueConstraint("vote_id", "house_id", name=op.f("uq_vote_elector_house_vote_id_house_id")),
    )
    with op.batch_alter_table("vote_elector_house", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_elector_house_elector_id"), ["elector_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_elector_house_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_elector_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["elector_id"], ["vote_elector.id"], name=op.f("fk_vote_elector_person_elector_id_vote_elector")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_vote_elector_person_person_id_person")),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_elector_person_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_elector_person")),
        sa.UniqueConstraint(
            "vote_id", "elector_id", "person_id", name=op.f("uq_vote_elector_person_vote_id_elector_id_person_id")
        ),
    )
    with op.batch_alter_table("vote_elector_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_elector_person_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_elector_person_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_paper_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["elector_id"], ["vote_elector.id"], name=op.f("fk_vote_paper_request_elector_id_vote_elector")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_vote_paper_request_person_id_person")),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_paper_request_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_paper_request")),
        sa.UniqueConstraint("vote_id", "elector_id", name=op.f("uq_vote_paper_request_vote_id_elector_id")),
    )
    with op.batch_alter_table("vote_paper_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_paper_request_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_proxy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=255), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["elector_id"], ["vote_elector.id"], name=op.f("fk_vote_proxy_elector_id_vote_elector")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_vote_proxy_person_id_person")),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"], name=op.f("fk_vote_proxy_recorded_by_app_user")),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_proxy_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_proxy")),
        sa.UniqueConstraint(
            "vote_id", "elector_id", "person_id", name=op.f("uq_vote_proxy_vote_id_elector_id_person_id")
        ),
    )
    with op.batch_alter_table("vote_proxy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_proxy_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_proxy_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.Enum("online", "paper", name="channel", native_enum=False, length=32), nullable=False),
        sa.Column("cast_by_user_id", sa.Integer(), nullable=True),
        sa.Column("cast_by_person_id", sa.Integer(), nullable=True),
        sa.Column("proxy_id", sa.Integer(), nullable=True),
        sa.Column("paper_ref", sa.String(length=64), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("cast_at", anju.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["cast_by_person_id"], ["person.id"], name=op.f("fk_vote_ballot_cast_by_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["cast_by_user_id"], ["app_user.id"], name=op.f("fk_vote_ballot_cast_by_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"], name=op.f("fk_vote_ballot_compound_id_compound")),
        sa.ForeignKeyConstraint(
            ["elector_id"], ["vote_elector.id"], name=op.f("fk_vote_ballot_elector_id_vote_elector")
        ),
        sa.ForeignKeyConstraint(["proxy_id"], ["vote_proxy.id"], name=op.f("fk_vote_ballot_proxy_id_vote_proxy")),
        sa.ForeignKeyConstraint(["vote_id"], ["vote.id"], name=op.f("fk_vote_ballot_vote_id_vote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_ballot")),
        sa.UniqueConstraint("vote_id", "elector_id", name=op.f("uq_vote_ballot_vote_id_elector_id")),
        sa.UniqueConstraint("vote_id", "seq", name=op.f("uq_vote_ballot_vote_id_seq")),
    )
    with op.batch_alter_table("vote_ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_ballot_cast_by_person_id"), ["cast_by_person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_ballot_compound_id"), ["compound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_ballot_row_hash"), ["row_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_ballot_vote_id"), ["vote_id"], unique=False)

    _protect()


def downgrade() -> None:
    _unprotect()
    with op.batch_alter_table("vote_ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_ballot_vote_id"))
        batch_op.drop_index(batch_op.f("ix_vote_ballot_row_hash"))
        batch_op.drop_index(batch_op.f("ix_vote_ballot_compound_id"))
        batch_op.drop_index(batch_op.f("ix_vote_ballot_cast_by_person_id"))

    op.drop_table("vote_ballot")
    with op.batch_alter_table("vote_proxy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_proxy_vote_id"))
        batch_op.drop_index(batch_op.f("ix_vote_proxy_person_id"))

    op.drop_table("vote_proxy")
    with op.batch_alter_table("vote_paper_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_paper_request_vote_id"))

    op.drop_table("vote_paper_request")
    with op.batch_alter_table("vote_elector_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_elector_person_vote_id"))
        batch_op.drop_index(batch_op.f("ix_vote_elector_person_person_id"))

    op.drop_table("vote_elector_person")
    with op.batch_alter_table("vote_elector_house", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_elector_house_vote_id"))
        batch_op.drop_index(batch_op.f("ix_vote_elector_house_elector_id"))

    op.drop_table("vote_elector_house")
    with op.batch_alter_table("vote_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_item_vote_id"))

    op.drop_table("vote_item")
    with op.batch_alter_table("vote_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_event_vote_id"))
        batch_op.drop_index(batch_op.f("ix_vote_event_compound_id"))

    op.drop_table("vote_event")
    with op.batch_alter_table("vote_elector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_elector_vote_id"))
        batch_op.drop_index(batch_op.f("ix_vote_elector_person_id"))

    op.drop_table("vote_elector")
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_state"))
        batch_op.drop_index(batch_op.f("ix_vote_results_due_at"))
        batch_op.drop_index(batch_op.f("ix_vote_compound_id"))

    op.drop_table("vote")
    with op.batch_alter_table("meeting_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_request_compound_id"))

    op.drop_table("meeting_request")
