"""Segments (`[[segments]]`): how the config's attributes map people to cells at seal, and
which config the sealed sums were written for.

``spec`` fingerprints the segment config and k: sums sealed under another spec are stale
(storage.segment_seal.stale) and never read, so changing an attribute's values or bands, or
k, never shows a cut computed under the old ones; the next close run seals them again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlmodel import Session

from settings.config import AppConfig
from storage.segment_seal import ValueOf, seal_segments, stale

# 2: cells fewer than k answered are no longer stored (version 1 stored their sums)
# 3: each pulse's atoms are sealed too (figures.segment_audit): seals without them are stale
# 4: a question some respondents of a cell skipped keeps no sums (driver figures rest on the
#    cell's own people, audited)
SEAL_RULES = 4


def spec(config: AppConfig) -> str:
    """The fingerprint of what a segment seal depends on: the attributes, k, and the seal's
    own rules (SEAL_RULES: sums sealed by an older rule are sealed again)."""
    body = json.dumps(
        [SEAL_RULES, config.privacy.min_group_size, [s.model_dump() for s in config.segments]],
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def month(text: str) -> dt.date:
    """A stored start month (YYYY-MM) as the first day of that month."""
    year, mon = text.split("-")[:2]
    return dt.date(int(year), int(mon), 1)


def value_of(config: AppConfig) -> ValueOf:
    """(attribute, stored value, week) -> the person's cell that week (None: unknown)."""
    segments = {s.key: s for s in config.segments}

    def cell(attribute: str, stored: str, week: dt.date) -> str | None:
        seg = segments.get(attribute)
        if seg is None:
            return None
        if seg.bands:
            try:
                start = month(stored)
            except ValueError:
                return None
            return seg.band(start, week) if start <= week else None
        return stored if stored in seg.values else None

    return cell


def seal_stale(session: Session, *, config: AppConfig, secret: bytes) -> list[int]:
    """Seal the segment sums of every sealed pulse whose sums are missing or stale."""
    if not config.segments:
        return []
    fingerprint = spec(config)
    due = stale(session, spec=fingerprint)
    seal_segments(
        session,
        secret=secret,
        pulse_ids=due,
        attributes=[s.key for s in config.segments],
        value_of=value_of(config),
        k=config.privacy.min_group_size,
        spec=fingerprint,
    )
    return due
