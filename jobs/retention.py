"""Retention: after `[privacy] retention_days`, a closed pulse keeps only its sums.

Each pulse is folded in its own transaction (sums written, raw answers and comments
deleted together), so a crash leaves every pulse either whole or folded, never half.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from settings.config import AppConfig
from storage.db import session_scope
from storage.rollup import due_for_folding, fold


def run(engine: Engine, *, config: AppConfig, now: dt.datetime) -> list[int]:
    """Fold every pulse past retention; returns the folded pulse ids (none if disabled)."""
    days = config.privacy.retention_days
    if days is None:
        return []
    with session_scope(engine) as s:
        due = due_for_folding(s, before=now - dt.timedelta(days=days))
    for pulse_id in due:
        with session_scope(engine) as s:
            fold(s, pulse_id=pulse_id)
    return due
