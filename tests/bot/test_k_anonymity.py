"""No view, alone or combined with others, reveals anything about fewer than k people.

Hypothesis draws whole organisations (a team tree with departments, team sizes, k, weeks of
pulses with any number of respondents, a second pulse in some weeks, open pulses, comments,
CX metrics), stores them, and renders every view a manager or HR can get: `/pulse report`
for every team and department over several windows and for the whole org, the Home
dashboards, the weekly digest with its chart data, and the CSV export.

Then it changes, in the database, everything that must stay invisible — the answers of
every pulse fewer than k people answered (and how many of them answered, within 1..k−1),
of every pulse still open, of every question fewer than k answered, who gave which answer
inside a counted question, and the comments of hidden pulses — and renders again. Every
view must come out identical, byte for byte. A view that showed any of it, or any figure
that differs between two views by the answers of fewer than k people, would differ.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlmodel import SQLModel, col, select, update

from bot.blocks.digest import digest_messages
from bot.home import build_home
from bot.reporting import team_report
from figures.digest import build_digest, digest_window
from figures.digest_charts import heatmap_frame, trend_series
from figures.export import write_export
from figures.org import org_view
from figures.pipeline import figures as load_figures
from figures.teams import load_team_figures
from insights.questions import load_bank
from settings.config import AppConfig, parse_config
from storage.comments import save_written_answer
from storage.cx import CxRow, upsert_metrics
from storage.db import make_engine, read_scope, session_scope
from storage.models import Comment, Delivery, Pulse, PulseQuestion, Question, Response
from storage.org import Member, ensure_workspace, set_team_members, upsert_employees, upsert_team
from storage.pulses import open_pulse
from storage.questions import sync_questions
from storage.responses import record_answer
from storage.seal import seal_pulses

NOW = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)  # a Thursday: this week's pulses are open
LATER = NOW + dt.timedelta(days=4)  # the Monday after: every pulse has closed
THIS_TUESDAY = dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
WORKSPACE = "T0KANON"
HR = "U0HRADMIN"
QUESTIONS = [
    "wellbeing.after_difficult_customer",
    "workload.focus",
    "tools.information",
    "recognition.customer_wins",
    "perception.customers_felt",
    "enps.recommend",
]


@dataclass(frozen=True)
class PulseSpec:
    team: str
    weeks_ago: int  # 0: this week, still open at NOW
    extra: bool  # a second, ad-hoc pulse in the same week
    respondents: int
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Org:
    k: int
    parents: dict[str, str | None]
    sizes: dict[str, int]  # teams with members (departments have none)
    cx: tuple[str, ...]  # teams linked to CSAT
    pulses: tuple[PulseSpec, ...]
    seed: int

    def config(self) -> AppConfig:
        teams: list[dict[str, Any]] = []
        for i, (key, parent) in enumerate(self.parents.items()):
            team: dict[str, Any] = {"key": key, "name": f"Team {key.upper()}"}
            team["managers"] = [f"U0MGR{i}"]
            if key in self.sizes:
                team["usergroup"] = f"S0{key.upper()}"
            if parent is not None:
                team["parent"] = parent
            if key in self.cx:
                team["cx_metrics"] = ["csat"]
            teams.append(team)
        return parse_config(
            {
                "privacy": {"min_group_size": self.k},
                "hr": {"admins": [HR], "digest_channel": "C0PEOPLE"},
                "teams": teams,
            }
        )


@st.composite
def orgs(draw: st.DrawFn) -> Org:
    count = draw(st.integers(2, 5))
    keys = [f"t{i}" for i in range(count)]
    parents: dict[str, str | None] = {keys[0]: None}
    for i in range(1, count):
        parents[keys[i]] = draw(st.none() | st.sampled_from(keys[:i]))
    with_children = {p for p in parents.values() if p is not None}
    sizes = {
        key: draw(st.integers(2, 9))
        for key in keys
        if key not in with_children or draw(st.booleans())  # a department has no members
    }
    k = draw(st.integers(3, 5))
    weeks = draw(st.integers(2, 4))
    pulses = []
    for team, size in sizes.items():
        for weeks_ago in range(weeks):
            for extra in (False, True):
                if draw(st.booleans()) if not extra else draw(st.integers(0, 4)) == 0:
                    asked = tuple(
                        draw(
                            st.lists(
                                st.sampled_from(QUESTIONS), min_size=2, max_size=4, unique=True
                            )
                        )
                    )
                    who = draw(st.integers(0, size))
                    pulses.append(PulseSpec(team, weeks_ago, extra, who, asked))
    cx = tuple(key for key in sizes if draw(st.booleans()))
    return Org(k, parents, sizes, cx, tuple(pulses), draw(st.integers(0, 2**32 - 1)))


def _value(rnd: random.Random, kind: str) -> int:
    return rnd.randint(0, 10) if kind == "nps10" else rnd.randint(1, 5)


def store(engine: Engine, org: Org) -> int:
    """Write the org: teams, people, pulses with deliveries, answers, comments, CX values."""
    rnd = random.Random(org.seed)
    bank = load_bank()
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id=WORKSPACE, name="K Co")
        assert ws.id is not None
        questions = sync_questions(s, bank.active())
        ids: dict[str, int] = {}
        for key, parent in org.parents.items():  # parents come before their children
            team = upsert_team(
                s,
                workspace_id=ws.id,
                key=key,
                name=f"Team {key.upper()}",
                usergroup=f"S0{key.upper()}" if key in org.sizes else None,
                channel=None,
                parent_id=ids[parent] if parent else None,
            )
            ids[key] = team.id or 0
        people: dict[str, list[int]] = {}
        for key, size in org.sizes.items():
            members = [Member(f"U0{key.upper()}P{i}", f"P{i}", "UTC") for i in range(size)]
            found = upsert_employees(s, workspace_id=ws.id, members=members)
            people[key] = list(found.values())
            set_team_members(s, team_id=ids[key], employee_ids=people[key])
        for spec in sorted(org.pulses, key=lambda p: (-p.weeks_ago, p.extra)):  # in time order
            opened = THIS_TUESDAY - dt.timedelta(weeks=spec.weeks_ago, hours=-2 * spec.extra)
            pulse = open_pulse(
                s,
                workspace_id=ws.id,
                team_id=ids[spec.team],
                question_ids=[questions[q].id or 0 for q in spec.questions],
                opened_at=opened,
                closes_at=opened + dt.timedelta(hours=72),
                deliveries=[(e, opened) for e in people[spec.team]],
            )
            s.exec(update(Delivery).where(Delivery.pulse_id == pulse.id).values(status="sent"))
            for person in range(spec.respondents):
                answered = [q for q in spec.questions if rnd.random() < 0.8] or [spec.questions[0]]
                for q in answered:
                    record_answer(
                        s,
                        pulse_id=pulse.id or 0,
                        question_id=questions[q].id or 0,
                        respondent=f"{pulse.id}-{person}",
                        value=_value(rnd, questions[q].kind),
                    )
                if rnd.random() < 0.3:
                    body = f"comment {rnd.randrange(10**6)}"
                    save_written_answer(
                        s,
                        pulse_id=pulse.id or 0,
                        question_id=None,
                        respondent=f"{pulse.id}-{person}",
                        body=body,
                    )
        weeks = 1 + max((p.weeks_ago for p in org.pulses), default=0)
        monday = THIS_TUESDAY.date() - dt.timedelta(days=1)
        rows = [
            CxRow(ids[key], "csat", monday - dt.timedelta(weeks=w), v, v, "0-100", 40)
            for key in org.cx
            for w in range(weeks + 2)
            for v in [float(rnd.randint(50, 95))]
        ]
        upsert_metrics(s, workspace_id=ws.id, rows=rows)
        return ws.id


def hide_what_must_not_show(engine: Engine, org: Org, *, open_pulses: bool) -> int:
    """Change what no view may depend on: pulses and questions below k, who said what in a
    counted question; with ``open_pulses``, the answers of pulses still open at NOW (and
    only those). Returns how many answers were changed."""
    rnd, k, changed = random.Random(org.seed ^ (0x5EED + open_pulses)), org.k, 0
    with session_scope(engine) as s:
        kinds = dict(s.exec(select(Question.id, Question.kind)).all())
        for pulse in s.exec(select(Pulse)).all():
            rows = list(s.exec(select(Response).where(Response.pulse_id == pulse.id)))
            people = sorted({r.respondent for r in rows})
            open_now = pulse.closes_at > NOW
            if open_pulses:
                if open_now:
                    for r in rows:
                        r.value = _value(rnd, kinds[r.question_id])
                        s.add(r)
                    changed += len(rows)
                continue
            if len(people) < k:
                for r in rows:
                    r.value = _value(rnd, kinds[r.question_id])
                    s.add(r)
                for c in s.exec(select(Comment).where(Comment.pulse_id == pulse.id)):
                    c.body = f"changed {rnd.randrange(10**6)}"
                    s.add(c)
                changed += len(rows)
                if 1 <= len(people) < k:
                    changed += _change_who_answered(s, pulse, people, kinds, rnd, k)
                continue
            cells: dict[int, list[Response]] = {}
            for r in rows:
                cells.setdefault(r.question_id, []).append(r)
            for cell in cells.values():
                values = [r.value for r in cell]
                if len(cell) < k:
                    values = [_value(rnd, kinds[cell[0].question_id]) for _ in cell]
                else:
                    rnd.shuffle(values)  # who said what, inside a counted question
                for r, v in zip(cell, values, strict=True):
                    r.value = v
                    s.add(r)
                changed += len(cell)
        _reseal(s)
    return changed


def _reseal(s: Any) -> None:
    """Figures read the pulses' seals (storage.seal): seal them again from the changed rows."""
    s.flush()
    seal_pulses(s, pulse_ids=list(s.exec(select(Pulse.id)).all()), now=NOW)


def _change_who_answered(
    s: Any, pulse: Pulse, people: list[str], kinds: dict[Any, str], rnd: random.Random, k: int
) -> int:
    """One more or one fewer respondent, staying between 1 and k−1."""
    if len(people) > 1 and (len(people) == k - 1 or rnd.random() < 0.5):
        gone = people[0]
        for r in s.exec(select(Response).where(Response.pulse_id == pulse.id)):
            if r.respondent == gone:
                s.delete(r)
        return 1
    asked = s.exec(select(PulseQuestion.question_id).where(PulseQuestion.pulse_id == pulse.id))
    qid = next(iter(asked))
    record_answer(
        s, pulse_id=pulse.id, question_id=qid, respondent="newcomer", value=_value(rnd, kinds[qid])
    )
    return 1


def views(engine: Engine, org: Org, out: Path, *, at: dt.datetime) -> dict[str, str]:
    """Every view a manager or HR can get at ``at``, as text."""
    config = org.config()
    got: dict[str, str] = {}
    with read_scope(engine) as s:
        ws = s.exec(select(func.min(Pulse.workspace_id))).one() or 0
        for key, weeks in [(None, 1), (None, 12), *((key, 12) for key in org.parents)]:
            reply = team_report(
                s,
                config=config,
                slack_team_id=WORKSPACE,
                user_id=HR,
                team_key=key,
                now=at,
                weeks=weeks,
            )
            got[f"report {key} {weeks}w"] = json.dumps(reply, ensure_ascii=False, indent=0)
        figures = load_team_figures(
            s, config=config, workspace_id=ws, teams=list(org.parents), weeks=12, now=at
        )
        got["figures"] = "\n".join(repr(f) for f in figures.values())
        home = build_home(  # HR's dashboard: every team's card, as managers see theirs
            s,
            config=config,
            secret=b"k-anonymity-secret",
            slack_team_id=WORKSPACE,
            user_id=HR,
            now=at,
        )
        got["home"] = json.dumps(home, ensure_ascii=False, indent=0)
        digest = build_digest(s, config=config, workspace_id=ws, now=at, with_charts=False)
        got["digest"] = json.dumps(digest_messages(digest=digest), ensure_ascii=False, indent=0)
        window = digest_window(at, config, 12)
        fig = load_figures(s, config=config, workspace_id=ws, window=window, closed_by=at)
        org_now = org_view(fig, config=config)
        if org_now.period is not None:  # as figures.digest_charts.charts draws them
            got["trend chart"] = repr(trend_series(fig, org=org_now))
        heat = heatmap_frame(fig, org=org_now, config=config, labels={})
        got["heatmap"] = heat.to_csv()
        write_export(s, config=config, workspace_id=ws, out=out, weeks=12, now=at)
        for csv in sorted(out.glob("*.csv")):
            got[f"export {csv.name}"] = csv.read_text()
    return got


def _first_difference(before: dict[str, str], after: dict[str, str]) -> str:
    for name in before:
        if before[name] != after.get(name):
            diff = difflib.unified_diff(
                before[name].splitlines(), after.get(name, "").splitlines(), lineterm="", n=1
            )
            return f"{name} changed:\n" + "\n".join(list(diff)[:40])
    return ""


@pytest.fixture
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A new SQLite database (and scratch folder) for each drawn org."""

    def make() -> tuple[Engine, Path]:
        folder = tmp_path_factory.mktemp("org")
        engine = make_engine(f"sqlite:///{folder / 'org.db'}")
        SQLModel.metadata.create_all(engine)
        made.append(engine)
        return engine, folder

    made: list[Engine] = []
    yield make
    for engine in made:
        engine.dispose()


EXAMPLES = int(os.environ.get("PULSE_PRIVACY_EXAMPLES", "4"))  # more: a longer hunt
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _unchanged_when_hidden_answers_change(fresh: Any, org: Org, *, at: dt.datetime) -> None:
    engine, folder = fresh()
    store(engine, org)
    before = views(engine, org, folder / "before", at=at)
    changed = hide_what_must_not_show(engine, org, open_pulses=False)
    if at < LATER:
        changed += hide_what_must_not_show(engine, org, open_pulses=True)
    note(f"{changed} hidden answers changed")
    after = views(engine, org, folder / "after", at=at)
    assert before == after, _first_difference(before, after)


@PROPERTY
@given(org=orgs())
def test_while_pulses_are_open_no_view_moves_with_hidden_answers(fresh: Any, org: Org) -> None:
    """At NOW, this week's pulses are open: their answers are hidden too."""
    _unchanged_when_hidden_answers_change(fresh, org, at=NOW)


@PROPERTY
@given(org=orgs())
def test_once_every_pulse_closed_no_view_moves_with_hidden_answers(fresh: Any, org: Org) -> None:
    """At LATER every pulse has closed: only pulses and questions below k stay hidden."""
    _unchanged_when_hidden_answers_change(fresh, org, at=LATER)


def test_the_views_do_show_what_k_people_answered(fresh: Any) -> None:
    """The comparison above can fail: changing counted answers changes what is shown."""
    org = Org(
        k=3,
        parents={"t0": None, "t1": "t0"},
        sizes={"t1": 6},
        cx=(),
        pulses=(PulseSpec("t1", 1, False, 6, tuple(QUESTIONS[:3])),),
        seed=7,
    )
    engine, folder = fresh()
    store(engine, org)
    before = views(engine, org, folder / "before", at=NOW)
    with session_scope(engine) as s:
        value = col(Response.value)
        s.exec(update(Response).where(value < 5).values(value=value + 1))
        _reseal(s)
    after = views(engine, org, folder / "after", at=NOW)
    changed = {name for name in before if before[name] != after[name]}
    assert {"report t1 12w", "report t0 12w", "report None 12w", "figures", "home"} <= changed
    assert {"digest", "export teams.csv", "export drivers.csv", "heatmap"} <= changed
