"""Face templates know their model (issue 12).

- face_template gains model_version, stale_since and reenrol_notified_at. Every template of the
  retired dlib model is marked stale now: it never matches again (search compares only templates of
  the current model), the resident is asked to re-enrol (job access.face_reenrolment), and the stale
  rows are deleted after re-enrolment or at the configured deadline. Cards, QR and PIN are untouched (R-F1).
- access_point gains face_threshold (per-point cosine threshold; NULL = the default for its kind) and
  face_liveness_required (face-only entry needs the terminal's liveness flag).
- face_pia: for each compound with a PIA for the old method, a new PIA record for the new method is
  written, carrying the old scope and recording the change of method and its measured effect (R-F7:
  the assessment is redone when the method changes). The old record stays (kept ≥ 3 years).

Revision ID: n20261206_face_models
Revises: m20261206_law_compliance
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

import anju.core.db
from anju.core.kit.china_time import china_date

revision = "n20261206_face_models"
down_revision = "m20261206_law_compliance"
branch_labels = None
depends_on = None

OLD_MODEL = "dlib_resnet_v1"
NEW_MODEL = "sface_2021dec"
NEW_VERSION = "int8bq-fb143eea0783"
PIA_NOTE = (
    "模型更换：dlib ResNet（欧氏距离 0.55）→ OpenCV Zoo YuNet 2023mar 检测 + SFace 2021dec 识别（int8bq，余弦相似度）。"
    "原因：独立评估中 dlib 对东亚面孔的误识率 12.6%，1:N 中未登记人员 7/39 被误认；新模型 0.07% 与 1/39。"
    "旧特征值全部标记为失效、不再参与比对，住户需重新录入；录入前刷卡/二维码/密码通行不受影响。"
    "旧特征值在重新录入后或截止日期后删除。模型文件离线随软件安装，加载前校验 sha256。"
)


def upgrade() -> None:
    with op.batch_alter_table("face_template") as batch_op:
        batch_op.add_column(sa.Column("model_version", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("stale_since", anju.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reenrol_notified_at", anju.core.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("access_point") as batch_op:
        batch_op.add_column(sa.Column("face_threshold", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("face_liveness_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    now = datetime.now(UTC)
    template = sa.table(
        "face_template",
        sa.column("model", sa.String),
        sa.column("model_version", sa.String),
        sa.column("stale_since", anju.core.db.UTCDateTime()),
    )
    op.execute(template.update().where(template.c.model == OLD_MODEL).values(model_version="v1"))
    op.execute(template.update().where(template.c.model != NEW_MODEL).values(stale_since=now))

    pia = sa.table(
        "face_pia",
        sa.column("id", sa.Integer),
        sa.column("compound_id", sa.Integer),
        sa.column("assessed_on", sa.Date),
        sa.column("purpose", sa.String),
        sa.column("method", sa.String),
        sa.column("scope", sa.Text),
        sa.column("risks", sa.Text),
        sa.column("measures", sa.Text),
        sa.column("retention_note", sa.Text),
        sa.column("created_at", anju.core.db.UTCDateTime()),
        sa.column("keep_until", sa.Date),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(pia.c.compound_id, pia.c.purpose, pia.c.scope, pia.c.risks, pia.c.measures, pia.c.retention_note)
        .where(pia.c.method == OLD_MODEL)
        .order_by(pia.c.compound_id, pia.c.assessed_on.desc(), pia.c.id.desc())
    ).all()
    today = china_date()
    seen: set[int] = set()
    for r in rows:
        if r.compound_id in seen:
            continue
        seen.add(r.compound_id)
        conn.execute(
            pia.insert().values(
                compound_id=r.compound_id,
                assessed_on=today,
                purpose=r.purpose,
                method=NEW_MODEL,
                scope=r.scope,
                risks=f"{r.risks}\n{PIA_NOTE}",
                measures=f"{r.measures}\n新模型 {NEW_MODEL} {NEW_VERSION}：按门设置阈值，围墙大门更严；终端活体标志可按门强制。",
                retention_note=r.retention_note,
                created_at=now,
                keep_until=date(today.year + 3, today.month, min(today.day, 28)),
            )
        )


def downgrade() -> None:
    pia = sa.table("face_pia", sa.column("method", sa.String))
    op.execute(pia.delete().where(pia.c.method == NEW_MODEL))
    template = sa.table("face_template", sa.column("model", sa.String))
    op.execute(template.delete().where(template.c.model == NEW_MODEL))  # vectors the old code cannot read
    with op.batch_alter_table("access_point") as batch_op:
        batch_op.drop_column("face_liveness_required")
        batch_op.drop_column("face_threshold")
    with op.batch_alter_table("face_template") as batch_op:
        batch_op.drop_column("reenrol_notified_at")
        batch_op.drop_column("stale_since")
        batch_op.drop_column("model_version")
