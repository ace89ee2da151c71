"""A team report's figures kept ready: its weekly figures and EX↔CX links, worked out once.

A `/pulse report TEAM` shows figures that depend only on the team's node-weeks kept by
figures.store, the week's red-flag cutoffs, and the team's CX values. All of them are named
by a token: the basis (tree, k, drivers), the node, the window, the team's CX metrics, every
window week's seals, and a fingerprint of the team's CX values. The worker works the figures
out (``warm``) after it keeps weeks ready, and every few minutes for new CX values; a report
whose token is kept reads them (``team_report_figures``), any other computes them, through
the same figures.teams and figures.links, so the figures are the same either way
(tests/golden). Pulses left out below k are counted at every request (they close in between).

Only when every week of the window is kept fresh is a token made: a week computed from the
sums, or a moment before some pulse of the window had closed, always computes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from figures import store
from figures.link_sentences import GapSaid, LinkSaid
from figures.links import LINK_PERIODS, LINK_WEEKS, WEEKS_IN, MetricLink, team_links
from figures.pipeline import EXTRA_WEEKS, Window, bank_engagement
from figures.teams import DriverFigure, TeamFigures, team_figures
from insights.alerts import RedFlag
from settings.config import AppConfig
from storage.cx import team_cadences
from storage.figure_store import (
    cx_fingerprint,
    forget_reports,
    keep_report,
    kept_report,
    stored_weeks,
    week_seals,
)
from storage.left_out import small_pulse_count

DEFAULT_WEEKS = 12  # `/pulse report` without a number of weeks
FORMAT = 3  # of a kept report's JSON: bump with encode/decode, so no older body is read


@dataclass(frozen=True)
class LinkSummary:
    """What a report says of one CX metric: its link and latest perception gap, as values
    (kept so), worded in the reader's language when shown (figures.link_sentences)."""

    name: str  # short, as in the sentence: "CSAT"
    said: LinkSaid
    gap_period: dt.date | None = None
    gap: GapSaid | None = None
    cadence: str = "weekly"  # the CX series' periods: a gap row is a week, month or quarter

    @property
    def sentence(self) -> str:
        return self.said.sentence

    @property
    def gap_sentence(self) -> str | None:
        return None if self.gap is None else self.gap.sentence


@dataclass(frozen=True)
class ReportFigures:
    team: TeamFigures
    links: tuple[LinkSummary, ...]


def window_of(
    config: AppConfig,
    key: str,
    *,
    weeks: int,
    now: dt.datetime,
    stored: Mapping[str, str] | None = None,
) -> Window:
    """The weeks a team report loads: its own, the trend's, and what its CX links look back
    over: a year of weeks, or LINK_PERIODS months or quarters for a monthly or quarterly
    series (as config.toml declares it, else as ``stored``: metric -> stored cadence)."""
    history = weeks + EXTRA_WEEKS
    for metric in _metrics(config, key):
        period: str = config.cx.period_of(metric).period
        if metric not in config.cx.metrics and stored:
            period = stored.get(metric, period)
        back = LINK_WEEKS if period == "weekly" else LINK_PERIODS[period] * WEEKS_IN[period]
        history = max(history, back)
    return Window.ending(now.date(), weeks=weeks, history=history)


def _metrics(config: AppConfig, key: str) -> tuple[str, ...]:
    team = config.team(key)
    return tuple(team.cx_metrics) if team else ()


@dataclass(frozen=True)
class Asked:
    """One team's report at a moment: what names its figures and what computes them."""

    config: AppConfig
    workspace_id: int
    key: str
    window: Window
    closed_by: dt.datetime
    engagement: tuple[str, ...]

    @classmethod
    def of(
        cls,
        session: Session,
        config: AppConfig,
        workspace_id: int,
        key: str,
        *,
        weeks: int,
        now: dt.datetime,
    ) -> Asked:
        stored = team_cadences(session, workspace_id=workspace_id, team_key=key)
        window = window_of(config, key, weeks=weeks, now=now, stored=stored)
        return cls(config, workspace_id, key, window, now, bank_engagement())


def token(session: Session, asked: Asked) -> str | None:
    """The name of the report's figures, or None when a week is not kept fresh for them."""
    basis = store.basis(asked.config, asked.engagement)
    ws, window = asked.workspace_id, asked.window
    start, end = window.start, window.end
    seals = week_seals(session, workspace_id=ws, start=start, end=end)
    stored = stored_weeks(session, workspace_id=ws, basis=basis, start=start, end=end)
    if any(
        not store.fresh(stored.get(p), s) or s.closed > asked.closed_by for p, s in seals.items()
    ):
        return None
    cx_end = end + dt.timedelta(weeks=window.cx_after, days=6)
    named = {
        "format": FORMAT,
        "basis": basis,
        "node": asked.key,
        "window": [str(window.end), window.weeks, window.history, window.cx_after],
        "metrics": _metrics(asked.config, asked.key),
        "weeks": sorted((str(p), s.sealed, s.last_sealed.isoformat()) for p, s in seals.items()),
        "cx": cx_fingerprint(session, workspace_id=ws, team_key=asked.key, start=start, end=cx_end),
    }
    return hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()[:32]


def compute(session: Session, asked: Asked) -> ReportFigures:
    """The team's figures and links from figures.store (kept weeks, or the sums)."""
    figs = store.read(
        session,
        config=asked.config,
        workspace_id=asked.workspace_id,
        window=asked.window,
        closed_by=asked.closed_by,
        nodes=[asked.key],
        engagement=asked.engagement,
    )
    key = asked.key
    links = tuple(_summary(link) for link in team_links(figs, key, _metrics(asked.config, key)))
    return ReportFigures(team_figures(figs, [key])[key], links)


def _summary(link: MetricLink) -> LinkSummary:
    gap, cadence = link.perception_gap, str(link.cadence)
    if not len(gap):
        return LinkSummary(link.name, link.said, cadence=cadence)
    last = gap.iloc[-1]
    return LinkSummary(link.name, link.said, last["period"].date(), link.gap_said(last), cadence)


def team_report_figures(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    key: str,
    weeks: int,
    now: dt.datetime,
) -> ReportFigures:
    """What `/pulse report KEY WEEKS` shows at ``now``: kept when the worker has worked it
    out for these weeks, else computed; pulses left out below k counted now."""
    asked = Asked.of(session, config, workspace_id, key, weeks=weeks, now=now)
    named = token(session, asked)
    body = kept_report(session, workspace_id=workspace_id, token=named) if named else None
    if body is None:
        return compute(session, asked)
    left_out = small_pulse_count(
        session,
        workspace_id=workspace_id,
        start=asked.window.since,
        end=asked.window.end,
        k=config.privacy.min_group_size,
        now=now,
        teams=store.below(config, [key]),
    )
    return decode(body, left_out=left_out)


def warm(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    weeks: int = DEFAULT_WEEKS,
) -> int:
    """Work out every team's default report figures not kept yet; the number worked out.
    (A team with members of its own: a department's report goes through its teams.)
    Figures named by tokens no longer made (another week, other seals) are forgotten."""
    keep: set[str] = set()
    made = 0
    for team in config.teams:
        if team.usergroup is None and team.channel is None:
            continue  # a department without members: its report lists its teams' figures
        asked = Asked.of(session, config, workspace_id, team.key, weeks=weeks, now=now)
        named = token(session, asked)
        if named is None:
            continue
        keep.add(named)
        if kept_report(session, workspace_id=workspace_id, token=named) is not None:
            continue
        body = encode(compute(session, asked))
        keep_report(
            session, workspace_id=workspace_id, token=named, node=team.key, made_at=now, body=body
        )
        made += 1
    forget_reports(session, workspace_id=workspace_id, keep=keep)
    return made


# A report's figures as JSON: floats as Python writes them (read back bit for bit), dates
# as ISO text. Left-out pulses are not kept: they are counted at every request.


def encode(figures: ReportFigures) -> str:
    t = figures.team
    body = {
        "team": t.team,
        "since": t.since.isoformat(),
        "weeks": t.weeks,
        "period": t.period.isoformat() if t.period else None,
        "respondents": t.respondents,
        "invited": t.invited,
        "engagement": t.engagement,
        "sentence": t.sentence,
        "enps": t.enps,
        "enps_n": t.enps_n,
        "series": [[p.isoformat(), e] for p, e in t.series],
        "drivers": [
            [d.driver, d.score, d.n, d.period.isoformat(), d.change, d.within_noise]
            for d in t.drivers
        ],
        "flags": [
            [f.team, f.period.isoformat(), f.kind, f.reason, f.respondents, f.driver]
            for f in t.flags
        ],
        "perceived": [[p.isoformat(), s, n] for p, s, n in t.perceived],
        "links": [
            [
                x.name,
                asdict(x.said),
                x.gap_period.isoformat() if x.gap_period else None,
                asdict(x.gap) if x.gap else None,
                x.cadence,
            ]
            for x in figures.links
        ],
    }
    return json.dumps(body, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot keep {type(value).__name__} in a report's figures")


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def decode(body: str, *, left_out: int) -> ReportFigures:
    b = json.loads(body)
    team = TeamFigures(
        team=b["team"],
        since=_day(b["since"]),
        weeks=b["weeks"],
        period=_day(b["period"]) if b["period"] else None,
        respondents=b["respondents"],
        invited=b["invited"],
        engagement=b["engagement"],
        sentence=b["sentence"],
        enps=b["enps"],
        enps_n=b["enps_n"],
        series=tuple((_day(p), e) for p, e in b["series"]),
        drivers=tuple(
            DriverFigure(driver, score, n, _day(p), change, within)
            for driver, score, n, p, change, within in b["drivers"]
        ),
        flags=tuple(
            RedFlag(team, pd.Timestamp(p), kind, reason, respondents, driver)
            for team, p, kind, reason, respondents, driver in b["flags"]
        ),
        perceived=tuple((_day(p), s, n) for p, s, n in b["perceived"]),
        left_out=left_out,
    )
    links = tuple(
        LinkSummary(
            name,
            LinkSaid.kept(said),
            _day(p) if p else None,
            GapSaid(**gap) if gap else None,
            cadence,
        )
        for name, said, p, gap, cadence in b["links"]
    )
    return ReportFigures(team, links)
