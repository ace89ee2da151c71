"""Typed text stays text: what people type reaches every Slack surface as text, never markup.

Comments, written answers, commitments, custom question text, scale labels and team and
people names go through every renderer that shows them. In mrkdwn no ``<`` ``>`` or ``&``
survives except as one of Slack's three entities (so no ``<!channel>``, no ``<@U…>``, no
``<url|label>`` hiding where a link goes), no typed ``*_~``` adds formatting, no bidi
override or control character is shown, every output passes Slack's limits, and the
sandbox page shows the result as escaped HTML text.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot import ids
from bot.blocks import admin, commitments, modal, report
from bot.blocks.dashboard import dashboard_blocks
from bot.blocks.digest import alert_message, digest_messages
from bot.blocks.home import PastPulse, home_view
from bot.blocks.mydata import my_data
from bot.blocks.pulse import QuestionItem, pulse_message, reminder_message
from bot.blocks.terminal import render
from bot.blocks.text import escape, md, plain, quoted, truncate
from bot.blocks.validate import check_message, check_view
from figures.commitments import CommitmentLine
from figures.digest import Digest, OrgFigures, TeamLine
from figures.digest_charts import Chart
from figures.export import spreadsheet_safe
from figures.teams import DriverFigure, TeamFigures
from insights.alerts import RedFlag
from sandbox import company
from sandbox.page import render_page
from sandbox.web import blocks as sandbox_blocks
from sandbox.web.mrkdwn import mrkdwn as sandbox_mrkdwn
from storage.db import session_scope
from storage.models import Comment
from storage.pseudonym import respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answer
from tests.bot.conftest import World

EXAMPLES = int(os.environ.get("PULSE_TYPED_TEXT_EXAMPLES", "20"))  # more: a longer hunt
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S123>",
    "<!subteam^S123|@support>",
    "<@U123>",
    "<@U0MANAGER|boss>",
    "<#C123>",
    "<#C123|general>",
    "<http://evil.example/x|HR portal>",
    "<mailto:a@b.example|mail>",
    "<!date^1392734382^{date}|x>",
    "<script>alert(1)</script>",
    "&",
    "&amp;",
    "&lt;!here&gt;",
    "&#60;",
    "*bold*",
    "_italic_",
    "~struck~",
    "`code`",
    "```pre```",
    "> quoted",
    "\n> quoted line",
    ":tada:",
    ":white_check_mark:",
    ":a__:",
    "_x :b_c: y_",
    "@channel",
    "#general",
    "http://evil.example",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2067",
    "\u2069",
    "\u200f",
    "مرحبا",
    "\x1b[31m",
    "\x1b]0;title\x07",
    "\x00",
    "\x7f",
    "\x9b",
    "\r\n",
    "\t",
    "|",
    " ",
    "é",
    "👩🏽‍💻",
]
_pieces = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=4))
typed = st.one_of(
    st.lists(_pieces, min_size=1, max_size=10).map("".join),
    st.sampled_from(HOSTILE).map(lambda s: (s * (2000 // len(s) + 1))[:2000]),  # 2,000 chars
    st.lists(st.sampled_from(HOSTILE), min_size=200, max_size=400).map(lambda s: "".join(s)[:2000]),
)
PROPERTY = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ENTITY = re.compile("&(?:amp|lt|gt);")
FORMATTING = "*_~`"
INTRAWORD = re.compile(r"(?<=[a-z0-9])_(?=[a-z0-9])")  # in emoji codes: never formats
REPORTED = "Escalations <!channel> ping? <@U0MANAGER> see <http://evil.example/x|HR portal>"

# -- every surface that shows typed text, built around one typed string ---------------------

WEEK = dt.date(2026, 11, 23)


def _figures(typed: str, *, shown: bool = True) -> TeamFigures:
    if not shown:
        return TeamFigures(team="quiet", since=WEEK - dt.timedelta(weeks=3), weeks=4)
    return TeamFigures(
        team="support",
        since=WEEK - dt.timedelta(weeks=3),
        weeks=4,
        period=WEEK,
        respondents=9,
        invited=12,
        engagement=68.2,
        sentence=f"Up 4 points from last week — {typed}",
        enps=12.5,
        enps_n=8,
        series=((WEEK - dt.timedelta(weeks=2), 61.0), (WEEK, 68.2)),
        drivers=(DriverFigure("tools", 52.0, 9, WEEK, -12.0, False),),
        flags=(RedFlag("support", pd.Timestamp(WEEK), "low_enps", f"eNPS low: {typed}", 9),),
    )


def surfaces(typed: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(surface, "message" | "view", payload) for every renderer showing ``typed``."""
    questions = [
        QuestionItem(1, typed, "likert5", (typed,) * 5),
        QuestionItem(2, typed, "text"),
        QuestionItem(3, typed, "nps10"),
    ]
    for closed in (False, True):
        yield (
            "pulse DM",
            "message",
            pulse_message(
                pulse_id=7,
                team_name=typed,
                questions=questions,
                answers={1: 3, 3: 9},
                written=frozenset({2}),
                commented=True,
                commitments=(typed,),
                closes_label="Fri 27 Nov, 10:00 CET",
                closed=closed,
            ),
        )
    yield "reminder", "message", reminder_message(team_name=typed, closes_label="Fri")
    past = PastPulse(1, typed, "Tue 24 Nov", "closed", [(typed, typed), (typed, "Agree")], typed)
    fig = _figures(typed)
    dash = dashboard_blocks([(typed, fig)], weeks=12, k=5, chart_file_id="F1", charted=[typed])
    for board in (dash, None):
        yield (
            "Home",
            "view",
            home_view(
                pulses=[past],
                paused_until=None,
                opted_out=False,
                enrolled=True,
                k=5,
                manager_of=[typed, typed],
                dashboard=board,
            ),
        )
    pulse = report.LatestPulse(
        label="opened 24 Nov 2026 · closed",
        respondents=6,
        participation=0.5,
        lines=[
            report.QuestionLine(typed, "likert5", 6, 3.5),
            report.QuestionLine(typed, "nps10", 6, 7.2),
            report.QuestionLine(typed, "likert5", 2, None),
        ],
        comments=[(typed, typed), (None, typed)],
    )
    made = commitments.report_section(
        [(typed, typed, "24 Nov", "kept", 4.2, 6), (typed, typed, "2 Nov", "pending", None, None)],
        team_key="support",
        k=5,
    )
    for message in report.team_report(
        team_name=typed,
        fig=fig,
        k=5,
        pulse=pulse,
        links=[report.LinkLine(typed, f"No reliable link yet: {typed}", typed)],
        driver_labels={"tools": typed},
        extra=made,
        other_teams=[typed, typed],
    ):
        yield "team report", "message", message
    teams = [(typed, fig), (typed, _figures(typed, shown=False))]
    for message in report.department_report(name=typed, fig=fig, teams=teams, k=5):
        yield "department report", "message", message
    digest = Digest(
        week=WEEK,
        k=5,
        weeks=12,
        org=OrgFigures(120, 64.0, typed, 0.7, 2.0, 12.0, WEEK, -3.0),
        at_risk=[TeamLine("support", typed, typed)],
        improved=[TeamLine("success", typed, typed)],
        links=[(typed, typed)],
        gaps=[TeamLine("support", typed, typed)],
        commitments=[CommitmentLine(typed, typed, typed, WEEK, "kept", 4.1, 6)],
        charts=[Chart("engagement.png", typed, b"")],
        teams_hidden=1,
    )
    for message in digest_messages(digest=digest):
        yield "digest", "message", message
    yield (
        "alert",
        "message",
        alert_message(
            team_name=typed, team_key=typed, week_label="week of 23 Nov", reasons=[typed], k=5,
            why=typed,
        ),
    )  # fmt: skip
    row = {"name": typed, "rule": typed, "next": "Tue", "members": 6, "synced": False}
    yield "admin schedules", "message", admin.schedules([{**row, "failures": {typed: 1}}])
    bank = [(typed, [(typed, typed, True), ("tools.have", typed, False)])]
    yield "admin questions", "message", admin.questions(bank)
    yield (
        "written answer modal",
        "view",
        modal.text_answer_modal(question_text=typed, initial=typed, private_metadata="1:2:D1:1"),
    )
    yield (
        "commitment modal",
        "view",
        commitments.commitment_modal(
            team_key="support", team_name=typed, drivers=[("tools", typed)]
        ),
    )
    yield "commitment saved", "view", commitments.saved_view(team_name=typed, text=typed)
    record = {
        "name": typed,
        "time_zone": typed,
        "teams": [typed, typed],
        "opted_out": False,
        "paused_until": None,
        "pulses": [{"answers": [1], "written": []}],
    }
    yield "my-data", "message", my_data(record)


def _texts(node: Any, kind: str) -> Iterator[str]:
    """Every text object's text of ``kind`` (mrkdwn or plain_text) anywhere in ``node``."""
    if isinstance(node, dict):
        if node.get("type") == kind and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from _texts(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value, kind)


def _mrkdwn(surface: str, shape: str, payload: dict[str, Any]) -> list[str]:
    """mrkdwn texts, including a message's top-level text (Slack formats it too)."""
    top = [payload["text"]] if shape == "message" and payload.get("text") else []
    return top + list(_texts(payload, "mrkdwn"))


def _formatting(payloads: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for surface, shape, payload in payloads:
        text = INTRAWORD.sub("", "".join(_mrkdwn(surface, shape, payload)))
        counts.setdefault(surface, Counter()).update(c for c in text if c in FORMATTING)
    return counts


BENIGN = list(surfaces("Zed"))
BENIGN_FORMATTING = _formatting(BENIGN)


def _sandbox_html(shape: str, payload: dict[str, Any]) -> str:
    ctx = sandbox_blocks.Context(names={"U123": "Someone", "U0MANAGER": "Manager"})
    html = sandbox_blocks.render(payload.get("blocks"), ctx)
    if shape == "message" and payload.get("text"):
        html += sandbox_mrkdwn(payload["text"], ctx.names)
    return html


@PROPERTY
@given(typed=typed)
@example(typed=REPORTED)
@example(typed="… every Thursday <!here>")
@example(typed="&" * 2000)
@example(typed="<" * 2000)
@example(typed="\u202e\x1b[0m ")
def test_typed_text_is_text_on_every_surface(typed: str) -> None:
    rendered = list(surfaces(typed))
    assert {s for s, _, _ in rendered} == {s for s, _, _ in BENIGN}
    for surface, shape, payload in rendered:
        (check_message if shape == "message" else check_view)(payload)
        for text in _mrkdwn(surface, shape, payload):
            left = ENTITY.sub("", text)
            assert not set(left) & set("<>&"), (surface, text[:200])
            assert not BIDI.search(text) and not CONTROL.search(text.replace("\n", "")), surface
        for text in _texts(payload, "plain_text"):
            assert not BIDI.search(text) and not CONTROL.search(text), surface
            assert text.strip(), surface  # Slack refuses an empty label
        html = _sandbox_html(shape, payload)
        assert "class='mention'" not in html and "<a " not in html, surface
        # (no "<b>" check here: the product bolds a question it shows, typed or not; typed
        # *_~` adding formatting is what the counts below catch)
        assert "<script" not in html, surface
    # Typed *_~` never adds formatting: no more of them than around a harmless name
    # (a long text may cut some of the product's own, never add).
    for surface, counts in _formatting(rendered).items():
        assert counts <= BENIGN_FORMATTING[surface], (surface, counts)


@PROPERTY
@given(typed=typed)
@example(typed="\x1b[2J\x1b[31m<!here> &#27;[31m \u202eevil")
def test_the_terminal_digest_shows_typed_text_without_control_characters(typed: str) -> None:
    """`pulse digest --dry-run` prints the digest: a team name can't drive the terminal."""
    for surface, shape, payload in surfaces(typed):
        if shape == "message":
            shown = render(payload, title=payload.get("text"))
            assert "\x1b" not in shown and not BIDI.search(shown), surface
            assert not CONTROL.search(shown.replace("\n", "")), surface


@PROPERTY
@given(typed=typed, limit=st.integers(10, 3000))
def test_escaped_text_is_cut_between_entities_and_within_the_limit(typed: str, limit: int) -> None:
    for cut in (escape(typed, limit=limit), truncate(escape(typed, lines=True), limit)):
        assert len(cut) <= limit
        assert not set(ENTITY.sub("", cut)) & set("<>&"), cut[-20:]
    assert len(quoted(typed, limit=limit)) <= limit


def test_the_terminal_decodes_only_slacks_entities_and_drops_control_characters() -> None:
    """Even a message that skipped the renderers cannot clear or recolour the terminal."""
    text = "Team \x1b[2J\x1b[31mRed\x1b[0m &lt;!here&gt; &amp;#27;[31m \u202eevil \x07"
    message = {"text": text, "blocks": [{"type": "section", "text": md(text)}]}
    shown = render(message, title=text)
    assert "\x1b" not in shown and "\x07" not in shown and not BIDI.search(shown)
    assert "Team Red <!here> &#27;[31m evil" in shown  # &amp; decoded once, never twice


# -- what the escaping does, example by example ---------------------------------------------


def test_mentions_and_links_are_shown_as_typed_not_live() -> None:
    assert escape(REPORTED) == (
        "Escalations &lt;!channel&gt; ping? &lt;@U0MANAGER&gt; see "
        "&lt;http://evil.example/x|HR portal&gt;"
    )
    html = sandbox_mrkdwn(escape(REPORTED))
    assert "Escalations &lt;!channel&gt; ping? &lt;@U0MANAGER&gt;" in html
    assert "&lt;http://evil.example/x|HR portal&gt;" in html  # the address is visible
    assert "mention" not in html and "href" not in html
    assert escape("R&amp;D <3") == "R&amp;amp;D &lt;3"  # typed entities are text too


def test_typed_formatting_shows_as_look_alikes_and_the_product_formatting_stays() -> None:
    name = escape("*Team* _x_ ~y~ `z`")
    assert name == "\u2217Team\u2217 \u02cdx\u02cd \u223cy\u223c \u02cbz\u02cb"
    html = sandbox_mrkdwn(f"*{name}* · week of 23 Nov")
    assert html.startswith("<b>") and html.count("<b>") == 1 and "<i>" not in html
    assert "<code>" not in html and "<s>" not in html
    assert escape("> not a quote") == "\u00ad&gt; not a quote"
    assert escape("thanks :slightly_smiling_face: :+1: _x_") == (
        "thanks :slightly_smiling_face: :+1: \u02cdx\u02cd"  # emoji codes still show as emoji
    )
    assert escape(":a__b: _c:_") == ":a\u02cd\u02cdb: \u02cdc:\u02cd"
    assert "blockquote" not in sandbox_mrkdwn(escape("> not a quote"))


def test_spoofing_and_control_characters_are_dropped_and_lines_fold() -> None:
    assert escape("abc\u202eevil.exe\u2066x\u2069") == "abcevil.exex"
    assert escape("red\x1b[31m alert\x07") == "red alert"
    assert escape("two\nlines\r\n  here") == "two lines here"
    assert escape("two\r\nlines", lines=True) == "two\nlines"
    assert quoted("first\n\n> second", limit=100) == "&gt; first\n&gt; \u00ad&gt; second"
    assert sandbox_mrkdwn(quoted("first\n> second", limit=100)).startswith("<blockquote>first")


def test_cuts_never_split_an_entity_and_say_they_cut() -> None:
    assert escape("&" * 10, limit=12) == "&amp;&amp;…"
    assert escape("ab&" * 10, limit=12) == "ab&amp;ab…"
    assert escape("short", limit=10) == "short"
    assert plain("x" * 200, limit=150)["text"] == "x" * 149 + "…"
    assert md("a") == {"type": "mrkdwn", "text": "a", "verbatim": True}


def test_a_commitment_reaches_the_next_pulse_as_text() -> None:
    message = pulse_message(
        pulse_id=1,
        team_name="Support",
        questions=[QuestionItem(1, "Energy?", "likert5")],
        answers={},
        commitments=("We review escalations every Thursday <!here>",),
        closes_label="Fri",
    )
    check_message(message)
    section = next(b for b in message["blocks"] if "commitment" in json.dumps(b))
    assert section["text"]["text"].endswith("every Thursday &lt;!here&gt;")
    assert section["text"]["verbatim"] is True
    assert "mention" not in _sandbox_html("message", message)


def test_an_exported_team_name_is_not_a_spreadsheet_formula(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "team": ["support", "-x"],
            "name": ['=HYPERLINK("http://evil.example","Support")', "@SUM(A1:A9)"],
            "score": [-12.5, 3.0],
        }
    )
    spreadsheet_safe(frame).to_csv(tmp_path / "teams.csv", index=False)
    with (tmp_path / "teams.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example","Support")',
        "'@SUM(A1:A9)",
    ]
    assert [r["team"] for r in rows] == ["support", "'-x"]
    assert [r["score"] for r in rows] == ["-12.5", "3.0"]  # numbers stay numbers


# -- end to end: an anonymous comment through the real app and the sandbox page -----------

SUPPORT = company.team_members("support")


def _comment(world: World, user: str, text: str) -> None:
    """Save an anonymous comment as Slack would submit the comment modal."""
    dm = world.sandbox.workspace.dm_messages(user)[-1]
    metadata = f"{world.pulse_id}:{ids.COMMENT_QUESTION}:{dm['channel']}:{dm['ts']}"
    payload = {
        "type": "view_submission",
        "team": {"id": "T0SANDBOX"},
        "user": {"id": user},
        "trigger_id": "1.2.3",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": ids.TEXT_MODAL,
            "private_metadata": metadata,
            "state": {
                "values": {
                    ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": text}}
                }
            },
        },
    }
    assert world.dispatch(urlencode({"payload": json.dumps(payload)})) == 200


def _answer_all(world: World, users: list[str]) -> None:
    secret = world.settings.secret()  # type: ignore[union-attr]
    with session_scope(world.engine) as s:
        view = pulse_view(s, pulse_id=world.pulse_id)
        assert view is not None
        for q in view.questions:
            for user in users:
                key = respondent_key(
                    secret, workspace="T0SANDBOX", user_id=user, pulse_id=world.pulse_id
                )
                if q.kind != "text":
                    value = 4 if q.kind == "likert5" else 9
                    record_answer(
                        s,
                        pulse_id=world.pulse_id,
                        question_id=q.id or 0,
                        respondent=key,
                        value=value,
                    )


def _open_home(world: World, user: str) -> dict[str, Any]:
    before = len(world.sandbox.workspace.views(user))
    envelope = {
        "type": "event_callback",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0PULSE",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "tab": "home"},
    }
    assert world.dispatch(json.dumps(envelope), "application/json") == 200
    views = [v for v in world.sandbox.workspace.views(user) if v["type"] == "home"]
    assert len(world.sandbox.workspace.views(user)) > before
    return views[-1]


def test_an_anonymous_comment_reaches_the_report_and_home_as_text(world: World) -> None:
    author = SUPPORT[0]
    _comment(world, author, REPORTED)
    _answer_all(world, SUPPORT[:6])
    world.close_pulse()
    with session_scope(world.engine) as s:  # released at the close, as typed
        assert [c.body for c in s.exec(select(Comment))] == [REPORTED]

    replies = [world.command("U0MANAGER", "report")]
    for reply in replies:
        check_message(reply)
    texts = [t for reply in replies for t in _mrkdwn("report", "message", reply)]
    assert any("&gt; Escalations &lt;!channel&gt; ping? &lt;@U0MANAGER&gt;" in t for t in texts)
    assert not any("<!channel>" in t or "<@U0MANAGER>" in t for t in texts)
    page = render_page(world.sandbox, "as=U0MANAGER")
    assert "Escalations &lt;!channel&gt; ping? &lt;@U0MANAGER&gt; see" in page
    assert "class='mention'" not in page and "evil.example/x'" not in page

    home = _open_home(world, author)
    check_view(home)
    shown = "\n".join(_texts(home, "mrkdwn"))
    assert "&gt; Escalations &lt;!channel&gt; ping? &lt;@U0MANAGER&gt;" in shown
    page = render_page(world.sandbox, f"as={author}&view=home")
    assert "Escalations &lt;!channel&gt; ping?" in page and "class='mention'" not in page
    assert world.errors == []
