"""Field staff and control room, second cut (issue 17).

Revision ID: ye20261206_field_more
Revises: yd20261206_care_more
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ye20261206_field_more"
down_revision = "yd20261206_care_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Parts the technician used on the job (the customer's signature is a photo of stage "signature").
    with op.batch_alter_table("work_order") as batch:
        batch.add_column(sa.Column("parts_used", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_order") as batch:
        batch.drop_column("parts_used")
