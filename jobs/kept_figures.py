"""Keep guarded figures ready (figures.store): after every close, and every few minutes for
pulses closed another way (`pulse close`), a new config.toml or a fresh database."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from figures import store
from settings.config import AppConfig
from storage.db import session_scope

log = logging.getLogger(__name__)


def run(engine: Engine, *, config: AppConfig, workspace_id: int) -> int:
    """Build the stale weeks; the number built. Another worker building the same weeks at
    the same moment makes this run give way (its weeks are built by the other, or next time):
    until then a report computes those weeks from the sums, with the same figures."""
    try:
        with session_scope(engine) as s:
            built = store.refresh(s, config=config, workspace_id=workspace_id)
    except (IntegrityError, OperationalError) as exc:
        log.info("figures kept ready by another worker this time: %s", type(exc).__name__)
        return 0
    if built:
        log.info("kept figures of %s weeks ready", built)
    return built
