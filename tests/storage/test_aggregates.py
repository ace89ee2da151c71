"""SQL aggregates equal what a hand (or a plain Python loop) computes from the answers.

Only reportable answers count: pulses closed by ``now`` with k+ respondents, and within
them questions with k+ answers (storage.reportable); k is 3 here, the lowest allowed.
Pulses are sealed as jobs.closing seals them (storage.seal); the frames read only the seals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete
from sqlmodel import Session

from storage.aggregates import driver_agg, participation
from storage.models import Delivery, Employee, Pulse, Question, Response, Team, Workspace
from storage.seal import seal

MONDAY = dt.date(2026, 11, 2)
MONDAY_UTC = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
K = 3
LATER = MONDAY_UTC + dt.timedelta(weeks=5)  # every pulse has closed
TEAMS = ("support", "success")
PEOPLE = 6
COUNTED = ("favourable", "promoters", "detractors")
STATUSES = ("pending", "claimed", "sent", "failed", "skipped")
QUESTIONS = {  # key: (driver, kind)
    "wellbeing.energy": ("wellbeing", "likert5"),
    "tools.what_i_need": ("tools", "likert5"),
    "wellbeing.rested": ("wellbeing", "likert5"),
    "enps.recommend": ("enps", "nps10"),
}
# An answer: (team, week, pulse number in that week, question key, person, value).
Answer = tuple[str, int, int, str, int, int]
# A delivery: (team, week, pulse number, person, outbox status).
Invite = tuple[str, int, int, int, str]


def _opened(week: int, number: int) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(weeks=week, days=number), dt.time(9), dt.UTC)


def build(s: Session, answers: Iterable[Answer], invites: Iterable[Invite]) -> int:
    """cx-org ⊃ {support, success}; one pulse per (team, week, number) that is mentioned."""
    ws = Workspace(slack_team_id="T0AGG")
    s.add(ws)
    s.flush()
    assert ws.id is not None
    dept = Team(workspace_id=ws.id, key="cx-org", name="CX")
    s.add(dept)
    s.flush()
    teams = {k: Team(workspace_id=ws.id, key=k, name=k, parent_id=dept.id) for k in TEAMS}
    questions = {
        k: Question(key=k, driver=d, kind=kind, text=k) for k, (d, kind) in QUESTIONS.items()
    }
    people = [Employee(workspace_id=ws.id, slack_user_id=f"U{i:03d}") for i in range(PEOPLE)]
    s.add_all([*teams.values(), *questions.values(), *people])
    s.flush()
    answers, invites = list(answers), list(invites)
    pulses: dict[tuple[str, int, int], Pulse] = {}
    for team, week, number in {a[:3] for a in answers} | {i[:3] for i in invites}:
        at = _opened(week, number)
        pulses[team, week, number] = Pulse(
            workspace_id=ws.id,
            team_id=teams[team].id,
            period_start=MONDAY + dt.timedelta(weeks=week),
            opened_at=at,
            closes_at=at + dt.timedelta(days=1),
        )
    s.add_all(pulses.values())
    s.flush()
    s.add_all(
        Response(
            pulse_id=pulses[team, week, number].id,
            question_id=questions[key].id,
            respondent=f"r{person}",  # the same key in two pulses is still two respondents
            value=value,
        )
        for team, week, number, key, person, value in answers
    )
    s.add_all(
        Delivery(
            pulse_id=pulses[team, week, number].id,
            employee_id=people[person].id,
            status=status,
            next_attempt_at=MONDAY_UTC,
        )
        for team, week, number, person, status in invites
    )
    s.flush()
    for pulse in pulses.values():  # as jobs.closing does; reads filter by closing time
        seal(s, pulse_id=pulse.id or 0, now=LATER)
    return ws.id


def counted(answers: list[Answer], now: dt.datetime) -> set[tuple[str, int, int]]:
    """By a plain loop: per (team, week), the latest pulse closed by ``now`` with K+ people."""
    people: dict[tuple, set] = defaultdict(set)
    for a in answers:
        people[a[:3]].add(a[4])
    latest: dict[tuple, tuple[str, int, int]] = {}
    for pulse in sorted(people):  # numbers in opening order
        if len(people[pulse]) >= K and _opened(pulse[1], pulse[2]) + dt.timedelta(days=1) <= now:
            latest[pulse[:2]] = pulse
    return set(latest.values())


def reportable(answers: list[Answer], now: dt.datetime) -> list[Answer]:
    """The answers that may count, by a plain loop: counted pulses, cells of K+."""
    cells: dict[tuple, int] = defaultdict(int)
    for a in answers:
        cells[a[:4]] += 1
    pulses = counted(answers, now)
    return [a for a in answers if a[:3] in pulses and cells[a[:4]] >= K]


def expected(
    answers: list[Answer], invites: list[Invite], now: dt.datetime = LATER
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same two frames by a plain loop over every answer."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for team, week, _, key, _, v in reportable(answers, now):
        driver, kind = QUESTIONS[key]
        row = sums[team, MONDAY + dt.timedelta(weeks=week), driver]
        likert = kind == "likert5"
        for i, add in enumerate((1, v, v * v, likert and v >= 4, not likert and v >= 9)):
            row[i] += int(add)
        row[5] += int(not likert and v <= 6)
    agg = pd.DataFrame(
        [(*k, *v) for k, v in sorted(sums.items())],
        columns=["team", "period", "driver", *("n", "total", "total_sq"), *COUNTED],
    )
    people: dict[tuple, set] = defaultdict(set)
    invited: dict[tuple, int] = defaultdict(int)
    for team, week, number, _, person, _ in answers:
        people[team, week, number].add(person)
    for team, week, number, _, status in invites:
        invited[team, week, number] += int(status not in ("failed", "skipped"))
    weeks: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for pulse in counted(answers, now):
        row = weeks[pulse[0], MONDAY + dt.timedelta(weeks=pulse[1])]
        row[0] += invited[pulse]
        row[1] += len(people[pulse])
    part = pd.DataFrame(
        [(*k, *v) for k, v in sorted(weeks.items())],
        columns=["team", "period", "invited", "respondents"],
    )
    return _typed(agg), _typed(part)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["period"] = pd.to_datetime(frame["period"])
    counts = [c for c in frame.columns if c not in ("team", "period", "driver")]
    return frame.astype(dict.fromkeys(counts, "int64"))


def frames(
    s: Session, ws: int, now: dt.datetime = LATER, **scope: object
) -> tuple[pd.DataFrame, pd.DataFrame]:
    window = {"workspace_id": ws, "start": MONDAY, "end": MONDAY + dt.timedelta(weeks=3)}
    guarded = {**window, "k": K, "now": now, **scope}
    return driver_agg(s, **guarded), participation(s, **guarded)  # type: ignore[arg-type]


HAND_ANSWERS: list[Answer] = [
    # support, week 0: three people answer wellbeing and eNPS; one also answers a second
    # wellbeing question, a cell of one answer that never counts.
    ("support", 0, 0, "wellbeing.energy", 0, 5),
    ("support", 0, 0, "wellbeing.rested", 0, 3),
    ("support", 0, 0, "enps.recommend", 0, 10),
    ("support", 0, 0, "wellbeing.energy", 1, 4),
    ("support", 0, 0, "enps.recommend", 1, 6),
    ("support", 0, 0, "wellbeing.energy", 2, 2),
    ("support", 0, 0, "enps.recommend", 2, 9),
    # support, week 1: two pulses that week; the second, answered by one person, never counts.
    ("support", 1, 0, "tools.what_i_need", 0, 2),
    ("support", 1, 0, "tools.what_i_need", 1, 4),
    ("support", 1, 0, "tools.what_i_need", 2, 5),
    ("support", 1, 1, "tools.what_i_need", 0, 4),
    ("success", 0, 0, "wellbeing.energy", 3, 1),
    ("success", 0, 0, "wellbeing.energy", 4, 2),
    ("success", 0, 0, "wellbeing.energy", 5, 3),
    ("success", 1, 0, "wellbeing.energy", 3, 1),  # one respondent: never counts
]
HAND_INVITES: list[Invite] = [
    ("support", 0, 0, 0, "sent"),
    ("support", 0, 0, 1, "sent"),
    ("support", 0, 0, 2, "pending"),  # not sent yet, but asked
    ("support", 0, 0, 3, "failed"),  # the DM failed: not invited
    ("support", 0, 0, 4, "skipped"),  # opted out before the send: not invited
    ("support", 1, 0, 0, "sent"),
    ("support", 1, 0, 1, "sent"),
    ("support", 1, 0, 2, "sent"),
    ("support", 1, 1, 0, "sent"),
    *(("success", 0, 0, person, "sent") for person in (3, 4, 5)),
    ("success", 2, 0, 3, "sent"),  # invited, nobody answered
]


def test_frames_match_hand_computed_values(engine: Engine) -> None:
    with Session(engine) as s:
        ws = build(s, HAND_ANSWERS, HAND_INVITES)
        agg, part = frames(s, ws, team_key="support")
    w0, w1 = pd.Timestamp(MONDAY), pd.Timestamp(MONDAY + dt.timedelta(weeks=1))
    assert agg.to_dict("records") == [
        # team, period, driver, n, total, total_sq, favourable, promoters, detractors
        dict(zip(agg.columns, row, strict=True))
        for row in [
            ("support", w0, "enps", 3, 25, 217, 0, 2, 1),
            ("support", w0, "wellbeing", 3, 11, 45, 2, 0, 0),
            ("support", w1, "tools", 3, 11, 45, 2, 0, 0),
        ]
    ]
    assert part.values.tolist() == [["support", w0, 3, 3], ["support", w1, 3, 3]]


def test_two_pulses_in_a_week_count_once_the_later_one(engine: Engine) -> None:
    """An ad hoc pulse after the scheduled one supersedes it: the week is never 6 of 3."""
    second = [("support", 1, 1, "tools.what_i_need", p, v) for p, v in ((0, 1), (1, 1), (2, 2))]
    invites = [*HAND_INVITES, ("support", 1, 1, 1, "sent"), ("support", 1, 1, 2, "sent")]
    with Session(engine) as s:
        ws = build(s, [*HAND_ANSWERS[:-5], *second], invites)
        during = _opened(1, 1) + dt.timedelta(hours=12)  # the second is still open
        _, before = frames(s, ws, now=during, team_key="support")
        agg, part = frames(s, ws, team_key="support")
    w1 = pd.Timestamp(MONDAY + dt.timedelta(weeks=1))
    assert before[before["period"] == w1][["invited", "respondents"]].values.tolist() == [[3, 3]]
    assert part[part["period"] == w1][["invited", "respondents"]].values.tolist() == [[3, 3]]
    tools = agg[agg["driver"] == "tools"]
    assert tools[["n", "total"]].values.tolist() == [[3, 4]]  # the second pulse's 1, 1, 2


def test_an_open_pulse_counts_only_once_it_has_closed(engine: Engine) -> None:
    with Session(engine) as s:
        ws = build(s, HAND_ANSWERS, HAND_INVITES)
        during = _opened(1, 0) + dt.timedelta(hours=12)  # week 1's first pulse is still open
        agg, part = frames(s, ws, now=during, team_key="support")
        after, _ = frames(s, ws, now=during + dt.timedelta(hours=12), team_key="support")
    assert set(agg["period"]) == {pd.Timestamp(MONDAY)} and len(part) == 1
    assert "tools" in set(after["driver"])


def test_a_department_rolls_up_its_teams_and_the_org_keeps_them_apart(engine: Engine) -> None:
    with Session(engine) as s:
        ws = build(s, HAND_ANSWERS, HAND_INVITES)
        dept_agg, dept_part = frames(s, ws, team_key="cx-org")
        own_agg, _ = frames(s, ws, team_key="cx-org", subteams=False)
        org_agg, org_part = frames(s, ws)
    assert set(dept_agg["team"]) == {"cx-org"} and own_agg.empty
    wellbeing = dept_agg[dept_agg["driver"] == "wellbeing"]
    assert wellbeing[["n", "total", "favourable"]].values.tolist() == [[6, 17, 2]]
    assert dept_part[["invited", "respondents"]].values.tolist() == [[6, 6], [3, 3]]
    assert sorted(set(org_agg["team"])) == ["success", "support"]
    assert org_part.groupby("team")["invited"].sum().to_dict() == {"success": 3, "support": 6}


def test_weeks_outside_the_window_are_left_out(engine: Engine) -> None:
    with Session(engine) as s:
        ws = build(s, HAND_ANSWERS, HAND_INVITES)
        week = MONDAY + dt.timedelta(weeks=1)
        agg = driver_agg(
            s, workspace_id=ws, team_key="support", start=week, end=week, k=K, now=LATER
        )
        nothing = participation(s, workspace_id=ws + 1, start=MONDAY, end=MONDAY, k=K, now=LATER)
    assert agg["driver"].tolist() == ["tools"]
    assert nothing.empty and nothing.columns.tolist() == [
        "team",
        "period",
        "invited",
        "respondents",
    ]


pulse_keys = st.tuples(st.sampled_from(TEAMS), st.integers(0, 2), st.integers(0, 1))
answers = st.lists(
    st.tuples(pulse_keys, st.sampled_from(sorted(QUESTIONS)), st.integers(0, PEOPLE - 1)).flatmap(
        lambda t: st.integers(*((0, 10) if QUESTIONS[t[1]][1] == "nps10" else (1, 5))).map(
            lambda v: (*t[0], t[1], t[2], v)
        )
    ),
    max_size=60,
    unique_by=lambda a: a[:5],
)
invites = st.lists(
    st.tuples(pulse_keys, st.integers(0, PEOPLE - 1), st.sampled_from(STATUSES)).map(
        lambda t: (*t[0], *t[1:])
    ),
    max_size=30,
    unique_by=lambda i: i[:4],
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=answers, invites=invites, hours=st.integers(0, 24 * 7 * 4))
def test_sql_aggregates_equal_a_python_loop(
    engine: Engine, answers: list[Answer], invites: list[Invite], hours: int
) -> None:
    now = MONDAY_UTC + dt.timedelta(hours=hours)
    with Session(engine) as s:
        ws = build(s, answers, invites)
        s.exec(delete(Response))  # the frames read the seals only, never a raw row
        s.exec(delete(Delivery))
        agg, part = frames(s, ws, now=now)
        s.rollback()
    want_agg, want_part = expected(answers, invites, now)
    pd.testing.assert_frame_equal(agg, want_agg, check_index_type=False)
    pd.testing.assert_frame_equal(part, want_part, check_index_type=False)
