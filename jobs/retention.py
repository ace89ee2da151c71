"""Retention: after `[privacy] retention_days`, a closed pulse keeps only its sealed sums.

Figures read only the seal written at close (storage.seal), so retention just deletes a
sealed pulse's raw answers and comments, each pulse in its own transaction: a crash leaves
every pulse either whole or purged, and its figures the same either way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from settings.config import AppConfig
from storage.db import session_scope
from storage.seal import due_for_purge, purge


def run(engine: Engine, *, config: AppConfig, now: dt.datetime) -> list[int]:
    """Purge every sealed pulse past retention; returns their ids (none if disabled)."""
    days = config.privacy.retention_days
    if days is None:
        return []
    with session_scope(engine) as s:
        due = due_for_purge(s, before=now - dt.timedelta(days=days))
    for pulse_id in due:
        with session_scope(engine) as s:
            purge(s, pulse_id=pulse_id, now=now)
    return due
