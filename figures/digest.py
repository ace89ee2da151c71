"""The weekly HR digest as plain data, every figure from the one pipeline (figures.pipeline).

It reports the last completed week (Monday–Sunday before ``now``), so answers still coming
in this week never move it. A team is named only when the one privacy rule shows its week:
at least k respondents and not isolatable by subtracting shown figures (visible_groups over
org → departments → teams). Renderers (bot/blocks/digest.py) only format what is here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import ParamSpec, cast
from zoneinfo import ZoneInfo

import pandas as pd
from sqlmodel import Session

from figures import store
from figures.commitments import CommitmentLine, commitment_lines
from figures.digest_charts import HEATMAP_WEEKS, MAX_LAG_WEEKS, Chart, charts
from figures.link_sentences import ValueLink, after_colon, gap_sentence
from figures.links import ORG_LINK_PERIODS, ORG_LINK_WEEKS, WEEKS_IN
from figures.org import OrgView, org_view
from figures.pipeline import EXTRA_WEEKS, Window
from figures.segment_charts import segment_heatmap
from figures.segment_figures import SegmentCut, org_cuts
from figures.segment_links import layer_links
from insights.alerts import RedFlag
from insights.privacy import visible
from settings.config import AppConfig
from settings.i18n import short_date, tr, using

P = ParamSpec("P")
MAX_WINS = 5  # improvements worth celebrating, biggest first
MAX_GAPS = 3  # perception gaps per metric, widest first
AGREE_WITHIN = 5.0  # points: a smaller perception gap is "reads customers well"
GAP_WEEKS = 4  # a perception gap older than this is not news


@dataclass(frozen=True)
class OrgFigures:
    """The org headline, all of the digest's week (``Digest.week``), like every team line."""

    respondents: int
    engagement: float
    engagement_trend: str  # "Up 3 points from last week (beyond noise for 812 respondents)"
    participation: float | None  # 0–1
    participation_change: float | None  # points vs the week before (both weeks ≥ k)
    enps: float | None  # latest eNPS in the window from ≥ k answers, −100…100
    enps_week: dt.date | None
    enps_change: float | None  # vs the eNPS measurement before it
    teams: int = 0  # teams whose counted pulse makes up the week (storage.reportable)
    teams_total: int = 0  # teams that are pulsed (config teams with members)


@dataclass(frozen=True)
class TeamLine:
    """One team's line; ``text`` is written in HR's language, but for the parts only the
    renderer can word (bot.blocks.sentences): a line at risk keeps its flags' ``reasons``, an
    improvement its week's ``change`` and ``engagement``."""

    key: str
    name: str
    text: str
    reasons: tuple[str, ...] = ()
    change: str | None = None
    engagement: float | None = None


@dataclass(frozen=True)
class Digest:
    week: dt.date | None  # Monday of the week reported on; None before any answers
    k: int
    weeks: int
    org: OrgFigures | None  # None when the org's week had fewer than k respondents
    at_risk: list[TeamLine] = field(default_factory=list)
    improved: list[TeamLine] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (CX metric, its sentence)
    gaps: list[TeamLine] = field(default_factory=list)
    commitments: list[CommitmentLine] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    teams_hidden: int = 0  # teams not named: below k that week, or isolatable (k guard)
    segments: list[SegmentCut] = field(default_factory=list)  # the org's week per attribute
    segment_links: list[ValueLink] = field(default_factory=list)  # worded when shown


def report_now(now: dt.datetime, tz: str = "UTC") -> dt.datetime:
    """A moment inside the last completed week (weeks as HR's time zone sees them)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    sunday = today - dt.timedelta(days=today.weekday() + 1)
    return dt.datetime.combine(sunday, dt.time(12), dt.UTC)


def safe_flags(org: OrgView) -> list[RedFlag]:
    """Flags from at least k respondents about teams that may be named."""
    shown = org.shown
    return [
        f
        for f in org.flags
        if f.team in shown and f.respondents is not None and visible(f.respondents, org.k)
    ]


def digest_window(now: dt.datetime, config: AppConfig, weeks: int) -> Window:
    """The digest's weeks: ``weeks`` up to the last completed one, with the pooled links' half
    year (ORG_LINK_PERIODS months or quarters for a metric config.toml declares monthly or
    quarterly), the heatmap's weeks and the CX a chart shows after engagement."""
    when = report_now(now, config.hr.digest_timezone)
    history = max(weeks + EXTRA_WEEKS, ORG_LINK_WEEKS, HEATMAP_WEEKS)
    for metric in {m for t in config.teams for m in t.cx_metrics}:
        period = config.cx.period_of(metric).period
        if period != "weekly":
            history = max(history, ORG_LINK_PERIODS[period] * WEEKS_IN[period])
    return Window.ending(when.date(), weeks=weeks, history=history, cx_after=MAX_LAG_WEEKS)


def _in_hr_language(build: Callable[P, Digest]) -> Callable[P, Digest]:
    """``build`` (given ``config=``) writes its texts and draws its charts in ``[hr] locale``,
    whoever calls it (the worker, `pulse digest`, tests)."""

    @wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> Digest:
        config = cast(AppConfig, kwargs["config"])  # keyword-only in both
        with using(config.hr.locale):
            return build(*args, **kwargs)

    return built


@_in_hr_language
def build_digest(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    weeks: int = 12,
    driver_labels: Mapping[str, str] | None = None,
    with_charts: bool = True,
    engagement: Collection[str] | None = None,
    secret: bytes | None = None,
) -> Digest:
    """Load and assemble the digest of the week before ``now`` (run it in read_scope); its
    texts and charts in HR's language (``[hr] locale``)."""
    labels = dict(driver_labels or {})
    fig = store.read(
        session,
        nodes=None,
        config=config,
        workspace_id=workspace_id,
        window=digest_window(now, config, weeks),
        closed_by=now,
        engagement=engagement,
    )
    org = org_view(fig, config=config)
    lines = commitment_lines(
        session, config=config, workspace_id=workspace_id, now=now, weeks=weeks, labels=labels
    )
    left_out: set[str] = set()
    if org.period is not None:
        left_out = fig.small_in(org.period)
    drawn = charts(fig, org=org, config=config, labels=labels) if with_charts else []
    cuts, by_layer = [], []
    if org.period is not None:
        cuts = org_cuts(
            session,
            fig=fig,
            config=config,
            workspace_id=workspace_id,
            period=org.period,
            closed_by=now,
            secret=secret,
        )
        by_layer = layer_links(
            session,
            fig=fig,
            config=config,
            workspace_id=workspace_id,
            closed_by=now,
            secret=secret,
        )
        if with_charts:
            heat = segment_heatmap(cuts, labels=labels, week=org.period.date(), k=org.k)
            drawn = drawn if heat is None else [*drawn, heat]
    digest = assemble(
        org, config=config, weeks=weeks, commitments=lines, charts=drawn, left_out=left_out
    )
    if digest.org is None:
        return digest
    return replace(digest, segments=cuts, segment_links=by_layer)


@_in_hr_language
def assemble(
    org: OrgView,
    *,
    config: AppConfig,
    weeks: int = 12,
    commitments: list[CommitmentLine] | None = None,
    charts: list[Chart] | None = None,
    left_out: set[str] | None = None,
) -> Digest:
    """The digest from the org's guarded figures: pure; names only teams the rule shows.

    ``left_out``: teams with a pulse that week that closed with fewer than k respondents
    (storage.left_out); counted among the teams not named unless other answers show them.
    Its texts are in HR's language (``[hr] locale``)."""
    k, week = org.k, None if org.period is None else org.period.date()
    lines = commitments or []
    if week is None:
        return Digest(week=None, k=k, weeks=weeks, org=None, commitments=lines)
    shown = org.shown
    name = {t.key: t.name for t in config.teams}
    teams = org.teams[org.teams["team"].isin(shown)]
    return Digest(
        week=week,
        k=k,
        weeks=weeks,
        org=_org_figures(org, config, week),
        at_risk=_at_risk(safe_flags(org), name),
        improved=_improved(teams, name),
        links=[(link.name, link.sentence) for link in org.links],
        gaps=_gaps(org, shown, name, week),
        commitments=lines,
        charts=charts or [],
        teams_hidden=len(
            set(org.teams["team"][~org.teams["team"].isin(shown)])
            | (set(left_out or ()) - set(teams["team"]))
        ),
    )


def _org_figures(org: OrgView, config: AppConfig, week: dt.date) -> OrgFigures | None:
    """The org's figures of ``week`` itself (never an earlier week's); its changes only from
    a week the same teams answered (figures.teams.like_for_like, applied by org_view)."""
    seen = org.scores
    this = seen[seen["period"] == pd.Timestamp(week)]
    if this.empty:
        return None
    last = this.iloc[-1]
    before = seen[seen["period"] == last["period"] - pd.Timedelta(weeks=1)]
    change = None
    if len(before) and pd.notna(last.get("change_prev", 0)):
        change = float(last["participation"] - before["participation"].iloc[0]) * 100
        change = None if pd.isna(change) else change
    enps = seen[seen["enps"].notna() & (seen["enps_n"] >= org.k)]
    enps = enps[enps["period"] <= last["period"]]
    return OrgFigures(
        respondents=int(last["respondents"]),
        engagement=float(last["engagement"]),
        engagement_trend=str(last["sentence"]),
        participation=None if pd.isna(last["participation"]) else float(last["participation"]),
        participation_change=change,
        enps=float(enps["enps"].iloc[-1]) if len(enps) else None,
        enps_week=enps["period"].iloc[-1].date() if len(enps) else None,
        enps_change=float(enps["enps"].iloc[-1] - enps["enps"].iloc[-2]) if len(enps) > 1 else None,
        teams=len(org.measured.get(last["period"], ())),
        teams_total=sum(1 for t in config.teams if t.usergroup or t.channel),
    )


def _at_risk(flags: list[RedFlag], name: Mapping[str, str]) -> list[TeamLine]:
    """One line per team, most flags first, then in config.toml order.

    A team is flagged only in a week its own members answered (figures.teams.team_flags),
    so it is counted once and a department never for its teams' flags alone."""
    by_team: dict[str, list[str]] = {}
    for flag in flags:
        by_team.setdefault(flag.team, []).append(flag.reason)
    order = {key: i for i, key in enumerate(name)}
    ranked = sorted(by_team.items(), key=lambda kv: (-len(kv[1]), order.get(kv[0], len(order))))
    return [
        TeamLine(key, name.get(key, key), " ".join(reasons), tuple(reasons))
        for key, reasons in ranked
    ]


def _improved(teams: pd.DataFrame, name: Mapping[str, str]) -> list[TeamLine]:
    """Teams up from last week beyond noise, biggest rise first."""
    up = teams[(teams["change_prev"] > 0) & ~teams["change_prev_within_noise"]]
    up = up.sort_values(["change_prev", "team"], ascending=[False, True]).head(MAX_WINS)
    return [
        TeamLine(
            r.team,
            name.get(r.team, r.team),
            f"{r.sentence}; engagement now {r.engagement:.0f}.",
            change=str(r.sentence),
            engagement=float(r.engagement),
        )
        for r in up.itertuples(index=False)
    ]


def _gaps(org: OrgView, shown: set[str], name: Mapping[str, str], week: dt.date) -> list[TeamLine]:
    """Per metric, the widest gaps between what a team believes and what customers said.

    Each team's latest week with both figures in the last ``GAP_WEEKS`` weeks (the perception
    question is not asked every week); the team must be nameable this week.
    """
    lines = []
    recent = pd.Timestamp(week) - pd.Timedelta(weeks=GAP_WEEKS - 1)
    for link in org.links:
        gap = link.perception_gap
        if gap.empty:
            continue
        gap = gap[(gap["period"] >= recent) & gap["team"].isin(shown)]
        gap = gap.sort_values("period").groupby("team").tail(1)
        gap = gap[gap["gap"].abs() >= AGREE_WITHIN].assign(size=lambda d: d["gap"].abs())
        widest = gap.sort_values(["size", "team"], ascending=[False, True]).head(MAX_GAPS)
        for _, r in widest.iterrows():
            said = after_colon(gap_sentence(link.gap_said(r), yours=False))
            when = ""
            if r["period"] != pd.Timestamp(week):
                when = " (" + tr("week of {day}").format(day=short_date(r["period"].date())) + ")"
            text = f"{link.name}{when}: {said}"
            lines.append(TeamLine(r["team"], name.get(r["team"], r["team"]), text))
    return lines
