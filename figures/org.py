"""The org's week from the one pipeline: what the digest and the alerts read.

Pure, over a ``figures.pipeline.Figures`` of the whole workspace: the org's engagement
trend (like-for-like: a change only between weeks the same teams answered), the latest
shown week's line for each team whose own members answered it, the red flags of that week
(figures.teams.team_flags, the report's rule) and the pooled EX↔CX links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from figures.links import ORG_LINK_WEEKS, MetricLink, org_links
from figures.pipeline import Figures
from figures.teams import like_for_like, team_flags
from insights.alerts import RedFlag
from insights.scores import ORG, trend
from settings.config import AppConfig


@dataclass(frozen=True)
class OrgView:
    period: pd.Timestamp | None  # the latest shown week of the org in the window
    k: int
    scores: pd.DataFrame  # the org's trend() rows of shown weeks in the window
    teams: pd.DataFrame  # trend() rows of ``period`` for teams that answered, plus ``visible``
    flags: list[RedFlag]  # teams at risk that week (each carries its respondents)
    links: list[MetricLink]  # pooled within team over every team linked to the metric
    # per week, the teams with a counted pulse (storage.reportable): what an org figure covers
    measured: Mapping[pd.Timestamp, frozenset[str]] = field(default_factory=dict)

    @property
    def shown(self) -> set[str]:
        """Teams that may be named in ``period``."""
        return set(self.teams.loc[self.teams["visible"], "team"])


def org_view(
    fig: Figures, *, config: AppConfig, links: bool = True, link_weeks: int = ORG_LINK_WEEKS
) -> OrgView:
    """The org's window; ``links=False`` skips the EX↔CX statistics (alerts need none)."""
    since, first = pd.Timestamp(fig.window.since), fig.window.first()
    scores = fig.scores[fig.scores["period"] >= first]
    shown = scores[scores["shown"]]
    measured = fig.answered.by_week
    org = like_for_like(trend(shown[shown["team"] == ORG]), fig.answered)
    org = org[org["period"] >= since].reset_index(drop=True)
    latest = org["period"].max() if len(org) else None
    metrics = sorted({m for t in config.teams for m in t.cx_metrics})
    pooled = org_links(fig, metrics, weeks=link_weeks) if links else []
    if latest is None or pd.isna(latest):
        return OrgView(None, fig.k, org, scores.iloc[:0].assign(visible=True), [], pooled, measured)
    own = [t for t in measured.get(latest, ()) if fig.own(t, latest)]
    mine = scores[scores["team"].isin(own)]
    trended = trend(mine[mine["shown"]])
    teams = pd.concat(
        [
            trended[trended["period"] == latest].assign(visible=True),
            mine[(mine["period"] == latest) & ~mine["shown"]].assign(visible=False),
        ],
        ignore_index=True,
    )
    for column in ("change_prev_within_noise", "change_baseline_within_noise"):
        if column in teams:  # hidden rows have no change: never beyond noise
            teams[column] = teams[column].astype("boolean").fillna(True).astype(bool)
    flags = team_flags(fig, shown, fig.shown_drivers, own, since, period=latest)
    ordered = [flag for team in sorted(flags) for flag in flags[team]]
    return OrgView(latest, fig.k, org, teams, ordered, pooled, measured)
