"""`/pulse report` and the manager dashboard: what a manager sees, what k withholds, and
how a 200-team organisation still fits Slack's limits."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel, select

from bench.org_model import WORKSPACE, config_for
from bench.seed import seed
from bot.blocks import report
from bot.blocks.dashboard import card
from bot.blocks.pages import paginate, split_text
from bot.blocks.validate import check_message, check_view
from bot.home import build_home
from bot.report_args import Choose, Refused, Wanted, read_report_args
from bot.reporting import team_report
from figures.links import LINK_WEEKS, team_links
from figures.pipeline import Window, figures
from figures.teams import DriverFigure, TeamFigures, load_team_figures
from insights.alerts import RedFlag
from sandbox import company
from settings.config import AppConfig, HRConfig, parse_config
from settings.i18n import using
from storage.db import make_engine, read_scope, session_scope
from storage.models import Workspace
from storage.pseudonym import respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answer
from tests.bot.conftest import World

SUPPORT = company.team_members("support")
NOW = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)
HR = "U0HR"


def _text(reply: object) -> str:
    return json.dumps(reply, ensure_ascii=False)


def _sections(messages: list[dict]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section"]


# -- in the Bolt app, against the sandbox ------------------------------------------------------


def _answer(world: World, users: list[str], value: int = 4) -> None:
    secret = world.settings.secret()  # type: ignore[union-attr]
    with session_scope(world.engine) as s:
        for q in pulse_view(s, pulse_id=world.pulse_id).questions:  # type: ignore[union-attr]
            for user in users:
                key = respondent_key(
                    secret, workspace="T0SANDBOX", user_id=user, pulse_id=world.pulse_id
                )
                v = value if q.kind == "likert5" else 9
                if q.kind != "text":
                    record_answer(
                        s, pulse_id=world.pulse_id, question_id=q.id or 0, respondent=key, value=v
                    )


def test_sections_appear_only_once_k_people_answered(world: World) -> None:
    _answer(world, SUPPORT[:4])
    hidden = _text(world.command("U0MANAGER", "report"))
    assert "Results appear once it has closed with at least 5 answers" in hidden
    assert "answered so far" not in hidden  # not even how many, below k
    assert "Engagement" not in hidden and "Respondents" not in hidden and "4.0" not in hidden

    _answer(world, SUPPORT[4:6])
    still_open = _text(world.command("U0MANAGER", "report"))
    assert "50% of the team have answered so far" in still_open
    assert "Results appear once it has closed" in still_open
    assert "Respondents" not in still_open and "4.0" not in still_open

    world.close_pulse()
    shown = _text(world.command("U0MANAGER", "report"))
    assert "Respondents*\\n6" in shown and "*4.0* / 5" in shown
    assert "Engagement *75* · no earlier week with enough answers to compare with" in shown
    assert "*Drivers*" in shown and "*Red flags:* none" in shown
    assert "Make a commitment" in shown


def test_weeks_argument_and_usage(world: World) -> None:
    _answer(world, SUPPORT[:6])  # idempotent: the same six answers
    world.close_pulse()
    assert "Last 4 weeks" in _text(world.command("U0MANAGER", "report support 4"))
    assert "Last 8 weeks" in _text(world.command("U0MANAGER", "report 8w"))
    assert "Last 12 weeks" in _text(world.command("U0MANAGER", "report"))
    for bad in ("report support 0", "report support 53", "report support soon", "report a b c"):
        reply = _text(world.command("U0MANAGER", bad))
        assert "isn't a number of weeks" in reply or "No team called `a b c`" in reply
        assert "Traceback" not in reply and "respondents" not in reply
    assert not world.errors


def test_help_lists_every_subcommand_to_hr(world: World) -> None:
    usage = _text(world.command("U0HRLEAD", "help"))
    for sub in ("report [team] [weeks]", "pause", "resume", "optout", "optin", "my-data"):
        assert f"/pulse {sub}" in usage
    assert "/pulse admin" in usage and "/pulse report all" in usage
    mine = _text(world.command(SUPPORT[0], "help"))  # an employee: only their own commands
    assert "/pulse my-data" in mine and "/pulse report" not in mine and "admin" not in mine


def test_refused_politely_and_hr_sees_the_whole_org(world: World) -> None:
    _answer(world, SUPPORT[:6])  # idempotent: the same six answers
    world.close_pulse()
    refused = _text(world.command(SUPPORT[1], "report support"))
    assert "Reports are for team managers and HR" in refused
    assert "Engagement" not in refused and "Customer Support" not in refused
    org = _text(world.command("U0HRLEAD", "report all"))
    teams = len(world.settings.config.teams)  # type: ignore[union-attr]
    assert f"All teams · {teams} teams" in org and "*Customer Support* · week of" in org


def test_home_dashboard_for_managers_only(world: World) -> None:
    _answer(world, SUPPORT[:6])  # idempotent: the same six answers
    world.close_pulse()
    uploads: list[bytes] = []

    def upload(png: bytes, title: str) -> str:
        uploads.append(png)
        return "F0CHART123"

    def home(user: str) -> dict:
        with read_scope(world.engine) as s:
            return build_home(
                s,
                config=world.settings.config,  # type: ignore[union-attr]
                secret=world.settings.secret(),  # type: ignore[union-attr]
                slack_team_id="T0SANDBOX",
                user_id=user,
                now=dt.datetime.now(dt.UTC),
                upload=upload,
            )

    manager = home("U0MANAGER")
    check_view(manager)
    text = _text(manager)
    assert "Your teams · last 12 weeks" in text and "*Customer Support* · week of" in text
    image = next(b for b in manager["blocks"] if b["type"] == "image")
    assert image["slack_file"] == {"id": "F0CHART123"}
    assert uploads and uploads[0].startswith(b"\x89PNG")
    employee = _text(home(SUPPORT[0]))
    assert "Your teams" not in employee and "Engagement" not in employee
    assert len(uploads) == 1


# -- the guard, on pulses written week by week -------------------------------------------------

CONFIG = parse_config(
    {
        "teams": [
            {"key": "cx", "name": "Customer Experience"},
            {"key": "support", "name": "Support", "usergroup": "S0SUP", "parent": "cx"},
            {"key": "success", "name": "Success", "usergroup": "S0SUC", "parent": "cx"},
        ]
    }
)


def _pulse(engine: Engine, team: str, weeks_ago: int, answers: dict[str, list[int]]) -> None:
    """A pulse ``weeks_ago`` weeks before NOW with the given answers per question key."""
    from tests.factories import org, pulse  # one workspace; teams created on first use

    ids = org(engine, people=12, team_key=team)
    opened = NOW - dt.timedelta(weeks=weeks_ago)
    pid = pulse(engine, ids, keys=list(answers))
    with session_scope(engine) as s:
        from storage.models import Pulse

        row = s.get(Pulse, pid)
        assert row is not None
        row.opened_at = opened
        row.period_start = (opened - dt.timedelta(days=opened.weekday())).date()
        for q in pulse_view(s, pulse_id=pid).questions:  # type: ignore[union-attr]
            for i, value in enumerate(answers.get(q.key, [])):
                record_answer(
                    s, pulse_id=pid, question_id=q.id or 0, respondent=f"{pid}-{i}", value=value
                )


def _figures(engine: Engine, weeks: int = 12) -> dict[str, TeamFigures]:
    with read_scope(engine) as s:
        ws = s.exec(select(Workspace.id)).one() or 0
        return load_team_figures(
            s,
            config=CONFIG,
            workspace_id=ws,
            teams=["cx", "support", "success"],
            weeks=weeks,
            now=NOW + dt.timedelta(days=3),  # Sunday: the pulses have closed
        )


def test_a_week_below_k_is_left_out_not_averaged_in(engine: Engine) -> None:
    _pulse(engine, "support", 3, {"wellbeing.energy": [4] * 6})
    _pulse(engine, "support", 2, {"wellbeing.energy": [1] * 3})  # three people: below k
    _pulse(engine, "support", 0, {"wellbeing.energy": [5] * 6, "tools.what_i_need": [2] * 3})
    _pulse(engine, "success", 0, {"wellbeing.energy": [1] * 3})  # below k: not in the total
    for weeks in range(1, 6):
        figs = _figures(engine, weeks)
        support, cx = figs["support"], figs["cx"]
        assert support.engagement == 100 and [d.driver for d in support.drivers] == ["wellbeing"]
        assert all(value != 0 for _, value in support.series)  # the 3-person week never shows
        assert (cx.respondents, cx.engagement) == (support.respondents, support.engagement)
        assert figs["success"].period is None
    figs = _figures(engine)
    assert figs["support"].sentence.startswith("Up 25 points from 02 Nov")  # not vs the 1s
    assert figs["support"].left_out == 1 and figs["cx"].left_out == 2
    assert figs["support"].drivers[0].change == 25


# -- a 200-team organisation ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, AppConfig, int]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('org') / 'org.db'}")
    SQLModel.metadata.create_all(engine)
    seed(  # reports computed from the sealed sums: the worker's kept reports are another test's
        engine,
        employees=1400,
        teams=200,
        weeks=16,
        until=NOW.date(),
        seed=3,
        log=lambda _: None,
        keep_ready=False,
    )
    config = config_for(200).model_copy(update={"hr": HRConfig(admins=[HR])})
    with read_scope(engine) as s:
        ws = s.exec(select(Workspace.id).where(Workspace.slack_team_id == WORKSPACE)).one()
    yield engine, config, ws or 0
    engine.dispose()


def _report(big_org: tuple[Engine, AppConfig, int], team: str | None) -> list[dict]:
    engine, config, _ = big_org
    with read_scope(engine) as s:
        return team_report(
            s, config=config, slack_team_id=WORKSPACE, user_id=HR, team_key=team, now=NOW
        )


def test_the_org_report_of_200_teams_is_paginated_within_slack_limits(big_org) -> None:  # type: ignore[no-untyped-def]
    messages = _report(big_org, None)
    assert 1 <= len(messages) <= 5
    for message in messages:
        check_message(message)
        assert len(message["blocks"]) <= 50
    texts = _sections(messages)
    assert all(len(t) <= 3000 for t in texts)
    everything = "\n".join(texts)
    for t in range(200):
        assert len(re.findall(rf"\bTeam {t}\b", everything)) == 1, f"Team {t}"
    assert "Teams with a red flag" in everything and ":warning:" in everything


def test_red_flag_reasons_and_the_link_sentence_in_a_team_report(big_org) -> None:  # type: ignore[no-untyped-def]
    engine, config, ws = big_org
    with read_scope(engine) as s:
        figs = load_team_figures(
            s,
            config=config,
            workspace_id=ws,
            teams=[t.key for t in config.teams],
            weeks=12,
            now=NOW,
        )
        flagged = next(key for key, f in figs.items() if f.flags and key.startswith("team"))
        window = Window.ending(NOW.date(), weeks=12, history=LINK_WEEKS)
        loaded = figures(s, config=config, workspace_id=ws, window=window, closed_by=NOW)
        team = config.team(flagged)
        assert team is not None
        links = team_links(loaded, flagged, team.cx_metrics)
    text = _text(_report(big_org, flagged))
    for flag in figs[flagged].flags:
        assert json.dumps(flag.reason, ensure_ascii=False)[1:-1] in text
    assert links and json.dumps(links[0].sentence, ensure_ascii=False)[1:-1] in text
    assert "*Engagement and your customers*" in text
    with using("de-DE"):  # a German manager reads the same figures in German
        german = _text(_report(big_org, flagged))
        said = [link.sentence for link in links]
    assert "*Engagement und Ihre Kundschaft*" in german and "Wahrnehmungslücke" in german
    for english, deutsch in zip([link.sentence for link in links], said, strict=True):
        assert json.dumps(deutsch, ensure_ascii=False)[1:-1] in german and deutsch != english
        assert not re.search(r"\b(link|between|weeks?|lags|tested|across)\b", deutsch), deutsch
        figures_of = [n.replace(".", ",") for n in re.findall(r"\d+(?:\.\d+)?", english)]
        assert re.findall(r"\d+(?:,\d+)?", deutsch) == figures_of, (english, deutsch)
    gap = re.search(r"Wahrnehmungslücke, Woche vom [^:]+: ([^\n]+)", german)
    assert gap and re.search(r"wahrgenommen \d+, gemessen \d+", gap.group(1)), german


def test_the_hr_home_dashboard_fits_one_view(big_org) -> None:  # type: ignore[no-untyped-def]
    engine, config, _ = big_org
    with read_scope(engine) as s:
        view = build_home(
            s,
            config=config,
            secret=b"x" * 16,
            slack_team_id=WORKSPACE,
            user_id=HR,
            now=NOW,
            upload=lambda png, title: "F0CHART",
        )
    check_view(view)
    assert len(view["blocks"]) <= 100
    assert "more teams* are not shown here" in _text(view)


# -- pure renderers --------------------------------------------------------------------------------


def _card(n: int) -> tuple[str, TeamFigures]:
    week = dt.date(2026, 11, 23)
    reason = "Engagement fell 14 points below its 4-week baseline (70 → 56); beyond noise " * 6
    return (
        f"A rather long team name number {n} in the Customer Experience department",
        TeamFigures(
            team=f"t{n}",
            since=week - dt.timedelta(weeks=11),
            weeks=12,
            period=week,
            respondents=9,
            invited=12,
            engagement=56.0,
            sentence="Down 14 points from last week (beyond noise for 9 respondents)",
            enps=-20,
            enps_n=9,
            series=((week, 56.0),),
            drivers=(DriverFigure("tools", 40, 9, week, -12, False),),
            flags=(RedFlag(f"t{n}", pd.Timestamp(week), "engagement_drop", reason, 9),),
        ),
    )


def test_a_200_team_department_report_never_cuts_a_word() -> None:
    cards = [_card(n) for n in range(200)]
    messages = report.department_report(
        name="Customer Experience", fig=cards[0][1], teams=cards, k=5
    )
    assert 2 <= len(messages) <= 5  # too much for one message
    for message in messages:
        check_message(message)
    texts = _sections(messages)
    assert all(len(t) <= 3000 for t in texts)
    shown = Counter(" ".join(texts).split())
    written = Counter(" ".join(card(name, fig, k=5) for name, fig in cards).split())
    assert not written - shown  # every word of every card, whole
    for name, _ in cards:
        assert name in "\n".join(texts)


def test_split_text_and_paginate() -> None:
    text = "\n".join(("word " * 700).strip() for _ in range(3)) + "\n" + "x" * 3500
    chunks = split_text(text)
    assert all(len(c) <= 3000 for c in chunks)
    assert " ".join(chunks).split()[:2100] == text.split()[:2100]
    blocks = [{"type": "divider"}] * 130
    pages = paginate(blocks, text="Report")
    assert [len(p["blocks"]) for p in pages] == [49, 50, 33]
    assert "continued (2 of 3)" in _text(pages[1])
    capped = paginate([{"type": "divider"}] * 400, text="Report")
    assert len(capped) == 5 and "did not fit" in _text(capped[-1])


def test_report_arguments() -> None:
    config = config_for(12).model_copy(update={"hr": HRConfig(admins=[HR])})

    def read(*args: str) -> object:
        return read_report_args(config, user_id=HR, args=list(args))

    offered = read()
    assert isinstance(offered, Choose) and offered.weeks == 12 and len(offered.teams) == 15
    assert read("8") == Choose(offered.teams, 8)
    assert read("team-001") == Wanted("team-001", 12)
    assert read("TEAM-001", "52w") == Wanted("team-001", 52)
    for bad in (["0"], ["53"], ["team-001", "x"], ["a", "b", "c"], ["team-001", "-1"]):
        assert isinstance(read(*bad), Refused), bad


def test_home_is_published_without_the_chart_when_slack_refuses_it() -> None:
    """A just-uploaded file may not be usable yet: Slack answers invalid_blocks."""
    from slack_sdk.errors import SlackApiError

    from bot import home

    published: list[dict] = []

    class Client:
        def views_publish(self, *, user_id: str, view: dict) -> None:
            if any(b["type"] == "image" for b in view["blocks"]):
                raise SlackApiError("refused", {"ok": False, "error": "invalid_blocks"})
            published.append(view)

    image = {"type": "image", "slack_file": {"id": "F0NEW"}, "alt_text": "chart"}
    view = {"type": "home", "blocks": [image, {"type": "divider"}]}
    home.publish(Client(), user_id="U1", view=view)  # type: ignore[arg-type]
    assert published == [{"type": "home", "blocks": [{"type": "divider"}]}]
