"""conversations about anonymous comments: messages, what each manager read, labels

Revision ID: 0008
Revises: 0006

A manager replies to an anonymous comment and its author replies back; the author is
reached only through the comment's keyed HMAC, so nothing here names them. An author's
reply waits in conversation_held until the relay moves it into conversation_message; both
tables have random ids and, on SQLite, no rowid, so rows do not lie in arrival order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_message",
        sa.Column("id", AutoString(length=16), nullable=False),
        sa.Column("comment_id", AutoString(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("side", AutoString(length=8), nullable=False),
        sa.Column("manager_id", AutoString(length=32), nullable=True),
        sa.Column("revealed_name", AutoString(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "seq"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_conversation_message_comment_id", "conversation_message", ["comment_id"])
    op.create_table(
        "conversation_held",
        sa.Column("id", AutoString(length=16), nullable=False),
        sa.Column("comment_id", AutoString(length=16), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("revealed_name", AutoString(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "turn"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "inbox_state",
        sa.Column("comment_id", AutoString(length=16), nullable=False),
        sa.Column("user_id", AutoString(length=32), nullable=False),
        sa.Column("read_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("comment_id", "user_id"),
    )
    op.create_table(
        "comment_label",
        sa.Column("comment_id", AutoString(length=16), nullable=False),
        sa.Column("label", AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("comment_id"),
    )


def downgrade() -> None:
    op.drop_table("comment_label")
    op.drop_table("inbox_state")
    op.drop_table("conversation_held")
    op.drop_index("ix_conversation_message_comment_id", table_name="conversation_message")
    op.drop_table("conversation_message")
