"""held answers; comments under their own key; stored rows re-written in random order

Revision ID: 0003
Revises: 0002

Adds `held`, where answers to an open pulse wait encrypted until the close
(storage.held). Existing rows:

- Comments are re-keyed from their author's answer key to their own comment key
  (storage.pseudonym.comment_key) when PULSE_SECRET is set in the environment of the
  upgrade (the release phase has it): the old key is recomputed for every person a pulse
  was delivered to. Without PULSE_SECRET, or for a person no longer in the database,
  a comment keeps the old key until retention folds its pulse; the bot still finds it
  for its author (own view, delete, `/pulse my-data`), and a reader of the database can
  still put it beside that person's answers.
- Every pulse's `response` and `comment` rows are deleted and written again in a random
  order, so rowid (SQLite) and heap order (PostgreSQL) no longer follow the order people
  answered in. Until SQLite's VACUUM or PostgreSQL's VACUUM runs, the database files
  still hold the old row images; run `VACUUM` after the upgrade where copies of the
  files are taken.
- Answers to a pulse open during the upgrade stay in `response` and are found there by
  the bot; they are re-written in random order again when the pulse closes, if anyone
  answers after the upgrade.

Downgrade drops `held` (answers of open pulses held there are lost); keys stay.
"""

import os
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from storage.pseudonym import comment_key, respondent_key

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_response = sa.table(
    "response",
    *(sa.column(c) for c in ("id", "pulse_id", "question_id", "respondent", "value")),
)
_comment = sa.table(
    "comment", *(sa.column(c) for c in ("id", "pulse_id", "question_id", "respondent", "body"))
)


def upgrade() -> None:
    op.create_table(
        "held",
        sa.Column("slot", AutoString(length=64), nullable=False),
        sa.Column("pulse_id", sa.Integer(), nullable=False),
        sa.Column("kind", AutoString(length=8), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["pulse_id"], ["pulse.id"]),
        sa.PrimaryKeyConstraint("slot"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("held", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_pulse_id"), ["pulse_id"], unique=False)
    conn = op.get_bind()
    secret = os.environ.get("PULSE_SECRET", "").encode()
    pulses = conn.execute(
        sa.union(sa.select(_response.c.pulse_id), sa.select(_comment.c.pulse_id))
    ).scalars()
    for pulse_id in sorted(set(pulses)):
        rekey = _comment_keys(conn, secret, pulse_id) if secret else {}
        for table in (_response, _comment):
            query = sa.select(table).where(table.c.pulse_id == pulse_id)
            rows = [dict(r._mapping) for r in conn.execute(query)]
            if table is _comment:
                for row in rows:
                    row["respondent"] = rekey.get(row["respondent"], row["respondent"])
            secrets.SystemRandom().shuffle(rows)
            if rows:
                conn.execute(sa.delete(table).where(table.c.pulse_id == pulse_id))
                conn.execute(sa.insert(table), rows)


def _comment_keys(conn: sa.Connection, secret: bytes, pulse_id: int) -> dict[str, str]:
    """Old (answer) key -> comment key for everyone the pulse was delivered to."""
    people = conn.execute(
        sa.text(
            "SELECT w.slack_team_id, e.slack_user_id FROM delivery d"
            " JOIN employee e ON e.id = d.employee_id"
            " JOIN workspace w ON w.id = e.workspace_id WHERE d.pulse_id = :p"
        ),
        {"p": pulse_id},
    ).all()
    return {
        respondent_key(secret, workspace=ws, user_id=user, pulse_id=pulse_id): comment_key(
            secret, workspace=ws, user_id=user, pulse_id=pulse_id
        )
        for ws, user in people
    }


def downgrade() -> None:
    with op.batch_alter_table("held", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_pulse_id"))
    op.drop_table("held")
