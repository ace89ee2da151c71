"""figures kept ready: guarded node-weeks and driver cells per basis (figures.store)

Revision ID: 0005
Revises: 0004

Adds `figure_week`, `figure_node`, `figure_driver` and `figure_report`, and an index
on each week's seals (what a report checks). The tables start empty:
until the worker has built them (it does at start and after every close), every figure is
computed from the sealed sums as before, so the upgrade changes no figure.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keys() -> list[sa.Column[object]]:
    return [
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("basis", AutoString(length=16), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("pulse", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pulse_week_seals",
            ["workspace_id", "period_start", "sealed_at", "closes_at", "closed_at"],
            unique=False,
        )
    op.create_table(
        "figure_week",
        *_keys(),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("sealed", sa.Integer(), nullable=False),
        sa.Column("last_sealed", sa.DateTime(), nullable=False),
        sa.Column("cutoff", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "basis", "period"),
    )
    op.create_table(
        "figure_node",
        *_keys(),
        sa.Column("node", AutoString(length=64), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("shown", sa.Boolean(), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=False),
        sa.Column("mix", AutoString(length=16), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.Column("invited", sa.Integer(), nullable=True),
        sa.Column("participation", sa.Float(), nullable=True),
        sa.Column("engagement", sa.Float(), nullable=True),
        sa.Column("engagement_se", sa.Float(), nullable=True),
        sa.Column("favourable_pct", sa.Float(), nullable=True),
        sa.Column("enps", sa.Float(), nullable=True),
        sa.Column("enps_n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "basis", "node", "period"),
    )
    op.create_table(
        "figure_driver",
        *_keys(),
        sa.Column("node", AutoString(length=64), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("driver", AutoString(length=40), nullable=False),
        sa.Column("shown", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("se", sa.Float(), nullable=True),
        sa.Column("favourable_pct", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "basis", "node", "period", "driver"),
    )

    op.create_table(
        "figure_report",
        *_keys()[:1],
        sa.Column("token", AutoString(length=32), nullable=False),
        sa.Column("node", AutoString(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "token"),
    )


def downgrade() -> None:
    with op.batch_alter_table("pulse", schema=None) as batch_op:
        batch_op.drop_index("ix_pulse_week_seals")
    for table in ("figure_report", "figure_driver", "figure_node", "figure_week"):
        op.drop_table(table)
