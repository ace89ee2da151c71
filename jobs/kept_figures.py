"""Keep guarded figures ready (figures.store): after every close, and every few minutes for
pulses closed another way (`pulse close`), a new config.toml or a fresh database."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from figures import digest_ready, ready, segment_ready, store
from settings.config import AppConfig
from storage.db import session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kept:
    weeks: int  # weeks of guarded figures built (stale or missing)
    reports: int  # team reports, segment cuts and the digest worked out ahead (not kept yet)


def run(
    engine: Engine,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    secret: bytes | None = None,
    driver_labels: Mapping[str, str] | None = None,
) -> Kept:
    """Build the stale weeks, then work out every team's default report, every segment cut
    and the weekly digest (``driver_labels``: HR's, as jobs.digest posts it) not kept yet
    (new weeks, or new CX values). Another worker doing the same at the
    same moment makes this run give way (the other does it, or the next run): until then a
    report computes what is missing from the sums, with the same figures."""
    try:
        with session_scope(engine) as s:
            built = store.refresh(s, config=config, workspace_id=workspace_id)
        with session_scope(engine) as s:
            made = ready.warm(s, config=config, workspace_id=workspace_id, now=now)
        with session_scope(engine) as s:  # every node's cut by every segment attribute
            made += segment_ready.warm(
                s, config=config, workspace_id=workspace_id, now=now, secret=secret
            )
        with session_scope(engine) as s:  # the digest a post now would post (jobs.digest)
            made += digest_ready.warm(
                s,
                config=config,
                workspace_id=workspace_id,
                now=now,
                driver_labels=driver_labels,
                secret=secret,
            )
    except (IntegrityError, OperationalError) as exc:
        log.warning(
            "figures not kept ready this time (another worker?): %s", str(exc.orig).splitlines()[0]
        )
        return Kept(0, 0)
    if built or made:
        log.info("kept figures of %s weeks and %s team reports ready", built, made)
    return Kept(built, made)
