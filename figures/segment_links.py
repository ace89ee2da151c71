"""The EX↔CX link by layer (issue 16): does the frontline's engagement move CSAT more than
the back office's? For each value of an attribute marked ``link = true`` in ``[[segments]]``
and each weekly CX metric, the link of the org link (figures.links: pooled within team over
every leaf team, lags 0–4 weeks, Holm-adjusted p and CI, insights.linkage) with each team's
engagement replaced by the engagement of that team's cell of the value: only cells the one
rule shows (figures.segment_figures), so the link rests on nothing a person could not see.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlmodel import Session

from figures.link_sentences import LinkSaid, ValueLink
from figures.links import ALPHA, LAGS, ORG_LINK_WEEKS, metric_name, on_engagement_weeks
from figures.pipeline import Figures
from figures.segment_figures import guarded_week, load_sums
from insights.linkage import link_finding, pooled_within_team
from settings.config import AppConfig


def layer_links(
    session: Session,
    *,
    fig: Figures,
    config: AppConfig,
    workspace_id: int,
    closed_by: dt.datetime,
    secret: bytes | None,
) -> list[ValueLink]:
    """(metric · value, its sentence) per weekly CX metric and value of the linked attribute."""
    seg = next((s for s in config.segments if s.link and s.values), None)
    if seg is None or fig.cx.empty:
        return []
    first = fig.window.end - dt.timedelta(weeks=ORG_LINK_WEEKS - 1)
    sums = load_sums(
        session,
        config=config,
        workspace_id=workspace_id,
        start=first,
        end=fig.window.end,
        now=closed_by,
        secret=secret,
    )
    rows = []
    for period in sorted(sums.part["period"].unique()):
        cells = guarded_week(fig, sums, pd.Timestamp(period)).cells
        cells = cells[
            cells["shown"]
            & cells["engagement"].notna()
            & cells["team"].isin(fig.tree.leaves)
            & (cells["attribute"] == seg.key)
        ]
        rows.append(cells[["team", "period", "value", "engagement"]])
    if not rows:
        return []
    ex_all = pd.concat(rows).rename(columns={"engagement": "score"})
    return links_by_value(ex_all, fig.cx[fig.cx["period"] >= pd.Timestamp(first)], seg.values)


def links_by_value(ex_all: pd.DataFrame, cx: pd.DataFrame, values: list[str]) -> list[ValueLink]:
    """Pure: ``ex_all`` (team, period, value, score: shown cells' engagement) against each
    weekly metric of ``cx`` (figures.pipeline's CX rows), pooled within team, per value;
    worded when shown, in the reader's language (figures.link_sentences.ValueLink)."""
    out = []
    for metric in sorted(set(cx["metric"])):
        mine = cx[cx["metric"] == metric]
        if mine.empty or ("cadence" in mine and (mine["cadence"] != "weekly").any()):
            continue  # monthly and quarterly series: the org link's own sentence covers them
        mine = on_engagement_weeks(mine)
        name = metric_name(metric, str(mine["scale"].iloc[-1]))
        for value in values:
            ex = ex_all[ex_all["value"] == value][["team", "period", "score"]]
            if ex.empty:
                out.append(ValueLink(name, value, None))
                continue
            lags = pooled_within_team(ex.reset_index(drop=True), mine, lags=LAGS)
            out.append(
                ValueLink(
                    name, value, LinkSaid(link_finding(lags, alpha=ALPHA), name, segment=value)
                )
            )
    return out
