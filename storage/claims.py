"""Claiming due rows of an outbox (DMs to send, DMs to update): one way for both.

A row is due when pending and its next attempt is now, or claimed by a worker whose lease
ran out. Claimed rows are locked with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite's
write lock serialises claimers), so two workers never take the same row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, and_, col, or_, select, update

PENDING, CLAIMED = "pending", "claimed"


def claim_ids(
    session: Session,
    model: Any,
    key: Any,
    *,
    worker: str,
    now: dt.datetime,
    limit: int,
    lease: dt.timedelta,
) -> list[int]:
    """Claim up to ``limit`` due rows of ``model`` (whose id column is ``key``), oldest id
    first; their attempts go up by one. Returns the claimed ids."""
    due = or_(
        and_(col(model.status) == PENDING, col(model.next_attempt_at) <= now),
        and_(col(model.status) == CLAIMED, col(model.claimed_at) < now - lease),
    )
    ids = list(
        session.exec(
            select(key).where(due).order_by(col(key)).limit(limit).with_for_update(skip_locked=True)
        ).all()
    )
    if ids:
        session.exec(
            update(model)
            .where(col(key).in_(ids))
            .values(
                status=CLAIMED,
                claimed_by=worker,
                claimed_at=now,
                attempts=col(model.attempts) + 1,
            )
        )
    return ids
