"""segments: people's attribute values and per-pulse sealed sums per attribute value

Revision ID: 0007
Revises: 0006

`person_segment` holds what HR imported (`pulse people import`); `segment_seal`,
`segment_count` and `segment_rollup` hold each sealed pulse's sums per attribute value
(values fewer than k invited people share are sealed as "other").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = ("n", "total", "total_sq", "favourable", "promoters", "detractors")


def upgrade() -> None:
    op.create_table(
        "person_segment",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", AutoString(length=32), nullable=False),
        sa.Column("attribute", AutoString(length=64), nullable=False),
        sa.Column("value", AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "slack_user_id", "attribute"),
    )
    op.create_table(
        "segment_seal",
        sa.Column("pulse_id", sa.Integer(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), nullable=False),
        sa.Column("spec", AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(["pulse_id"], ["pulse.id"]),
        sa.PrimaryKeyConstraint("pulse_id"),
    )
    op.create_table(
        "segment_count",
        sa.Column("pulse_id", sa.Integer(), nullable=False),
        sa.Column("attribute", AutoString(length=64), nullable=False),
        sa.Column("value", AutoString(length=40), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pulse_id"], ["pulse.id"]),
        sa.PrimaryKeyConstraint("pulse_id", "attribute", "value"),
    )
    op.create_table(
        "segment_rollup",
        sa.Column("pulse_id", sa.Integer(), nullable=False),
        sa.Column("attribute", AutoString(length=64), nullable=False),
        sa.Column("value", AutoString(length=40), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in SUMS),
        sa.ForeignKeyConstraint(["pulse_id"], ["pulse.id"]),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"]),
        sa.PrimaryKeyConstraint("pulse_id", "attribute", "value", "question_id"),
    )


def downgrade() -> None:
    for table in ("segment_rollup", "segment_count", "segment_seal", "person_segment"):
        op.drop_table(table)
