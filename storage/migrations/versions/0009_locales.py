"""locales: each person's Slack locale and chosen language; question texts per language

Revision ID: 0009
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (a constant default is allowed on SQLite too): a batch would recreate
    # the tables, which rows in other tables refer to.
    op.add_column(
        "employee", sa.Column("locale", AutoString(length=16), nullable=False, server_default="")
    )
    op.add_column("employee", sa.Column("locale_override", AutoString(length=16), nullable=True))
    op.add_column(
        "question", sa.Column("translations", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("question", "translations")
    op.drop_column("employee", "locale_override")
    op.drop_column("employee", "locale")
