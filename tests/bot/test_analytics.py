"""Team and org insights on a seeded org whose CSAT follows engagement two weeks later."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import select

from bench.org_model import WORKSPACE, config_for
from bench.seed import seed
from figures.analytics import org_insights, team_insights
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


def test_the_planted_lag_2_link_is_reported_for_a_team_and_the_org(engine: Engine) -> None:
    ws = seeded(engine, employees=96, teams=8, weeks=52)
    config = config_for(8)
    with session_scope(engine) as s:
        planted = team_insights(s, config=config, workspace_id=ws, team_key="team-000", now=NOW)
        plain = team_insights(s, config=config, workspace_id=ws, team_key="team-001", now=NOW)
        dept = team_insights(s, config=config, workspace_id=ws, team_key="dept-00", now=NOW)
        org = org_insights(s, config=config, workspace_id=ws, now=NOW, link_weeks=52)

    assert planted.period == pd.Timestamp("2026-11-23") and planted.visible
    assert len(planted.scores) == 12 and planted.scores["visible"].all()
    assert (
        planted.scores["respondents"].iloc[-1]
        == planted.respondents
        >= config.privacy.min_group_size
    )
    csat, nps = planted.links
    assert (csat.metric, csat.best_lag, nps.metric) == ("csat", 2, "nps")
    assert csat.sentence.startswith("Engagement tends to lead CSAT by 2 weeks (r = ")
    assert csat.lags.loc[csat.lags["lag"] == 2, "p_holm"].iloc[0] < 0.05
    assert set(csat.drivers["lag"]) == {2} and csat.drivers["rank"].min() == 1
    gap = csat.perception_gap["sentence"].iloc[-1]
    assert gap.startswith(("Your team reads customers well", "Customers rated")), gap
    assert nps.sentence.startswith("No reliable link yet between engagement and NPS")
    assert plain.links[0].sentence.startswith("No reliable link yet between engagement and CSAT")
    assert plain.links[0].drivers.empty  # nothing to explain without a reliable link

    assert dept.respondents > planted.respondents  # the department rolls up its eight teams

    pooled = {link.metric: link for link in org.links}
    assert pooled["csat"].best_lag == 2 and "across 8 teams" in pooled["csat"].sentence
    assert pooled["csat"].sentence.startswith("Engagement tends to lead CSAT by 2 weeks")
    assert set(org.teams["team"]) == {f"team-{t:03d}" for t in range(8)}
    assert org.scores["team"].eq("(org)").all() and org.scores["visible"].all()
    assert org.drivers["visible"].all() and not org.drivers.empty
    assert all(flag.respondents is not None for flag in org.flags)


def test_groups_below_k_are_marked_and_never_feed_a_link(engine: Engine) -> None:
    ws = seeded(engine, employees=16, teams=4, weeks=20)  # four people per team, k is 5
    config = config_for(4)
    with session_scope(engine) as s:
        small = team_insights(s, config=config, workspace_id=ws, team_key="team-000", now=NOW)
        org = org_insights(s, config=config, workspace_id=ws, now=NOW)
    assert not small.visible and not small.scores["visible"].any()
    assert small.links[0].sentence.startswith("Not enough data yet")
    assert small.links[0].perception_gap.empty and small.links[0].drivers.empty
    # Answers of pulses below k count nowhere, not even in the org's figure.
    assert org.teams.empty and org.scores.empty
    assert org.links[0].sentence.startswith("Not enough data yet")
