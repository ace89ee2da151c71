"""cx periods and raw responses: `cx_metric.cadence` and the `cx_response_seen` key hashes

Revision ID: 0006
Revises: 0005

A CX series is weekly, monthly or quarterly; every row stored before was weekly. Raw
per-response imports remember which responses they counted, by a 64-bit hash only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cx_metric", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cadence", AutoString(length=10), nullable=False, server_default="weekly")
        )
    op.create_table(
        "cx_response_seen",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("source", AutoString(length=63), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("workspace_id", "source", "key"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("cx_response_seen")
    with op.batch_alter_table("cx_metric", schema=None) as batch_op:
        batch_op.drop_column("cadence")
