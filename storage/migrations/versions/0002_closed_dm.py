"""closed_dm: the outbox of DM updates that show a pulse closed

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "closed_dm",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("pulse_id", sa.Integer(), nullable=False),
        sa.Column("status", AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", AutoString(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("error", AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"]),
        sa.ForeignKeyConstraint(["pulse_id"], ["pulse.id"]),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    with op.batch_alter_table("closed_dm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closed_dm_pulse_id"), ["pulse_id"], unique=False)
        batch_op.create_index(
            "ix_closed_dm_status_due", ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("closed_dm", schema=None) as batch_op:
        batch_op.drop_index("ix_closed_dm_status_due")
        batch_op.drop_index(batch_op.f("ix_closed_dm_pulse_id"))
    op.drop_table("closed_dm")
