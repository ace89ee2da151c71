"""Segment cuts worked out ahead, as team reports are (figures.ready): a cut served from
the kept row named by what it rests on, else computed from the sealed sums.

A cut depends on every node's week (the rule is decided for the whole org), so its name
(token) covers every sealed pulse of the weeks it looks back over, the kept weeks' basis
(figures.store), the segment config (figures.segments.spec), how many pulses have segment
sums for their seal, the node and the attribute. Any new seal, a new config.toml or new
segment sums give a new name, so a kept cut is never stale: it is not found, and the cut
is computed until the worker keeps it (``warm``, after every close, jobs.kept_figures).
Names start with "s" (storage.figure_store.SEGMENT_TOKEN): team reports' are hex.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, replace
from typing import Any

import pandas as pd
from sqlmodel import Session

from figures import store
from figures.digest import digest_window
from figures.link_sentences import ValueLink
from figures.pipeline import Window, bank_engagement
from figures.segment_figures import (
    LOOK_BACK,
    SegmentCut,
    SegmentRow,
    SegmentWeek,
    cut,
    guarded_week,
    load_sums,
    segment_cut,
)
from figures.segment_links import layer_links
from figures.segments import spec
from insights.scores import ORG
from settings.config import AppConfig
from storage.figure_store import (
    SEGMENT_TOKEN,
    forget_reports,
    keep_report,
    kept_report,
    kept_segment_tokens,
    stored_weeks,
    week_seals,
)
from storage.segment_sums import fresh_seals, org_cx_fingerprint

FORMAT = 3  # 2: the org's cut by the linked attribute carries the link by value; 3: as values
LINK_WEEKS = 12  # the digest's default weeks (figures.digest.build_digest): the same window


def token(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    node: str,
    attribute: str,
    now: dt.datetime,
    secret: bytes | None,
) -> str | None:
    """The name of the cut's figures, or None when a week is not kept fresh for them."""
    shared = _rests_on(session, config=config, workspace_id=workspace_id, now=now, secret=secret)
    if shared is not None and _linked(config, node, attribute):
        more = _links_rest_on(session, config=config, workspace_id=workspace_id, now=now)
        shared = None if more is None else {**shared, "links": more}
    return None if shared is None else _name(shared, node, attribute)


def _linked(config: AppConfig, node: str, attribute: str) -> bool:
    """Whether this cut shows the EX↔CX link by value: the org's, by the attribute marked
    ``link = true`` (the one figures.segment_links links)."""
    seg = next((s for s in config.segments if s.link and s.values), None)
    return node == ORG and seg is not None and seg.key == attribute


def _links_rest_on(
    session: Session, *, config: AppConfig, workspace_id: int, now: dt.datetime
) -> dict[str, Any] | None:
    """What the link by value rests on beyond the cut's own weeks: the digest's window's
    seals and segment seals, and every team's CX values in it (None: a week not kept)."""
    window = digest_window(now, config, LINK_WEEKS)
    basis = store.basis(config, bank_engagement())
    seals = week_seals(session, workspace_id=workspace_id, start=window.start, end=window.end)
    stored = stored_weeks(
        session, workspace_id=workspace_id, basis=basis, start=window.start, end=window.end
    )
    if any(not store.fresh(stored.get(p), s) or s.closed > now for p, s in seals.items()):
        return None
    cx_end = window.end + dt.timedelta(weeks=window.cx_after, days=6)
    return {
        "window": [str(window.end), window.weeks, window.history, window.cx_after],
        "weeks": sorted((str(p), s.sealed, s.last_sealed.isoformat()) for p, s in seals.items()),
        "segment_seals": fresh_seals(
            session,
            workspace_id=workspace_id,
            start=window.start,
            end=window.end,
            spec=spec(config),
        ),
        "cx": org_cx_fingerprint(
            session, workspace_id=workspace_id, start=window.start, end=cx_end
        ),
    }


def org_links(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    secret: bytes | None,
) -> tuple[ValueLink, ...]:
    """The EX↔CX link by value as the digest at ``now`` says it: the digest's window and
    figures (figures.digest.digest_window, figures.store), through the same
    figures.segment_links.layer_links, so HR's `org by layer` and the digest agree."""
    window = digest_window(now, config, LINK_WEEKS)
    fig = store.read(
        session, config=config, workspace_id=workspace_id, window=window, closed_by=now, nodes=None
    )
    said = layer_links(
        session, fig=fig, config=config, workspace_id=workspace_id, closed_by=now, secret=secret
    )
    return tuple(said)


def _with_links(
    found: SegmentCut,
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    secret: bytes | None,
) -> SegmentCut:
    if not _linked(config, found.node, found.attribute):
        return found
    said = org_links(session, config=config, workspace_id=workspace_id, now=now, secret=secret)
    return replace(found, links=said)


def _rests_on(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    secret: bytes | None,
) -> dict[str, Any] | None:
    """What every cut of the org rests on at ``now`` (None: a week not kept fresh), the
    segment key included (as a hash): a process without it, or with another, computes
    the cut (which then shows no cell) rather than read one kept under the other."""
    window = Window.ending(now.date(), weeks=LOOK_BACK)
    basis = store.basis(config, bank_engagement())
    seals = week_seals(session, workspace_id=workspace_id, start=window.start, end=window.end)
    stored = stored_weeks(
        session, workspace_id=workspace_id, basis=basis, start=window.start, end=window.end
    )
    if any(not store.fresh(stored.get(p), s) or s.closed > now for p, s in seals.items()):
        return None
    fingerprint = spec(config)
    return {
        "format": FORMAT,
        "basis": basis,
        "spec": fingerprint,
        "secret": None if secret is None else hashlib.sha256(b"segments:" + secret).hexdigest(),
        "window": str(window.end),
        "weeks": sorted((str(p), s.sealed, s.last_sealed.isoformat()) for p, s in seals.items()),
        "segment_seals": fresh_seals(
            session,
            workspace_id=workspace_id,
            start=window.start,
            end=window.end,
            spec=fingerprint,
        ),
    }


def _name(shared: dict[str, Any], node: str, attribute: str) -> str:
    named = {**shared, "node": node, "attribute": attribute}
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()
    return SEGMENT_TOKEN + digest[:31]


def encode(found: SegmentCut) -> str:
    return json.dumps(asdict(found), default=str)


def decode(body: str) -> SegmentCut:
    data: dict[str, Any] = json.loads(body)
    period = dt.date.fromisoformat(data["period"]) if data["period"] else None
    rows = tuple(
        SegmentRow(**{**r, "drivers": tuple((d, float(s)) for d, s in r["drivers"])})
        for r in data["rows"]
    )
    links = tuple(ValueLink.kept(x) for x in data["links"])
    return SegmentCut(**{**data, "period": period, "rows": rows, "links": links})


def cut_for(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    node: str,
    attribute: str,
    now: dt.datetime,
    secret: bytes | None,
) -> SegmentCut:
    """What `/pulse report NODE by ATTRIBUTE` shows at ``now``: kept, else computed."""
    asked = {"config": config, "workspace_id": workspace_id, "node": node, "attribute": attribute}
    named = token(session, **asked, now=now, secret=secret)  # type: ignore[arg-type]
    body = kept_report(session, workspace_id=workspace_id, token=named) if named else None
    if body is not None:
        return decode(body)
    found = segment_cut(session, **asked, now=now, secret=secret)  # type: ignore[arg-type]
    return _with_links(
        found, session, config=config, workspace_id=workspace_id, now=now, secret=secret
    )


def warm(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    secret: bytes | None,
) -> int:
    """Work out every node's cut by every attribute not kept yet; the number worked out.
    The org's weeks are decided once for all of them (figures.segment_figures)."""
    if not config.segments:
        return 0
    nodes = [ORG, *(t.key for t in config.teams)]
    keep: set[str] = set()
    todo: list[tuple[str, str, str]] = []
    shared = _rests_on(session, config=config, workspace_id=workspace_id, now=now, secret=secret)
    if shared is None:
        return 0  # a week not kept fresh yet: the next run, after figures.store's
    kept = kept_segment_tokens(session, workspace_id=workspace_id)
    for node in nodes:
        for seg in config.segments:
            based = shared
            if _linked(config, node, seg.key):
                more = _links_rest_on(session, config=config, workspace_id=workspace_id, now=now)
                if more is None:
                    continue  # a week of the link's half year not kept yet: the next run
                based = {**shared, "links": more}
            named = _name(based, node, seg.key)
            keep.add(named)
            if named not in kept:
                todo.append((node, seg.key, named))
    if todo:
        weeks = _weeks(session, config=config, workspace_id=workspace_id, now=now, secret=secret)
        for node, attribute, named in todo:
            found = _with_links(
                _latest(weeks, config=config, node=node, attribute=attribute),
                session,
                config=config,
                workspace_id=workspace_id,
                now=now,
                secret=secret,
            )
            keep_report(
                session,
                workspace_id=workspace_id,
                token=named,
                node=node,
                made_at=now,
                body=encode(found),
            )
    forget_reports(session, workspace_id=workspace_id, keep=keep, segments=True)
    return len(todo)


def _weeks(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    secret: bytes | None,
) -> list[SegmentWeek]:
    """Every week of the look-back, newest first, decided for the whole org."""
    window = Window.ending(now.date(), weeks=LOOK_BACK)
    fig = store.read(
        session, config=config, workspace_id=workspace_id, window=window, closed_by=now, nodes=None
    )
    sums = load_sums(
        session,
        config=config,
        workspace_id=workspace_id,
        start=window.since,
        end=window.end,
        now=now,
        secret=secret,
    )
    periods = sorted(fig.scores.loc[fig.scores["shown"], "period"].unique(), reverse=True)
    return [guarded_week(fig, sums, pd.Timestamp(p)) for p in periods]


def _latest(
    weeks: list[SegmentWeek], *, config: AppConfig, node: str, attribute: str
) -> SegmentCut:
    """As segment_cut picks: the newest week with the node's total and a cell shown."""
    first = None
    for week in weeks:
        total = week.totals.get(node)
        if total is None or not bool(total["shown"]):
            continue
        found = cut(week, config=config, node=node, attribute=attribute)
        if any(r.shown for r in found.rows):
            return found
        first = first or found
    return first or cut(None, config=config, node=node, attribute=attribute)
