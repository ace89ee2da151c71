"""locales: each person's Slack locale and chosen language; question texts per language

Revision ID: 0009
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", AutoString(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("locale_override", AutoString(length=16), nullable=True))
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_column("locale_override")
        batch_op.drop_column("locale")
