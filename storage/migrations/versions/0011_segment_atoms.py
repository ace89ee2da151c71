"""segment atoms: each sealed pulse's respondents counted by their cells of every attribute
at once, encrypted under PULSE_SECRET (storage.segment_seal), for figures.segment_audit; and
the invited people's values when the pulse was first sealed (a re-seal keeps them)

Revision ID: 0011
Revises: 0010

Nullable: a seal written before this revision has none; figures.segments.SEAL_RULES (3)
marks those seals stale, and the next close run seals their pulses again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("segment_seal") as batch:
        batch.add_column(sa.Column("atoms", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("values_then", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("segment_seal") as batch:
        batch.drop_column("values_then")
        batch.drop_column("atoms")
