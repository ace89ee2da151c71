"""Figures add up on every surface: report, Home, digest and export.

Random organisations and pulse histories (the k-anonymity property's generator, plus
biweekly and monthly teams, more second pulses in a week, people joining and leaving) are
stored; then every surface must say: respondents never more than the people invited,
participation at most 100%, a team's week is its latest closed pulse with k+ respondents
(never two pulses added up), the digest's org headline is the digest's week, and each team
at risk is counted once. The expected counts come from a plain loop over the stored pulses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.blocks.digest import digest_messages
from bot.home import build_home
from bot.reporting import team_report
from figures.digest import build_digest, report_now
from figures.export import write_export
from figures.teams import load_team_figures
from insights.scores import ORG
from settings.config import AppConfig
from storage.db import read_scope, session_scope
from storage.models import Delivery, Pulse, Response, Team
from storage.org import Member, upsert_employees
from storage.seal import seal_pulses
from tests.bot.test_k_anonymity import (
    HR,
    LATER,
    NOW,
    QUESTIONS,
    WORKSPACE,
    Org,
    PulseSpec,
    fresh,
    orgs,
    store,
)

__all__ = ["fresh"]  # the k-anonymity test's fixture: a new SQLite database per example
EXAMPLES = int(os.environ.get("PULSE_FIGURES_EXAMPLES", "3"))  # more: a longer hunt
INVITED = re.compile(r"(\d+) of (\d+) invited|(\d+)% · (\d+) of (\d+)")
PERCENT = re.compile(r"(\d+)%")
FLAGGED = re.compile(r"Teams with a red flag\* \((\d+)\)")


@dataclass(frozen=True)
class History:
    org: Org
    joined: dict[str, tuple[int, int]]  # team -> (people, from weeks_ago on)
    left: dict[str, tuple[int, int]]  # team -> (people, from weeks_ago on)


@st.composite
def histories(draw: st.DrawFn) -> History:
    """An org whose teams pulse weekly, every two weeks or monthly, with ad hoc second
    pulses (often answered by k+, always in one team last week), and members who join or
    leave along the way."""
    org = draw(orgs())
    doubled = draw(st.sampled_from(sorted(org.sizes)))  # last week: two pulses of k+ each
    size = max(org.sizes[doubled], org.k + draw(st.integers(0, 3)))
    org = replace(org, sizes={**org.sizes, doubled: size})
    asked = tuple(QUESTIONS[:4])
    twice = [PulseSpec(doubled, 1, x, draw(st.integers(org.k, size)), asked) for x in (False, True)]
    pulses = [p for p in org.pulses if (p.team, p.weeks_ago) != (doubled, 1)] + twice
    org = replace(org, pulses=tuple(pulses))
    every = {team: draw(st.sampled_from([1, 1, 2, 4])) for team in sorted(org.sizes)}
    pulses = []
    for spec in org.pulses:  # weekly, biweekly or monthly; ad hoc pulses whenever
        if spec.extra or spec.weeks_ago % every[spec.team] == 0 or spec in twice:
            pulses.append(spec)
    weeks = {(p.team, p.weeks_ago) for p in pulses}
    for team, week in sorted(weeks):
        size = org.sizes[team]
        if (team, week) in {(p.team, p.weeks_ago) for p in pulses if p.extra}:
            continue
        if size >= org.k and draw(st.booleans()):
            asked = tuple(draw(st.lists(st.sampled_from(QUESTIONS), min_size=2, unique=True)))
            pulses.append(PulseSpec(team, week, True, draw(st.integers(org.k, size)), asked))
    teams = sorted(org.sizes)
    change = st.tuples(st.integers(1, 3), st.integers(0, 3))
    joined = draw(st.dictionaries(st.sampled_from(teams), change, max_size=2))
    left = draw(st.dictionaries(st.sampled_from(teams), change, max_size=2))
    return History(replace(org, pulses=tuple(pulses)), joined, left)


def change_members(engine: Engine, history: History) -> None:
    """Joiners are invited to their team's pulses from a week on; leavers are not (never
    dropping a pulse's invitations below its respondents: nobody answers uninvited)."""
    monday = NOW.date() - dt.timedelta(days=NOW.weekday())
    with session_scope(engine) as s:
        ws = s.exec(select(func.min(Pulse.workspace_id))).one() or 0
        keys = dict(s.exec(select(Team.id, Team.key)).all())
        for pulse in s.exec(select(Pulse)).all():
            team = keys[pulse.team_id]
            weeks_ago = (monday - pulse.period_start).days // 7
            count, since = history.joined.get(team, (0, -1))
            if weeks_ago <= since:
                members = [Member(f"U0{team.upper()}J{i}", f"J{i}", "UTC") for i in range(count)]
                for employee in upsert_employees(s, workspace_id=ws, members=members).values():
                    s.add(
                        Delivery(
                            pulse_id=pulse.id or 0,
                            employee_id=employee,
                            status="sent",
                            next_attempt_at=pulse.opened_at,
                        )
                    )
            count, since = history.left.get(team, (0, -1))
            if weeks_ago <= since:
                answered = _respondents(s, pulse.id or 0)
                invites = list(s.exec(select(Delivery).where(Delivery.pulse_id == pulse.id)))
                for delivery in invites[: max(0, min(count, len(invites) - answered))]:
                    s.delete(delivery)
        s.flush()
        # the invitations changed the history before its pulses closed: seal them from it
        seal_pulses(s, pulse_ids=[p for p in s.exec(select(Pulse.id)).all() if p], now=NOW)


def _respondents(s: Any, pulse_id: int) -> int:
    query = select(func.count(func.distinct(Response.respondent))).where(
        Response.pulse_id == pulse_id
    )
    return int(s.exec(query).one())


def expected(engine: Engine, config: AppConfig, k: int, at: dt.datetime) -> pd.DataFrame:
    """By a plain loop: per (team, week) the latest pulse closed by ``at`` with k+ people,
    rolled up the tree; ``own`` > 0 when the group's own members answered that week."""
    rows = []
    with read_scope(engine) as s:
        keys = dict(s.exec(select(Team.id, Team.key)).all())
        for pulse in s.exec(select(Pulse).order_by(col(Pulse.opened_at), col(Pulse.id))).all():
            people = _respondents(s, pulse.id or 0)
            if pulse.closes_at > at or people < k:
                continue
            invited = s.exec(select(func.count()).where(Delivery.pulse_id == pulse.id)).one()
            rows.append((keys[pulse.team_id], pd.Timestamp(pulse.period_start), people, invited))
    frame = pd.DataFrame(rows, columns=["team", "period", "respondents", "invited"])
    leaf = frame.groupby(["team", "period"]).tail(1)  # the latest of the week
    groups = [
        (group, r.period, r.respondents, r.invited, int(group == r.team))
        for r in leaf.itertuples(index=False)
        for group in {r.team, *config.ancestors(r.team), ORG}
    ]
    rolled = pd.DataFrame(groups, columns=["team", "period", "respondents", "invited", "own"])
    return rolled.groupby(["team", "period"]).sum()


def _counts_add_up(text: str, where: str) -> None:
    """Every 'r of i invited' and 'p% · r of i' in a view: r ≤ i, p ≤ 100."""
    for found in INVITED.finditer(text):
        r, i = (found[1], found[2]) if found[1] else (found[4], found[5])
        assert int(r) <= int(i), f"{where}: {found[0]}"
        if found[3]:
            assert int(found[3]) <= 100, f"{where}: {found[0]}"
    for found in re.finditer(r"participation (\d+)%|Participation\*\\n(\d+)%", text):
        assert int(found[1] or found[2]) <= 100, f"{where}: {found[0]}"


def check(engine: Engine, history: History, out: Path, at: dt.datetime) -> None:
    org, config = history.org, history.org.config()
    want = expected(engine, config, org.k, at)
    want_own = {
        period: set(rows.index.get_level_values("team"))
        for period, rows in want[want["own"] > 0].groupby(level="period")
    }
    with read_scope(engine) as s:
        ws = s.exec(select(func.min(Pulse.workspace_id))).one() or 0
        figs = load_team_figures(
            s, config=config, workspace_id=ws, teams=[ORG, *org.parents], weeks=12, now=at
        )
        for key, fig in figs.items():
            if fig.period is not None:
                cell = want.loc[(key, pd.Timestamp(fig.period))]
                assert (fig.respondents, fig.invited) == (cell.respondents, cell.invited), key
                assert fig.participation is not None and fig.participation <= 1, key
            own = fig.period is not None and key in want_own.get(pd.Timestamp(fig.period), ())
            assert own or not fig.flags, f"{key}: flagged for its teams' answers"
        for asked in [None, *org.parents]:
            reply = team_report(
                s, config=config, slack_team_id=WORKSPACE, user_id=HR, team_key=asked, now=at
            )
            text = json.dumps(reply, ensure_ascii=False)
            _counts_add_up(text, f"report {asked}")
            below = {t for t in org.sizes if asked is None or asked in config.ancestors(t)}
            for found in FLAGGED.finditer(text):
                assert int(found[1]) <= len(below), f"report {asked}: {found[0]}"
        home = build_home(
            s, config=config, secret=b"s", slack_team_id=WORKSPACE, user_id=HR, now=at
        )
        _counts_add_up(json.dumps(home, ensure_ascii=False), "home")
        digest = build_digest(s, config=config, workspace_id=ws, now=at, with_charts=False)
        if digest.org is not None:
            assert digest.week is not None and digest.week <= report_now(at).date()
            cell = want.loc[(ORG, pd.Timestamp(digest.week))]
            assert digest.org.respondents == cell.respondents  # the digest's own week
            assert digest.org.participation is not None and digest.org.participation <= 1
        keys = [line.key for line in digest.at_risk]
        assert len(keys) == len(set(keys)), keys
        text = json.dumps(digest_messages(digest=digest), ensure_ascii=False)
        assert f"Teams at risk ({len(keys)}," in text or digest.org is None
        write_export(s, config=config, workspace_id=ws, out=out, weeks=12, now=at)
    teams = pd.read_csv(out / "teams.csv").dropna(subset=["respondents"])
    assert (teams["participation_pct"].dropna() <= 100).all()
    for r in teams.itertuples(index=False):
        cell = want.loc[(r.team, pd.Timestamp(r.week))]
        assert r.respondents == cell.respondents, (r.team, r.week)


PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(history=histories(), later=st.booleans())
def test_figures_add_up_on_every_surface(fresh: Any, history: History, later: bool) -> None:
    engine, folder = fresh()
    store(engine, history.org)
    change_members(engine, history)
    note(f"joined {history.joined}, left {history.left}")
    check(engine, history, folder / "export", LATER if later else NOW)


def test_two_pulses_in_a_week_count_once_and_a_flag_once(fresh: Any) -> None:
    """The reported cases: a team of 12 answers a scheduled pulse (8) and an ad hoc one (5)
    in one week: the week is 5 of 12, never 13 of 24; the low participation flags the team,
    and its department (the team is its only one) is not a second team at risk."""
    asked = tuple(QUESTIONS)
    org = Org(
        k=5,
        parents={"org": None, "dept": "org", "team": "dept", "other": "org"},
        sizes={"team": 12, "other": 6},
        cx=(),
        pulses=(
            PulseSpec("team", 1, False, 8, asked),
            PulseSpec("team", 1, True, 5, asked),
            PulseSpec("other", 1, False, 6, asked),
        ),
        seed=7,
    )
    engine, folder = fresh()
    store(engine, org)
    check(engine, History(org, {}, {}), folder / "export", LATER)
    config = org.config()
    with read_scope(engine) as s:
        ws = s.exec(select(func.min(Pulse.workspace_id))).one() or 0
        figs = load_team_figures(
            s, config=config, workspace_id=ws, teams=[*org.parents], weeks=4, now=LATER
        )
        reply = team_report(
            s, config=config, slack_team_id=WORKSPACE, user_id=HR, team_key="org", now=LATER
        )
    assert (figs["team"].respondents, figs["team"].invited) == (5, 12)
    assert (figs["org"].respondents, figs["org"].invited) == (11, 18)
    assert "low_participation" in {f.kind for f in figs["team"].flags} and not figs["dept"].flags
    flagged = [key for key in ("dept", "team", "other") if figs[key].flags]
    assert f"Teams with a red flag* ({len(flagged)})" in json.dumps(reply, ensure_ascii=False)
