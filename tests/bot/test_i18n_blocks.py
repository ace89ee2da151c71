"""Every message of the employee path (and HR's), in every language, stays within Slack's limits.

Rendered with the worst a reader can get: the longest questions and scale labels of the bank
in that language, the longest team name config allows, every state of the DM and the Home.
A label that only fits because it was cut short (ending in "…") is a failure too: it is a
translation too long for its button."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pandas as pd
import pytest

from bot.admin import schedule_rule
from bot.blocks import admin as admin_blocks
from bot.blocks import conversations as convo
from bot.blocks import modal, report
from bot.blocks.commitments import commitment_modal, saved_view
from bot.blocks.dashboard import dashboard_blocks
from bot.blocks.digest import alert_message, digest_messages
from bot.blocks.home import PastPulse, home_view, role_line
from bot.blocks.inbox import filter_modal, inbox_blocks
from bot.blocks.mydata import erased_text, my_data
from bot.blocks.pulse import (
    QuestionItem,
    closed_notice,
    closed_pulse_message,
    not_yours_notice,
    pulse_message,
    reminder_message,
)
from bot.blocks.segments import segment_report
from bot.blocks.sentences import change_sentence, flag_reason, withheld
from bot.blocks.text import ELLIPSIS, escape
from bot.blocks.validate import check_message, check_view
from bot.commands import COMMANDS
from bot.commands.registry import Audience
from bot.commands.usage import usage
from bot.inbox import NEW, READ, REPLIED, UNREAD, InboxItem
from figures import teams
from figures.commitments import CommitmentLine
from figures.digest import Digest, TeamLine
from figures.link_sentences import GapSaid, LinkSaid, ValueLink, gap_sentence
from figures.segment_figures import SegmentCut, SegmentRow
from figures.teams import DriverFigure, TeamFigures
from insights import scores
from insights.alerts import RedFlag
from insights.linkage import LinkFinding
from insights.questions import load_bank
from insights.tone import TONES
from jobs.calendar import Schedule
from settings.i18n import LANGUAGES, day_label, language, tr, using

TEAM = "T" * 80  # the longest team name config.toml allows
WHEN = "Do., 26. Nov., 10:00 CEST"
LOCALES = {"en": "en-US", "fr": "fr-FR", "de": "de-DE", "es": "es-ES"}
assert set(LOCALES) == set(LANGUAGES)


def _questions(lang: str) -> list[QuestionItem]:
    """The five longest questions of the bank in ``lang``, one of each kind among them."""
    bank = load_bank()
    items = []
    for n, spec in enumerate(bank.active(), start=1):
        text, scale = spec.translations.get(lang, (spec.text, spec.scale))
        items.append(QuestionItem(n, text, spec.kind, scale or spec.scale))
    kinds = {
        kind: max((q for q in items if q.kind == kind), key=lambda q: len(q.text))
        for kind in ("likert5", "nps10", "text")
    }
    longest = sorted(items, key=lambda q: len(q.text), reverse=True)
    return list({q.question_id: q for q in [*kinds.values(), *longest]}.values())[:5]


def _labels(rendered: Any) -> list[str]:
    """Every button and option label in a message or view."""
    found: list[str] = []
    if isinstance(rendered, dict):
        if rendered.get("type") == "button" or ("value" in rendered and "text" in rendered):
            text = rendered.get("text")
            if isinstance(text, dict):
                found.append(text["text"])
        for value in rendered.values():
            found += _labels(value)
    elif isinstance(rendered, list):
        for value in rendered:
            found += _labels(value)
    return found


def _fits(rendered: dict[str, Any], *, view: bool = False) -> None:
    (check_view if view else check_message)(rendered)
    for label in _labels(rendered):
        assert len(label) <= 75 and not label.endswith(ELLIPSIS), label


@pytest.fixture(params=list(LOCALES.values()))
def locale(request: pytest.FixtureRequest) -> Any:
    with using(request.param):
        yield request.param


def test_every_pulse_dm_state_fits(locale: str) -> None:
    questions = _questions(language(locale))
    base: dict[str, Any] = dict(
        pulse_id=7, team_name=TEAM, questions=questions, closes_label=WHEN, min_group_size=5
    )
    fresh = pulse_message(**base, answers={}, commitments=("C" * 300,))
    answered = pulse_message(
        **base,
        answers={q.question_id: 5 for q in questions if q.kind != "text"},
        written=frozenset(q.question_id for q in questions if q.kind == "text"),
        commented=True,
    )
    closed = pulse_message(**base, answers={}, closed=True)
    for message in (fresh, answered, closed):
        _fits(message)
    others = [
        closed_pulse_message(
            team_name=TEAM,
            questions=[q.text for q in questions],
            closed_label=WHEN,
            respondents=12,
            min_group_size=5,
        ),
        reminder_message(team_name=TEAM, closes_label=WHEN),
        closed_notice(),
        not_yours_notice(),
    ]
    for message in others:
        _fits(message)
    for question in questions:
        view = modal.text_answer_modal(
            question_text=question.text, initial=None, private_metadata="7:1:D1:1.0"
        )
        _fits(view, view=True)
    _fits(
        modal.text_answer_modal(question_text=None, initial="x", private_metadata="7:0:D:1"),
        view=True,
    )
    if language(locale) != "en":  # it is really in the reader's language
        english = json.dumps(_english(base), ensure_ascii=False)
        assert json.dumps(fresh, ensure_ascii=False) != english
        assert modal.text_error("  ") != _english_error()


def _english(base: dict[str, Any]) -> dict[str, Any]:
    with using("en"):
        return pulse_message(**base, answers={}, commitments=("C" * 300,))


def _english_error() -> str | None:
    with using("en"):
        return modal.text_error("  ")


def test_every_home_state_and_reply_fits(locale: str) -> None:
    lines = [(q.text, "x" * 200) for q in _questions(language(locale))]
    pulses = [
        PastPulse(1, TEAM, "Di., 24. Nov.", "open until " + WHEN, lines, comment="c" * 2000),
        PastPulse(2, TEAM, "Di., 17. Nov.", "closed", []),
    ]
    for paused, opted_out in ((None, False), ("Di., 8. Dez.", False), (None, True)):
        view = home_view(
            pulses=pulses,
            paused_until=paused,
            opted_out=opted_out,
            enrolled=True,
            k=5,
            manager_of=[TEAM] * 3,
            hr=False,
            manages=[TEAM, TEAM],
            picker=True,
            chosen="de",
        )
        _fits(view, view=True)
    assert role_line(enrolled=False, hr=True, manages=(), k=5)
    record = {
        "name": "N" * 200,
        "time_zone": "America/Argentina/ComodRivadavia",
        "teams": [TEAM] * 10,
        "opted_out": False,
        "paused_until": "Di., 8. Dez.",
        "pulses": [{"answers": [1], "written": []}] * 40,
    }
    _fits(my_data(record))
    assert erased_text(deleted=3, unlinked=12)
    for audience in Audience:
        help_text = usage(COMMANDS, audience)
        assert len(help_text) < 3000 and "/pulse" in help_text


def _figures() -> TeamFigures:
    week = dt.date(2026, 11, 23)
    return TeamFigures(
        team="support",
        since=week - dt.timedelta(weeks=11),
        weeks=12,
        period=week,
        respondents=9,
        invited=12,
        engagement=68.2,
        sentence="Up 4 points from last week — within noise for 9 respondents",
        enps=12.5,
        enps_n=8,
        series=((week - dt.timedelta(weeks=2), 61.0), (week, 68.2)),
        drivers=(DriverFigure("tools", 52.0, 9, week, -12.0, False),),
        flags=(RedFlag("support", pd.Timestamp(week), "low_enps", "eNPS is −20.", 9),) * 2,
        left_out=2,
    )


def test_reports_alerts_and_the_dashboard_fit(locale: str) -> None:
    lang = language(locale)
    bank = load_bank()
    labels = {key: driver.label_in(lang) for key, driver in bank.drivers.items()}
    lines = [
        report.QuestionLine(text=q.text, kind=q.kind, n=6, mean=3.5 if q.kind != "nps10" else 7.2)
        for q in _questions(lang)
        if q.kind != "text"
    ] + [report.QuestionLine(text="Few answers", kind="likert5", n=2, mean=None)]
    pulse = report.LatestPulse(
        label="opened 24 Nov 2026 · closed",
        respondents=6,
        participation=0.5,
        lines=lines,
        comments=[(None, "c" * 2000)] * 12,
    )
    messages = report.team_report(
        team_name=TEAM,
        fig=_figures(),
        k=5,
        pulse=pulse,
        links=[report.LinkLine("CSAT", "No reliable link yet (r = 0.12, n = 9, p = 0.75).")],
        driver_labels=labels,
        other_teams=[TEAM] * 20,
    )
    messages += report.department_report(
        name=TEAM, fig=_figures(), teams=[(TEAM, _figures())] * 30, k=5
    )
    messages.append(
        alert_message(
            team_name=TEAM,
            team_key="support",
            week_label=WHEN,
            reasons=["r" * 500] * 3,
            k=5,
            why="You manage it.",
        )
    )
    for message in messages:
        _fits(message)
    bank_drivers = [(key, label) for key, label in labels.items()]
    _fits(commitment_modal(team_key="support", team_name=TEAM, drivers=bank_drivers), view=True)
    _fits(saved_view(team_name=TEAM, text="t" * 150), view=True)
    blocks = dashboard_blocks(
        [(TEAM, _figures())] * 20, weeks=12, k=5, chart_file_id="F0CHART", charted=[TEAM], more=3
    )
    _fits({"type": "home", "blocks": blocks}, view=True)
    said = json.dumps(messages, ensure_ascii=False)
    assert ("Drivers" in said) == (lang == "en")  # the report speaks the reader's language
    assert escape(labels["tools"]) in said and "*52*" in said  # same figures in every language


@pytest.mark.parametrize(
    "said",
    [
        scores.change_sentence(
            4.2, True, 9, pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-16")
        ),
        scores.change_sentence(
            -1, False, 1, pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-02")
        ),
        scores.change_sentence(
            0.2, True, None, pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-16")
        ),
        scores.change_sentence(3, False, 12, pd.Timestamp("2026-11-23"), None),
        teams.NO_EARLIER.format(n=7),
        teams.NOT_COMPARED.format(prev=dt.date(2026, 11, 2)),
    ],
)
def test_every_change_sentence_the_figures_write_is_said_in_the_readers_language(
    said: str,
) -> None:
    """The figures write these in English; a shape the reader's catalog cannot say again
    (say, a new wording in insights) would reach a French manager in English."""
    with using("fr-FR"):
        french = change_sentence(said)
    with using("en"):
        assert change_sentence(said) == said
    assert french != said and not re.search(r"\b(from|noise|week|respondents?)\b", french)
    figures = [int(n) for n in re.findall(r"\d+", said)]
    assert [int(n) for n in re.findall(r"\d+", french)] == figures  # the same figures


def test_every_kind_of_red_flag_reason_is_said_in_the_readers_language() -> None:
    from insights.alerts import red_flags
    from insights.questions import engagement_drivers
    from tests.insights.test_alerts import driver_frame, scores_frame

    flags = red_flags(
        scores_frame(), driver_frame(), engagement_drivers=engagement_drivers(load_bank())
    )
    assert {f.kind for f in flags} == {
        "engagement_drop",
        "driver_bottom_decile",
        "low_enps",
        "low_participation",
    }
    for flag in flags:
        with using("de-DE"):
            german = flag_reason(flag.reason)
        assert german != flag.reason, flag.reason
        assert not re.search(r"\b(below|noise|respondents|answered|running)\b", german), german
        figures = [n for n in re.findall(r"\d+", flag.reason) if n != "10"]
        assert all(n in german for n in figures), (flag.reason, german)


@pytest.mark.parametrize("what", ["figures", "org figures"])
def test_the_withheld_sentence_is_said_in_the_readers_language(what: str) -> None:
    from insights.privacy import withheld_sentence

    said = withheld_sentence(k=7, what=what)
    with using("es-ES"):
        spanish = withheld(said)
    assert spanish != said and "7" in spanish and "answered" not in spanish


def _conversation_surfaces(lang: str) -> list[tuple[dict[str, Any], bool]]:
    """Every conversation and inbox surface at its longest: (rendered, is a view)."""
    at = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)
    opened = convo.pulse_label(at)
    typed = "x" * 2000
    lines = [
        convo.Line(side="manager", body=typed, at=at, manager_id="U0MANAGER", tone=TONES[0]),
        convo.Line(side="author", body=typed, at=at, tone=TONES[1]),
        convo.Line(side="author", body=typed, at=None, revealed_name="N" * 200, tone=TONES[2]),
    ] * 8
    labels = [(key, d.label_in(lang)) for key, d in load_bank().drivers.items()]
    items = [
        InboxItem("0123456789abcdef", TEAM, opened, label, key, "p" * 300, typed, tone, lbl, st)
        for (key, label), tone, lbl, st in zip(
            labels,
            TONES * 10,
            [*convo.LABELS, None] * 10,
            [NEW, UNREAD, REPLIED, READ] * 10,
            strict=False,
        )
    ]
    surfaces: list[tuple[dict[str, Any], bool]] = [
        (
            convo.thread_modal(
                comment_id="0123456789abcdef",
                team_name=TEAM,
                pulse_label=opened,
                prompt="p" * 300,
                body=typed,
                tone=tone,
                lines=lines,
                label=label,
                notice="Sent.",
            ),
            True,
        )
        for tone, label in zip(TONES, convo.LABELS, strict=False)
    ]
    surfaces += [
        (convo.author_modal(comment_id="0123456789abcdef", comment=typed, lines=lines), True),
        (convo.reveal_modal(comment_id="0123456789abcdef", name="N" * 200, body=typed), True),
        (convo.sent_view(relay_label="12:00 UTC", signed=True), True),
        (convo.sent_view(relay_label="12:00 UTC", signed=False), True),
        (
            filter_modal(
                drivers=[("general", tr("General comments")), *labels], driver=None, tone="mixed"
            ),
            True,
        ),
        (
            {
                "type": "home",
                "blocks": inbox_blocks(
                    items, total=99, unread=42, filter_value="|", filter_text="f" * 200
                ),
            },
            True,
        ),
        (
            convo.author_dm(
                comment_id="0123456789abcdef",
                team_name=TEAM,
                pulse_label=opened,
                comment=typed,
                reply=lines[0],
                relay_every=3,
            ),
            False,
        ),
        (
            convo.relay_notice(
                comment_id="0123456789abcdef", team_name=TEAM, pulse_label=opened, line=lines[2]
            ),
            False,
        ),
    ]
    return surfaces


def test_every_conversation_and_inbox_surface_fits(locale: str) -> None:
    lang = language(locale)
    surfaces = _conversation_surfaces(lang)
    for rendered, view in surfaces:
        _fits(rendered, view=view)
        if view and rendered["type"] == "modal":  # titles and buttons: Slack's 24 characters
            for key in ("title", "submit", "close"):
                assert key not in rendered or not rendered[key]["text"].endswith(ELLIPSIS)
    if lang != "en":  # in the reader's language, tones and labels included; keys stay English
        with using("en"):
            english = _conversation_surfaces(lang)
        said = json.dumps([r for r, _ in surfaces], ensure_ascii=False)
        assert all(
            json.dumps(r, ensure_ascii=False) != json.dumps(e, ensure_ascii=False)
            for (r, _), (e, _) in zip(surfaces, english, strict=True)
        )
        shown = " ".join(_texts([r for r, _ in surfaces]))
        for english in ("Anonymous", "follow up", "constructive", "new reply", "Reply"):
            assert not re.search(rf"\b{english}\b", shown), english
        assert '"value": "follow up"' in said and '"value": "constructive"' in said


def _texts(rendered: Any) -> list[str]:
    """Every text a person reads in a message or view (not the values sent back)."""
    if isinstance(rendered, dict):
        own = [rendered["text"]] if isinstance(rendered.get("text"), str) else []
        return own + [t for k, v in rendered.items() if k != "value" for t in _texts(v)]
    if isinstance(rendered, list):
        return [t for v in rendered for t in _texts(v)]
    return []


_FINDINGS = [
    LinkFinding("flat"),
    LinkFinding("short", needs_more=3),
    LinkFinding(
        "unsure", lag=2, r=-0.123, n=40, teams=8, p_holm=0.34, tested=5, level=0.99,
        ci_low=-0.41, ci_high=0.2, drift_adjusted=False,
    ),
    LinkFinding(
        "leads", lag=2, r=0.42, n=52, teams=1, p_holm=0.004, tested=5, level=0.99,
        ci_low=0.1, ci_high=0.66,
    ),
    LinkFinding(
        "same", lag=0, r=0.5, n=52, teams=1, p_holm=0.0004, tested=1, level=0.95,
        ci_low=0.1, ci_high=0.7,
    ),
    LinkFinding(
        "negative", lag=1, r=-0.5, n=52, teams=3, p_holm=0.02, tested=4, level=0.9875,
        ci_low=-0.7, ci_high=-0.1,
    ),
]  # fmt: skip
_SAID = [
    *(LinkSaid(f, "CSAT", cadence) for f in _FINDINGS for cadence in ("weekly", "quarterly")),
    *(LinkSaid(f, "NPS", "monthly", periods=14) for f in _FINDINGS),
    *(LinkSaid(f, "CSAT", segment="frontline") for f in _FINDINGS),
    LinkSaid(_FINDINGS[0], "CSAT", imported=False),
]
_GAPS = [
    GapSaid(78.2, 64.0, 1.5, 1.0, 2.0, 8, False),
    GapSaid(62.0, 70.4, 0.1, -0.5, 0.7, 6, False),
    GapSaid(58.0, 60.0, None, None, None, 1, True),
    GapSaid(61.0, 60.0, -1.2, -2.0, -0.4, 5, True, "quarterly"),
    GapSaid(50.0, 61.0, 0.8, 0.2, 1.4, 5, False, "monthly"),
]
_ENGLISH = (
    r"\b(link|between|tends|weeks?|months?|quarters?|lags|tested|across|drift|needed|imported"
    r"|Customers|perceived|measured|trend|reads|thought)\b"
)


def _figures_in(said: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)?", said.replace(",", "."))


def test_link_and_gap_sentences_say_the_same_figures_in_every_language(locale: str) -> None:
    """Every case of the EX↔CX link and perception-gap sentences, in the reader's language,
    with the figures the English sentence gives (decimal sign aside)."""
    lang = language(locale)
    for said in _SAID:
        with using("en"):
            english = said.sentence
        mine = said.sentence
        assert _figures_in(mine) == _figures_in(english), (english, mine)
        assert (re.search(_ENGLISH, mine) is None) == (lang != "en"), mine
    for gap in _GAPS:
        for yours in (True, False):
            with using("en"):
                english = gap_sentence(gap, yours=yours)
            mine = gap_sentence(gap, yours=yours)
            assert _figures_in(mine) == _figures_in(english), (english, mine)
            assert (re.search(_ENGLISH, mine) is None) == (lang != "en"), mine


def test_hr_surfaces_fit(locale: str) -> None:
    """`/pulse admin` replies, a segment cut and the digest (team lines, links, gaps, segments,
    commitments) at their longest, in the reader's language."""
    lang = language(locale)
    bank = load_bank()
    week = dt.date(2026, 11, 23)
    row = {
        "name": TEAM,
        "rule": schedule_rule(Schedule("biweekly", 1, dt.time(10), 48, 24, frozenset())),
        "next": day_label(week),
        "members": 1,
        "synced": False,
        "failures": {"messages_tab_disabled": 2, "user_not_found": 1, "pulse_closed": 3},
    }
    replies = [
        admin_blocks.schedules([row] * 60),
        admin_blocks.questions(
            [
                (d.label_in(lang), [(q.key, q.text_in(lang), True) for q in qs])
                for d, qs in ((bank.drivers[k], v) for k, v in bank.by_driver().items())
            ]
        ),
        {"text": tr(admin_blocks.ADMIN_USAGE)},
    ]
    rows = (
        SegmentRow("v" * 80, True, 12, 0.5, 61.0, -20.0, (("tools", 52.0),) * 12),
        SegmentRow("v2", False),
    )
    cut = SegmentCut("support", "layer", "L" * 80, 5, week, 40, 66.0, rows * 20)
    replies += [
        segment_report(node_name=TEAM, cut=cut, driver_labels={"tools": "T" * 40}),
        segment_report(node_name=TEAM, cut=SegmentCut("support", "layer", "Layer", 5, None)),
    ]
    for reply in replies[:2] + replies[3:]:
        _fits(reply)
    change = scores.change_sentence(
        4.2, False, 9, pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-16")
    )
    flag = "eNPS is −20, below the −10 floor (9 answers)."
    digest = Digest(
        week=week,
        k=5,
        weeks=12,
        org=None,
        at_risk=[TeamLine("t", TEAM, flag, (flag,) * 3)] * 40,
        improved=[TeamLine("t", TEAM, change, change=change, engagement=71.0)] * 5,
        links=[("CSAT", s.sentence) for s in _SAID],
        gaps=[TeamLine("t", TEAM, f"CSAT: {gap_sentence(g, yours=False)}") for g in _GAPS] * 6,
        commitments=[CommitmentLine(TEAM, "c" * 300, "Tools", week, "withheld", None, None)] * 20,
        segments=[cut] * 5,
        segment_links=[ValueLink("CSAT", "frontline", s) for s in [*_SAID[-7:], None]],
    )
    messages = digest_messages(digest=digest)
    for message in messages:
        _fits(message)
    said = json.dumps([replies, messages], ensure_ascii=False)
    english = ("Question bank", "Pulse schedules", "member", "hidden", "respondents", "local time")
    assert any(word in said for word in english) == (lang == "en"), said[:2000]
    assert "12" in said and "61" in said  # the same figures in every language
