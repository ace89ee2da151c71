"""The weekly digest kept ready, as team reports are (figures.ready): built by the worker
once the week's pulses are sealed, posted from the kept body when its name still holds.

A digest (figures.digest.build_digest) rests on: its window (the last completed week as
HR's time zone sees it, and the weeks its trend, links and heatmap look back over), every
sealed pulse of that window (count and latest seal per week, each closed by the moment
asked), the segment sums of those pulses, every team's CX values of the window, the whole
config.toml (tree, k, HR's locale and time zone, CX cadences, segments), the drivers' labels,
the segment key (a digest of it, never the key), HR's catalog, the code that builds it and
this module's FORMAT.
All of them name it (``token``). A pulse closed but not sealed yet in the window names
nothing: the digest is built (it would count the pulse among those left out below k).

Commitments move at any time (a follow-up answered, a commitment made): they are never
kept, but read at every post with the post's moment, as the build does. So the digest
posted is the same whether kept or built (tests/jobs/test_digest_job.py compares both).
Names start with "w" (storage.figure_store.DIGEST_TOKEN): team reports' are hex.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from base64 import b64decode, b64encode
from collections.abc import Mapping
from dataclasses import asdict, replace
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session

from figures import segment_ready, store
from figures.commitments import commitment_lines
from figures.digest import Digest, OrgFigures, TeamLine, build_digest, digest_window
from figures.digest_charts import Chart
from figures.link_sentences import ValueLink
from figures.pipeline import bank_engagement
from figures.segments import spec
from settings.config import AppConfig
from settings.i18n import catalog_path, language
from storage.figure_store import (
    DIGEST_TOKEN,
    closed_unsealed_in,
    forget_reports,
    keep_report,
    kept_report,
    stored_weeks,
    week_seals,
)
from storage.segment_sums import fresh_seals, org_cx_fingerprint

FORMAT = 1  # of a kept digest's JSON: bump with encode/decode, so no older body is read
WEEKS = 12  # the digest's weeks as the post job asks for them (build_digest's default)
NODE = "digest"  # the kept row's node
BUILT_BY = ("figures", "insights", "settings", "storage")  # the packages a digest is built by


def token(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    driver_labels: Mapping[str, str] | None,
    secret: bytes | None,
) -> str | None:
    """The name of the digest posted at ``now``, or None when a week of its window is not
    kept fresh (or a pulse of it is closed but not sealed yet)."""
    window = digest_window(now, config, WEEKS)
    ws, start, end = workspace_id, window.start, window.end
    basis = store.basis(config, bank_engagement())
    seals = week_seals(session, workspace_id=ws, start=start, end=end)
    stored = stored_weeks(session, workspace_id=ws, basis=basis, start=start, end=end)
    if any(not store.fresh(stored.get(p), s) or s.closed > now for p, s in seals.items()):
        return None
    if closed_unsealed_in(session, workspace_id=ws, start=start, end=end, now=now):
        return None
    cx_end = end + dt.timedelta(weeks=window.cx_after, days=6)
    named = {
        "format": FORMAT,
        "basis": basis,
        "config": hashlib.sha256(config.model_dump_json().encode()).hexdigest(),
        "labels": sorted((driver_labels or {}).items()),
        "secret": None if secret is None else hashlib.sha256(b"digest:" + secret).hexdigest(),
        "catalog": _catalog(language(config.hr.locale)),
        "code": _code(),
        "drawn_by": _version("matplotlib"),
        "window": [str(end), window.weeks, window.history, window.cx_after],
        "weeks": sorted((str(p), s.sealed, s.last_sealed.isoformat()) for p, s in seals.items()),
        "segment_seals": fresh_seals(
            session, workspace_id=ws, start=start, end=end, spec=spec(config)
        ),
        "cx": org_cx_fingerprint(session, workspace_id=ws, start=start, end=cx_end),
    }
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()
    return DIGEST_TOKEN + digest[:31]


@cache
def _catalog(lang: str) -> str:
    """HR's catalog as this process reads it (the digest's texts and chart labels)."""
    path = catalog_path(lang)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


@cache
def _code() -> str:
    """The code a digest is built by (these packages' sources): a new release that words or
    draws it otherwise names it otherwise, as every process running that release does."""
    found = hashlib.sha256()
    for package in BUILT_BY:
        root = Path(str(resources.files(package)))
        for path in sorted(root.rglob("*.py")):
            found.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return found.hexdigest()


@cache
def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def weekly_digest(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    driver_labels: Mapping[str, str] | None = None,
    secret: bytes | None = None,
) -> Digest:
    """The digest the post job posts at ``now`` (run it in read_scope): kept when the worker
    has built it for what it rests on, else built; its commitments read now either way."""
    named = token(
        session,
        config=config,
        workspace_id=workspace_id,
        now=now,
        driver_labels=driver_labels,
        secret=secret,
    )
    body = kept_report(session, workspace_id=workspace_id, token=named) if named else None
    if body is None:
        return build_digest(
            session,
            config=config,
            workspace_id=workspace_id,
            now=now,
            weeks=WEEKS,
            driver_labels=driver_labels,
            secret=secret,
        )
    lines = commitment_lines(
        session,
        config=config,
        workspace_id=workspace_id,
        now=now,
        weeks=WEEKS,
        labels=dict(driver_labels or {}),
    )
    return replace(decode(body), commitments=lines)


def warm(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    driver_labels: Mapping[str, str] | None = None,
    secret: bytes | None = None,
) -> int:
    """Build and keep the digest a post at ``now`` would post, unless it is kept already
    (or cannot be named yet); 1 when built. Digests kept under other names are forgotten.
    Nothing is built when no digest is posted (no ``[hr] digest_channel``)."""
    if config.hr.digest_channel is None:
        return 0
    named = token(
        session,
        config=config,
        workspace_id=workspace_id,
        now=now,
        driver_labels=driver_labels,
        secret=secret,
    )
    if named is None:
        return 0
    forget_reports(session, workspace_id=workspace_id, keep={named}, kind=DIGEST_TOKEN)
    if kept_report(session, workspace_id=workspace_id, token=named) is not None:
        return 0
    built = build_digest(
        session,
        config=config,
        workspace_id=workspace_id,
        now=now,
        weeks=WEEKS,
        driver_labels=driver_labels,
        secret=secret,
    )
    body = encode(built)
    keep_report(session, workspace_id=workspace_id, token=named, node=NODE, made_at=now, body=body)
    return 1


# A digest as JSON: floats as Python writes them (read back bit for bit), dates as ISO
# text, chart PNGs as base64. Commitments are not kept: they are read at every post.


def encode(digest: Digest) -> str:
    body = {
        "week": _iso(digest.week),
        "k": digest.k,
        "weeks": digest.weeks,
        "org": None if digest.org is None else _org(digest.org),
        "at_risk": [_line(t) for t in digest.at_risk],
        "improved": [_line(t) for t in digest.improved],
        "links": [list(pair) for pair in digest.links],
        "gaps": [_line(t) for t in digest.gaps],
        "charts": [
            [c.filename, c.title, b64encode(c.png).decode("ascii"), c.takeaway]
            for c in digest.charts
        ],
        "teams_hidden": digest.teams_hidden,
        "segments": [segment_ready.encode(cut) for cut in digest.segments],
        "segment_links": [asdict(x) for x in digest.segment_links],
    }
    return json.dumps(body, default=_plain)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _org(org: OrgFigures) -> dict[str, Any]:
    return {**asdict(org), "enps_week": _iso(org.enps_week)}


def _line(line: TeamLine) -> list[Any]:
    return [line.key, line.name, line.text, list(line.reasons), line.change, line.engagement]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot keep {type(value).__name__} in a digest")


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def decode(body: str) -> Digest:
    b = json.loads(body)
    org = None
    if b["org"] is not None:
        org = OrgFigures(**{**b["org"], "enps_week": _day(b["org"]["enps_week"])})
    return Digest(
        week=_day(b["week"]),
        k=b["k"],
        weeks=b["weeks"],
        org=org,
        at_risk=[_team_line(t) for t in b["at_risk"]],
        improved=[_team_line(t) for t in b["improved"]],
        links=[(a, s) for a, s in b["links"]],
        gaps=[_team_line(t) for t in b["gaps"]],
        charts=[Chart(f, t, b64decode(png), said) for f, t, png, said in b["charts"]],
        teams_hidden=b["teams_hidden"],
        segments=[segment_ready.decode(cut) for cut in b["segments"]],
        segment_links=[ValueLink.kept(x) for x in b["segment_links"]],
    )


def _team_line(kept: list[Any]) -> TeamLine:
    key, name, text, reasons, change, engagement = kept
    return TeamLine(key, name, text, tuple(reasons), change, engagement)
