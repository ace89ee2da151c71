"""Slack messages drawn in the terminal by rich (`pulse demo`, `pulse digest --dry-run`):
fields side by side, bullets with a hanging indent, the product's bold as bold on a terminal
only, and typed text shown as typed, never read as rich markup or emoji codes.
(Control characters and bidi overrides: tests/bot/test_typed_text.py.)"""

from __future__ import annotations

import re

import pytest

from bot.blocks.terminal import WIDTH, panel, render
from bot.blocks.text import escape, md
from cli.console import console

TYPED = "[bold red]boss[/] [link=http://evil.example]x[/link] :fire_engine:"
MESSAGE = {
    "text": "Weekly digest",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Pulse report"}},
        {"type": "section", "fields": [md("*Engagement*\n67 / 100"), md("*eNPS*\n−13")]},
        {"type": "divider"},
        {
            "type": "section",
            "text": md(
                "*Teams at risk*\n• *" + escape(TYPED) + "* — engagement fell 13 points below "
                "its 4-week baseline, beyond noise for 24 respondents\n• *Billing* — none"
            ),
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Agree"}},
                {
                    "type": "button",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Yes"},
                },
            ],
        },
    ],
}


def test_a_message_reads_as_a_boxed_panel() -> None:
    shown = render(MESSAGE, title="Weekly digest, week of 23 Nov")
    lines = shown.split("\n")
    assert lines[0].startswith("╭─ Weekly digest, week of 23 Nov ─") and lines[-1].startswith("╰")
    assert all(len(line) <= WIDTH for line in lines)
    assert "PULSE REPORT ═" in shown
    assert re.search(r"│ +Engagement +eNPS +│", shown)  # fields side by side
    assert re.search(r"│ +67 / 100 +−13 +│", shown)
    assert "[Agree] [*Yes*]" in shown  # the chosen button marked without colour


def test_a_long_bullet_keeps_a_hanging_indent() -> None:
    lines = render(MESSAGE, title="t").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("│ • "))
    assert lines[first + 1].startswith("│   ") and lines[first + 1][4] != " "


def test_typed_text_is_shown_as_typed_not_as_rich_markup(
    terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert TYPED.replace(":fire_engine:", "").strip() in render(MESSAGE, title="t")
    console().print(panel(MESSAGE, title="t"))
    out = capsys.readouterr().out
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "[bold red]boss[/]" in plain and "[link=http://evil.example]x[/link]" in plain
    assert "\x1b]8;" not in out  # no hyperlink escape was made from typed text
    assert "\x1b[1m" in out  # the product's *bold* is bold on a terminal


def test_colour_only_on_a_terminal(
    terminal: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    console().print(panel(MESSAGE, title="t"))
    assert re.search(r"\x1b\[[0-9;]*3[0-9]m", capsys.readouterr().out)  # a colour
    monkeypatch.setenv("NO_COLOR", "1")
    console().print(panel(MESSAGE, title="t"))
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7])m", capsys.readouterr().out)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.delenv("FORCE_COLOR")
    console().print(panel(MESSAGE, title="t"))
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.rstrip("\n") == render(MESSAGE, title="t")
