"""sealed pulses: every closed pulse's sums, respondents and invited, written once

Revision ID: 0004
Revises: 0003

Figures now read only what a pulse's seal holds (storage.seal): `response_rollup` rows,
`pulse.respondents` (was `folded_respondents`) and `pulse.invited`. This revision adds
`pulse.sealed_at`, `pulse.invited` and `pulse.purged_at`, and seals every pulse that has
closed (closed early, or past its closing time), in SQL, set-wise:

- pulses retention folded before (`folded_respondents` set) already have their sums and
  respondents: they are marked sealed and purged (their raw answers are gone);
- every other closed pulse gets its `response_rollup` rows and respondents from its
  answers, and, like all of them, `invited` from its deliveries (neither failed nor
  skipped).

A pulse still open is sealed when it closes (jobs.closing). Downgrade removes the seals of
pulses whose raw answers are still stored (the old code sums those itself) and the columns.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLLUP = """
INSERT INTO response_rollup
    (pulse_id, question_id, n, total, total_sq, favourable, promoters, detractors)
SELECT r.pulse_id, r.question_id, count(*), sum(r.value), sum(r.value * r.value),
       sum(CASE WHEN r.value >= 4 THEN 1 ELSE 0 END),
       sum(CASE WHEN r.value >= 9 THEN 1 ELSE 0 END),
       sum(CASE WHEN r.value <= 6 THEN 1 ELSE 0 END)
FROM response r JOIN pulse p ON p.id = r.pulse_id
WHERE p.respondents IS NULL AND (p.closed_at IS NOT NULL OR p.closes_at <= :now)
GROUP BY r.pulse_id, r.question_id
"""
_PURGED = "UPDATE pulse SET purged_at = :now WHERE respondents IS NOT NULL"
_SEAL = """
UPDATE pulse SET
    respondents = coalesce(respondents, (
        SELECT count(DISTINCT r.respondent) FROM response r WHERE r.pulse_id = pulse.id)),
    invited = (
        SELECT count(*) FROM delivery d
        WHERE d.pulse_id = pulse.id AND d.status NOT IN ('failed', 'skipped')),
    sealed_at = :now
WHERE closed_at IS NOT NULL OR closes_at <= :now
"""


def upgrade() -> None:
    op.execute("ALTER TABLE pulse RENAME COLUMN folded_respondents TO respondents")
    op.add_column("pulse", sa.Column("sealed_at", sa.DateTime(), nullable=True))
    op.add_column("pulse", sa.Column("invited", sa.Integer(), nullable=True))
    op.add_column("pulse", sa.Column("purged_at", sa.DateTime(), nullable=True))
    now = sa.bindparam("now", dt.datetime.now(dt.UTC).replace(tzinfo=None), sa.DateTime())
    conn = op.get_bind()
    conn.execute(sa.text(_ROLLUP).bindparams(now))  # before _PURGED: it reads respondents
    conn.execute(sa.text(_PURGED).bindparams(now))
    conn.execute(sa.text(_SEAL).bindparams(now))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "DELETE FROM response_rollup WHERE pulse_id IN"
            " (SELECT id FROM pulse WHERE purged_at IS NULL)"
        )
    )
    conn.execute(sa.text("UPDATE pulse SET respondents = NULL WHERE purged_at IS NULL"))
    for column in ("purged_at", "invited", "sealed_at"):
        op.execute(f"ALTER TABLE pulse DROP COLUMN {column}")
    op.execute("ALTER TABLE pulse RENAME COLUMN respondents TO folded_respondents")
