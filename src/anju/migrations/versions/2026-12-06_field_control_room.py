"""Field staff and the control room (issue 17).

Alarms keep a message key for their title (rendered in the reader's language), the outcome of
their disposal and the alarm they follow (a recurrence after closure); history lines keep a
message key with parameters. A work-order photo says whether it shows the job before or after.
A patrol check-in queued offline on the phone keeps its scan time and the phone's id for it (a replay is
recorded once), and when it reached the server.

Revision ID: s20261206_field_control_room
Revises: r20261206_vehicles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import anju.core.db

revision = "s20261206_field_control_room"
down_revision = "r20261206_vehicles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("title_params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("previous_alarm_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("alarm_transition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reason_params", sa.JSON(), nullable=True))
    with op.batch_alter_table("work_order_photo", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=12), nullable=True))
    with op.batch_alter_table("patrol_checkin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("synced_at", anju.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_patrol_checkin_client", ["user_id", "client_id"])


def downgrade() -> None:
    with op.batch_alter_table("patrol_checkin", schema=None) as batch_op:
        batch_op.drop_constraint("uq_patrol_checkin_client", type_="unique")
        batch_op.drop_column("synced_at")
        batch_op.drop_column("client_id")
    with op.batch_alter_table("work_order_photo", schema=None) as batch_op:
        batch_op.drop_column("stage")
    with op.batch_alter_table("alarm_transition", schema=None) as batch_op:
        batch_op.drop_column("reason_params")
        batch_op.drop_column("reason_key")
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.drop_column("previous_alarm_id")
        batch_op.drop_column("outcome")
        batch_op.drop_column("title_params")
        batch_op.drop_column("title_key")
