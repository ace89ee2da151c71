"""The digest from hand-built figures: what is named under k, and pagination at 200 teams.

The fixture decides what is shown with the pipeline's one rule (figures.guard.shown_mask over
the rolled-up respondents), as figures.org.org_view hands it to assemble."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from bot.blocks.digest import MAX_TEXT, charts_comment, digest_messages, split_text
from bot.blocks.validate import MAX_MESSAGE_BLOCKS, check_message
from figures.digest import assemble
from figures.digest_charts import Chart
from figures.guard import Tree, shown_mask
from figures.link_sentences import LinkSaid
from figures.links import MetricLink
from figures.org import OrgView
from figures.pipeline import rolled
from insights.alerts import RedFlag
from insights.linkage import LinkFinding
from insights.scores import ORG
from settings.config import AppConfig, parse_config

WEEK = pd.Timestamp("2026-11-16")
K = 5


def config(teams: dict[str, str | None]) -> AppConfig:
    """Teams keyed to their parent; a parent that is not a key becomes a department."""
    depts = sorted({p for p in teams.values() if p} - set(teams))
    rows = [{"key": d, "name": f"Dept {d}"} for d in depts]
    rows += [
        {"key": t, "name": f"Team {t}", "usergroup": "S0X", "parent": p} for t, p in teams.items()
    ]
    return parse_config({"teams": rows}, source="test")


def insights(
    respondents: dict[str, int],
    *,
    flagged: tuple[str, ...] = (),
    rising: tuple[str, ...] = (),
    cfg: AppConfig | None = None,
) -> OrgView:
    """The org's latest week: every team's respondents, who raised a flag, who rose."""
    total = sum(respondents.values())
    tree = Tree.of(cfg or config(dict.fromkeys(respondents)))
    counts = pd.DataFrame({"team": list(respondents), "period": WEEK, "n": respondents.values()})
    nodes = rolled(counts, tree, ["period"], ["n"])
    shown = set(nodes.loc[shown_mask(nodes, tree, "n", K, by=[]), "team"])
    org = pd.DataFrame(
        {
            "team": ORG,
            "period": [WEEK - pd.Timedelta(weeks=1), WEEK],
            "engagement": [60.0, 62.0],
            "respondents": [total, total],
            "participation": [0.78, 0.8],
            "enps": [10.0, float("nan")],
            "enps_n": [total, 0],
            "sentence": ["", f"Up 2 points from last week — within noise for {total} respondents"],
        }
    )
    org = org if ORG in shown else org.iloc[:0]
    teams = pd.DataFrame(
        {
            "team": list(respondents),
            "period": WEEK,
            "engagement": 55.0,
            "respondents": list(respondents.values()),
            "change_prev": [12.0 if t in rising else -1.0 for t in respondents],
            "change_prev_within_noise": False,
            "sentence": [
                f"Up 12 points from last week ({n} respondents)" for n in respondents.values()
            ],
        }
    ).assign(visible=lambda d: d["team"].isin(shown))
    flags = [
        RedFlag(t, WEEK, "low_enps", f"eNPS of {t} is −40, below the −10 floor.", respondents[t])
        for t in flagged
    ]
    gap = pd.DataFrame(
        {
            "team": list(respondents),
            "period": WEEK,
            "gap": 20.0,
            "perceived": 80.0,
            "actual": 60.0,
            "gap_trend": float("nan"),
            "gap_trend_low": float("nan"),
            "gap_trend_high": float("nan"),
            "trend_weeks": 1,
            "agrees": False,
        }
    )
    link = MetricLink(
        "csat",
        "CSAT",
        (),
        pd.DataFrame(),
        LinkSaid(
            LinkFinding(
                "leads",
                lag=2,
                r=0.4,
                n=40,
                teams=4,
                p_holm=0.01,
                tested=5,
                level=0.99,
                ci_low=0.1,
                ci_high=0.6,
            ),
            "CSAT",
        ),
        2,
        gap,
        pd.DataFrame(),
    )
    return OrgView(WEEK, K, org, teams, flags, [link])


def named(digest_part: list) -> set[str]:  # type: ignore[type-arg]
    return {line.key for line in digest_part}


def test_every_section_is_there_when_every_group_reaches_k() -> None:
    cfg = config({"a": None, "b": None})
    digest = assemble(insights({"a": 8, "b": 9}, flagged=("a",), rising=("b",)), config=cfg)
    assert digest.org is not None and digest.org.respondents == 17 and digest.org.enps == 10
    assert named(digest.at_risk) == {"a"} and named(digest.improved) == {"b"}
    assert named(digest.gaps) == {"a", "b"} and digest.links and digest.teams_hidden == 0
    text = json.dumps(digest_messages(digest=digest), ensure_ascii=False)
    for heading in (
        "Teams at risk (1, each team once",
        "Biggest improvements",
        "EX ↔ CX",
        "Perception gaps",
    ):
        assert heading in text


def test_the_digest_reads_as_plain_sentences() -> None:
    """No "+0 pts", the perception gap with its sign in words, charts with their takeaways."""
    org = insights({"a": 8, "b": 9})
    org.scores["participation"] = [0.798, 0.8]  # 0.2 points: no change a reader could see
    digest = assemble(org, config=config({"a": None, "b": None}))
    text = json.dumps(digest_messages(digest=digest), ensure_ascii=False)
    assert "80% (no change from the week before)" in text and "+0" not in text
    assert (
        "customers rated 20 points lower than the team thought "
        "(perceived 80, measured 60; too few weeks to see a trend)"
    ) in text
    org.scores["participation"] = [0.83, 0.8]
    text = json.dumps(digest_messages(digest=assemble(org, config=config({"a": None, "b": None}))))
    assert "down 3 points from the week before" in text
    chart = Chart("drivers.png", "Driver scores by team", b"", "Lowest: Team a on voice (41).")
    digest = assemble(org, config=config({"a": None, "b": None}), charts=[chart])
    assert charts_comment(digest=digest) == (
        "Charts of the weekly HR digest, week of 16 Nov 2026\n"
        "• *Driver scores by team*: Lowest: Team a on voice (41)."
    )


def test_a_team_below_k_is_never_named_and_its_flag_never_shown() -> None:
    # Two small teams: together (6) they are a safe remainder of the org, so a and b stay.
    cfg = config({"a": None, "b": None, "tiny": None, "wee": None})
    org = insights({"a": 8, "b": 9, "tiny": 3, "wee": 3}, flagged=("a", "tiny"), rising=("tiny",))
    digest = assemble(org, config=cfg)
    assert digest.org is not None and digest.org.respondents == 23
    assert named(digest.at_risk) == {"a"} and not digest.improved
    assert named(digest.gaps) == {"a", "b"} and digest.teams_hidden == 2
    text = json.dumps(digest_messages(digest=digest))
    assert "Team tiny" not in text and "Team wee" not in text


def test_a_team_that_could_be_subtracted_from_its_department_is_hidden() -> None:
    # dept "cx" = a + b + c; c has 3 people: showing cx, a and b would reveal c's answers.
    cfg = config({"a": "cx", "b": "cx", "c": "cx", "d": None})
    org = insights(
        {"a": 10, "b": 9, "c": 3, "d": 12}, flagged=("a", "b"), rising=("a", "b"), cfg=cfg
    )
    digest = assemble(org, config=cfg)
    assert named(digest.at_risk) == {"a"} and named(digest.improved) == {"a"}
    assert digest.teams_hidden == 2  # c (below k) and b (the smallest sibling, merged)


def test_below_k_for_the_whole_org_shows_only_why() -> None:
    cfg = config({"a": None})
    digest = assemble(insights({"a": 4}, flagged=("a",), rising=("a",)), config=cfg)
    assert digest.org is None and not digest.at_risk and not digest.improved and not digest.gaps
    text = json.dumps(digest_messages(digest=digest), ensure_ascii=False)
    assert "No org figures yet" in text and "Teams at risk" not in text


def test_a_200_team_digest_is_paginated_within_slack_limits_without_cutting_words() -> None:
    keys = [f"t{i:03d}" for i in range(200)]
    cfg = config({key: f"d{i // 10:02d}" for i, key in enumerate(keys)})
    reason = (
        "Engagement fell 14 points below its 4-week baseline (56 → 42); beyond noise. " * 6
    ).strip()
    org = insights(dict.fromkeys(keys, 12), flagged=tuple(keys), rising=tuple(keys), cfg=cfg)
    org.flags[:] = [RedFlag(k, WEEK, kind, reason, 12) for k in keys for kind in ("a", "b")]
    messages = digest_messages(digest=assemble(org, config=cfg))

    assert len(messages) > 1
    lines: list[str] = []
    for message in messages:
        check_message(message)
        assert len(message["blocks"]) <= MAX_MESSAGE_BLOCKS
        for block in message["blocks"]:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= MAX_TEXT
                lines += block["text"]["text"].split("\n")
    risk = [line for line in lines if line.startswith("• *Team t") and "baseline" in line]
    assert sorted(re.findall(r"Team (t\d{3})", " ".join(risk))) == keys  # each team once, whole
    assert all(line.endswith("beyond noise.") for line in risk)
    assert "Part 2 of" in json.dumps(messages[1]["blocks"][0])


@pytest.mark.parametrize("limit", [50, 3000])
def test_split_text_breaks_between_lines_then_words(limit: int) -> None:
    words = " ".join(f"word{i}" for i in range(2000))
    text = "\n".join(["*Title*", words, "short line", words])
    chunks = split_text(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert re.sub(r"\s+", " ", " ".join(chunks)) == re.sub(r"\s+", " ", text)
    vocabulary = set(text.split())
    assert all(set(c.split()) <= vocabulary for c in chunks)  # no word was cut in two


def test_split_text_cuts_only_a_word_longer_than_a_section() -> None:
    chunks = split_text("x" * 7000, 3000)
    assert [len(c) for c in chunks] == [3000, 3000, 1000]
