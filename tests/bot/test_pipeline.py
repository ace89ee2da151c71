"""The one figures pipeline on hand-built sums: drivers from the bank, one rule for every cell."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from figures.pipeline import Sums, Window, guarded
from figures.teams import team_figures
from insights.questions import engagement_drivers, load_bank, parse_bank
from insights.scores import ORG
from settings.config import AppConfig, parse_config

WEEK = pd.Timestamp("2026-11-16")
AGG = ["team", "period", "driver", "n", "total", "total_sq", "favourable", "promoters"]


def _config(teams: dict[str, str | None]) -> AppConfig:
    depts = sorted({p for p in teams.values() if p} - set(teams))
    rows = [{"key": d, "name": d.upper()} for d in depts]
    rows += [
        {"key": t, "name": t.upper(), "usergroup": "S0X", "parent": p} for t, p in teams.items()
    ]
    return parse_config({"teams": rows}, source="test")


def _sums(answers: dict[tuple[str, str], tuple[int, int]], people: dict[str, int]) -> Sums:
    """(team, driver) -> (answers, each answer's value); team -> respondents of the week."""
    agg = pd.DataFrame(
        [
            (t, WEEK, d, n, n * v, n * v * v, n if v >= 4 else 0, 0, 0)
            for (t, d), (n, v) in answers.items()
        ],
        columns=[*AGG, "detractors"],
    )
    part = pd.DataFrame(
        [(t, WEEK, n + 2, n) for t, n in people.items()],
        columns=["team", "period", "invited", "respondents"],
    )
    cx = pd.DataFrame(columns=["team", "period", "metric", "value", "sample_size", "scale"])
    small = pd.DataFrame({"team": [], "period": pd.to_datetime([]), "pulses": []})
    window = Window.ending(WEEK.date(), weeks=1)
    return Sums(window, agg, part, cx.astype({"period": "datetime64[ns]"}), small)


def test_a_new_engagement_driver_in_the_bank_is_scored() -> None:
    shipped = resources.files("insights").joinpath("question_bank.toml").read_text("utf-8")
    extra = (
        '\n[drivers.pride]\nlabel = "Pride"\nengagement = true\ndescription = "Proud of it."\n'
        '\n[[questions]]\nkey = "pride.proud"\ndriver = "pride"\n'
        'text = "I am proud of the service we give."\n'
    )
    bank = parse_bank(shipped + extra)
    drivers = engagement_drivers(bank)
    assert drivers[: len(engagement_drivers(load_bank()))] == engagement_drivers(load_bank())
    assert drivers[-1] == "pride"

    sums = _sums({("a", "wellbeing"): (6, 5), ("a", "pride"): (6, 1)}, {"a": 6})
    with_pride = guarded(sums, config=_config({"a": None}), k=5, engagement=drivers)
    shipped_only = guarded(sums, config=_config({"a": None}), k=5)
    score = with_pride.scores.set_index("team").loc["a", "engagement"]
    assert score == 50.0  # wellbeing 100 and pride 0, averaged
    assert shipped_only.scores.set_index("team").loc["a", "engagement"] == 100.0


def test_engagement_is_hidden_when_one_of_its_driver_cells_is() -> None:
    # d = a + b + c. Everyone answered wellbeing; workload was answered by 7, 6 and 3 people,
    # so d's workload minus a's and b's would isolate c's three answers: the rule hides b's
    # workload (the smallest sibling, merged). b's engagement would then give it away too.
    config = _config({"a": "d", "b": "d", "c": "d"})
    sums = _sums(
        {
            ("a", "wellbeing"): (7, 4),
            ("b", "wellbeing"): (6, 4),
            ("c", "wellbeing"): (6, 4),
            ("a", "workload"): (7, 2),
            ("b", "workload"): (6, 3),
            ("c", "workload"): (3, 5),
        },
        {"a": 7, "b": 6, "c": 6},
    )
    fig = guarded(sums, config=config, k=5, engagement=("wellbeing", "workload"))
    cells = fig.drivers.set_index(["team", "driver"])["shown"]
    assert not cells[("c", "workload")] and not cells[("b", "workload")]
    assert cells[("a", "workload")] and cells[("d", "workload")]
    scores = fig.scores.set_index("team")
    assert scores.loc[["a", "b", "c", "d", ORG], "shown"].all()  # every week may be shown
    assert pd.isna(scores.loc["b", "engagement"]) and pd.isna(scores.loc["c", "engagement"])
    assert scores.loc[["a", "d", ORG], "engagement"].notna().all()
    figs = team_figures(fig, ["b", "d"])
    assert figs["b"].engagement is None and figs["b"].respondents == 6
    assert {d.driver for d in figs["b"].drivers} == {"wellbeing"}
