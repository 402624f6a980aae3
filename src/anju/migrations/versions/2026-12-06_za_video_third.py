"""Issue 14 video analytics, third cut (session 6): the alarm is raised at the detector's decision and the clip
attaches when the post-roll ends, so an incident records its clip's state (pending, attached, missing) and holds
at most one evidence file of each kind (a clip delivered twice attaches once).

Revision ID: za20261206_video_third
Revises: yg20261206_district_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "za20261206_video_third"
down_revision = "yg20261206_district_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("video_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clip_state", sa.String(length=16), nullable=True))
    with op.batch_alter_table("video_evidence", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_video_evidence_event_id_kind"), ["event_id", "kind"])


def downgrade() -> None:
    with op.batch_alter_table("video_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_video_evidence_event_id_kind"), type_="unique")
    with op.batch_alter_table("video_event", schema=None) as batch_op:
        batch_op.drop_column("clip_state")
