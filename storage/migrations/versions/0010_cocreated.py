"""co-created commitments: a manager's proposed actions, the team's sealed tally; celebrations

Revision ID: 0010
Revises: 0009

The team's choices are answers to a `choice` question (held, released and keyed like any
answer); this table keeps only the proposal and, once the vote pulse closed, the counts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cocreated",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("driver", AutoString(length=40), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("created_by", AutoString(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("vote_pulse_id", sa.Integer(), nullable=True),
        sa.Column("vote_question_id", sa.Integer(), nullable=True),
        sa.Column("tally", AutoString(length=200), nullable=True),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["vote_pulse_id"], ["pulse.id"]),
        sa.ForeignKeyConstraint(["vote_question_id"], ["question.id"]),
        sa.ForeignKeyConstraint(["commitment_id"], ["commitment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cocreated_workspace_id", "cocreated", ["workspace_id"])
    op.create_index("ix_cocreated_team_id", "cocreated", ["team_id"])
    # Plain ADD COLUMN: a batch would recreate the table, which other rows refer to.
    op.add_column("commitment", sa.Column("celebrated_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("commitment", "celebrated_at")
    op.drop_index("ix_cocreated_team_id", table_name="cocreated")
    op.drop_index("ix_cocreated_workspace_id", table_name="cocreated")
    op.drop_table("cocreated")
