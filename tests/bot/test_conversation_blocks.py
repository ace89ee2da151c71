"""Conversation renderers: typed text stays text, every surface passes Slack's limits, and
the author is shown as Anonymous unless they signed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.blocks import conversations as blocks
from bot.blocks.inbox import filter_modal, inbox_blocks
from bot.blocks.validate import check_message, check_view
from bot.inbox import InboxItem

HOSTILE = [
    "<!channel> *bold* _it_ ~s~ `code` <https://evil.example|click> &amp; > quote",
    "\u202eevil\u202c \x1b[31mred\x1b[0m line\nbreak",
    "x" * 2000,
]
AT = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)


def _lines(typed: str) -> list[blocks.Line]:
    return [
        blocks.Line(side="manager", body=typed, at=AT, manager_id="U0MANAGER", tone="mixed"),
        blocks.Line(side="author", body=typed, at=AT, tone="constructive"),
        blocks.Line(side="author", body=typed, at=None, revealed_name=typed),
    ] * 8


def _surfaces(typed: str) -> list[tuple[str, dict]]:
    opened = blocks.pulse_label(AT)
    item = InboxItem(
        "0123456789abcdef", typed, opened, typed, "general", typed, typed, "mixed", typed, "new"
    )
    return [
        (
            "view",
            blocks.thread_modal(
                comment_id="0123456789abcdef",
                team_name=typed,
                pulse_label=opened,
                prompt=typed,
                body=typed,
                tone="mixed",
                lines=_lines(typed),
                label="idea",
            ),
        ),
        (
            "view",
            blocks.author_modal(comment_id="0123456789abcdef", comment=typed, lines=_lines(typed)),
        ),
        ("view", blocks.reveal_modal(comment_id="0123456789abcdef", name=typed, body=typed)),
        (
            "view",
            {
                "type": "home",
                "blocks": inbox_blocks(
                    [item] * 12, total=12, unread=3, filter_value="|", filter_text=None
                ),
            },
        ),
        ("view", filter_modal(drivers=[("general", typed)], driver=None, tone="mixed")),
        (
            "message",
            blocks.author_dm(
                comment_id="0123456789abcdef",
                team_name=typed,
                pulse_label=opened,
                comment=typed,
                reply=_lines(typed)[0],
                relay_every=3,
            ),
        ),
        (
            "message",
            blocks.relay_notice(
                comment_id="0123456789abcdef",
                team_name=typed,
                pulse_label=opened,
                line=_lines(typed)[1],
            ),
        ),
    ]


@pytest.mark.parametrize("typed", HOSTILE)
def test_typed_text_is_text_and_every_surface_fits_slack(typed: str) -> None:
    for kind, surface in _surfaces(typed):
        check_view(surface) if kind == "view" else check_message(surface)
        mrkdwn = json.dumps([b for b in surface["blocks"] if b.get("type") != "input"])
        assert "<!channel>" not in mrkdwn and "<https://" not in mrkdwn
        assert "\u202e" not in mrkdwn and "\\u001b" not in mrkdwn


def test_the_author_is_anonymous_unless_they_signed() -> None:
    anonymous = blocks.Line(side="author", body="hi", at=AT)
    signed = blocks.Line(side="author", body="hi", at=AT, revealed_name="Alex Kim")
    manager = blocks.Line(side="manager", body="hi", at=AT, manager_id="U0MANAGER")
    assert blocks.who(anonymous) == "Anonymous"
    assert blocks.who(signed).startswith("Alex Kim")
    assert blocks.who(manager) == "<@U0MANAGER>"
    forged = blocks.Line(side="manager", body="hi", at=AT, manager_id="<!channel>")
    assert blocks.who(forged) == "A manager"
