"""Team and org links on a seeded org whose CSAT follows engagement two weeks later."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session, select

from bench.org_model import WORKSPACE, config_for
from bench.seed import seed
from figures.links import LINK_WEEKS, MetricLink, team_links
from figures.org import OrgView, org_view
from figures.pipeline import Figures, Window, figures
from figures.teams import TeamFigures, team_figures
from settings.config import AppConfig
from storage.db import session_scope
from storage.models import Workspace

NOW = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)  # Saturday: the week of 23 Nov has closed


def seeded(engine: Engine, *, employees: int, teams: int, weeks: int) -> int:
    """A seeded org; random seed 1 draws a truth whose team-000 link is clear in a year."""
    seed(
        engine,
        employees=employees,
        teams=teams,
        weeks=weeks,
        until=NOW.date(),
        seed=1,
        log=lambda _: None,
    )
    with session_scope(engine) as s:
        ws = s.exec(select(Workspace.id).where(Workspace.slack_team_id == WORKSPACE)).one()
    assert ws is not None
    return ws


def loaded(s: Session, config: AppConfig, ws: int) -> Figures:
    """What a 12-week report of a linked team loads: a year of weeks, once."""
    window = Window.ending(NOW.date(), weeks=12, history=LINK_WEEKS)
    return figures(s, config=config, workspace_id=ws, window=window, closed_by=NOW)


def team(fig: Figures, config: AppConfig, key: str) -> tuple[TeamFigures, list[MetricLink]]:
    cfg = config.team(key)
    assert cfg is not None
    return team_figures(fig, [key])[key], team_links(fig, key, cfg.cx_metrics or ["csat"])


def org(fig: Figures, config: AppConfig) -> OrgView:
    return org_view(fig, config=config, link_weeks=LINK_WEEKS)


def test_the_planted_lag_2_link_is_reported_for_a_team_and_the_org(engine: Engine) -> None:
    ws = seeded(engine, employees=96, teams=8, weeks=52)
    config = config_for(8)
    with session_scope(engine) as s:
        fig = loaded(s, config, ws)
    planted, (csat, nps) = team(fig, config, "team-000")
    _, (plain_csat,) = team(fig, config, "team-001")
    dept, _ = team(fig, config, "dept-00")
    pooled_org = org(fig, config)

    assert planted.period == dt.date(2026, 11, 23)
    assert len(planted.series) == 12  # every week of the window shown
    assert planted.respondents >= config.privacy.min_group_size
    assert (csat.metric, csat.best_lag, nps.metric) == ("csat", 2, "nps")
    assert csat.sentence.startswith("Engagement tends to lead CSAT by 2 weeks (r = ")
    assert csat.lags.loc[csat.lags["lag"] == 2, "p_holm"].iloc[0] < 0.05
    assert set(csat.drivers["lag"]) == {2} and csat.drivers["rank"].min() == 1
    gap = csat.gap_said(csat.perception_gap.iloc[-1]).sentence
    assert gap.startswith(("Your team reads customers well", "Customers rated")), gap
    assert nps.sentence.startswith("No reliable link yet between engagement and NPS")
    assert plain_csat.sentence.startswith("No reliable link yet between engagement and CSAT")
    assert plain_csat.drivers.empty  # nothing to explain without a reliable link

    assert dept.respondents > planted.respondents  # the department rolls up its eight teams

    pooled = {link.metric: link for link in pooled_org.links}
    assert pooled["csat"].best_lag == 2 and "across 8 teams" in pooled["csat"].sentence
    assert pooled["csat"].sentence.startswith("Engagement tends to lead CSAT by 2 weeks")
    assert set(pooled_org.teams["team"]) == {f"team-{t:03d}" for t in range(8)}
    assert pooled_org.teams["visible"].all()
    assert pooled_org.scores["team"].eq("(org)").all() and len(pooled_org.scores)
    org_drivers = fig.shown_drivers[
        (fig.shown_drivers["team"] == "(org)") & (fig.shown_drivers["period"] == pooled_org.period)
    ]
    assert not org_drivers.empty
    assert all(flag.respondents is not None for flag in pooled_org.flags)


def test_groups_below_k_are_marked_and_never_feed_a_link(engine: Engine) -> None:
    ws = seeded(engine, employees=16, teams=4, weeks=20)  # four people per team, k is 5
    config = config_for(4)
    with session_scope(engine) as s:
        fig = loaded(s, config, ws)
    small, links = team(fig, config, "team-000")
    whole = org(fig, config)
    assert small.period is None and not small.series
    assert links[0].sentence.startswith("Not enough data yet")
    assert links[0].perception_gap.empty and links[0].drivers.empty
    # Answers of pulses below k count nowhere, not even in the org's figure.
    assert whole.teams.empty and whole.scores.empty
    assert whole.links[0].sentence.startswith("Not enough data yet")
