"""`GET /`: Block Kit and mrkdwn rendered as Slack shows them, escaped, per person."""

from __future__ import annotations

import json
import urllib.request
from html import unescape
from typing import Any

import pytest
from slack_sdk import WebClient

from sandbox import SandboxServer, Workspace
from sandbox.web.blocks import Context, render
from sandbox.web.mrkdwn import mrkdwn, plain

LIVE = Context(names={"U0ALICE": "Alice"}, live=True)


def md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def button(label: str, action_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": pt(label), "action_id": action_id, **extra}


def get(server: SandboxServer, query: str = "") -> tuple[str, dict[str, str]]:
    with urllib.request.urlopen(f"{server.base}/{query}", timeout=5) as response:
        return response.read().decode(), dict(response.headers.items())


def page(server: SandboxServer, query: str = "") -> str:
    return get(server, query)[0]


# -- mrkdwn ------------------------------------------------------------------------------------


def test_mrkdwn_formatting_as_slack_shows_it() -> None:
    html = mrkdwn("*bold* _it_ ~gone~ `x*y*` snake_case_name 2*3*4 :white_check_mark: :nope:")
    assert "<b>bold</b> <i>it</i> <s>gone</s> <code>x*y*</code>" in html
    assert "snake_case_name 2*3*4 ✅ :nope:" in html
    assert mrkdwn("a\n> quoted *q*\n> more\n• one\n• two") == (
        "a<blockquote>quoted <b>q</b><br>more</blockquote>• one<br>• two"
    )
    assert mrkdwn("```pre <b>\n*x*```") == "<pre>pre &lt;b&gt;\n*x*</pre>"


def test_mrkdwn_links_mentions_and_entities() -> None:
    html = mrkdwn("<https://ex.test/a?b=1&amp;c=2|the docs> <@U0ALICE> <#C0HR|people> <!here>")
    assert "<a href='https://ex.test/a?b=1&amp;c=2' target='_blank'" in html
    assert ">the docs</a>" in html and "@Alice" not in html  # names come from the caller
    assert "@Alice" in mrkdwn("<@U0ALICE>", {"U0ALICE": "Alice"})
    assert "#people" in html and "@here" in html
    assert (
        mrkdwn("1 &lt; 2 &amp;&amp; 3 &gt; 2") == "1 &lt; 2 &amp;&amp; 3 &gt; 2"
    )  # shown as typed


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<javascript:alert(1)|click>",
        "<https://x.test/'onmouseover='alert(1)|x>",
        "*<img src=x onerror=alert(1)>*",
    ],
)
def test_mrkdwn_never_lets_markup_through(text: str) -> None:
    html = mrkdwn(text, {"U1": "<b>"})
    assert "<script" not in html and "<img" not in html and "href='javascript" not in html
    assert "'onmouseover" not in html


def test_plain_text_is_escaped_and_emojized_but_not_formatted() -> None:
    assert plain("*Hi* <b> :wave:\nbye") == "*Hi* &lt;b&gt; 👋<br>bye"
    assert plain(":wave:", emoji=False) == ":wave:"


# -- blocks ------------------------------------------------------------------------------------


def test_every_block_type_renders() -> None:
    blocks = [
        {"type": "header", "text": pt("Weekly pulse :bar_chart:")},
        {
            "type": "section",
            "block_id": "q1",
            "text": md("*Energy* this week?"),
            "fields": [md("*Team*\nSupport"), md("*Answered*\n9 of 12")],
            "accessory": button("Write", "write", value="w"),
        },
        {"type": "context", "elements": [md(":white_check_mark: Recorded: *Good*")]},
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "a1",
            "elements": [
                button("Good", "ans", value="4", style="primary"),
                button("Delete", "del", value="d", style="danger"),
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "placeholder": pt("Pick one"),
                    "options": [{"text": pt("Tools"), "value": "tools"}],
                },
            ],
        },
        {
            "type": "image",
            "image_url": "https://ex.test/c.png",
            "alt_text": "chart",
            "title": pt("CSAT"),
        },
    ]
    html = render(blocks, LIVE)
    assert "<div class='bk-header'>Weekly pulse 📊</div>" in html
    assert "<b>Energy</b> this week?" in html
    assert "<div class='bk-fields'><div><b>Team</b><br>Support</div>" in html
    assert "class='bk-accessory'><button type='button' class='bk-btn default'" in html
    assert "<div class='bk-context'><span>✅ Recorded: <b>Good</b></span></div>" in html
    assert "<hr class='bk-divider'>" in html
    assert "class='bk-btn primary' data-act='click' data-action-id='ans' data-block-id='a1'" in html
    assert "data-value='4'>Good</button>" in html
    assert "class='bk-btn danger'" in html
    assert "<option value='tools'>Tools</option>" in html and ">Pick one</option>" in html
    assert "<figcaption>CSAT</figcaption><img class='bk-img' src='https://ex.test/c.png'" in html


def test_confirm_dialog_travels_with_the_button() -> None:
    confirm = {
        "title": pt("Delete?"),
        "text": md("Can't undo"),
        "confirm": pt("Delete"),
        "deny": pt("Keep"),
    }
    html = render([{"type": "actions", "elements": [button("X", "x", confirm=confirm)]}], LIVE)
    attribute = html.split("data-confirm='")[1].split("'")[0]
    assert json.loads(unescape(attribute)) == {
        "title": "Delete?",
        "text": "Can't undo",
        "confirm": "Delete",
        "deny": "Keep",
    }


def test_modal_inputs_show_drafts_errors_and_options() -> None:
    blocks = [
        {
            "type": "input",
            "block_id": "text",
            "label": pt("Anything else?"),
            "hint": pt("anonymous"),
            "element": {
                "type": "plain_text_input",
                "action_id": "t",
                "multiline": True,
                "max_length": 200,
                "placeholder": pt("Type here"),
            },
        },
        {
            "type": "input",
            "block_id": "who",
            "optional": True,
            "label": pt("Focus"),
            "element": {
                "type": "static_select",
                "action_id": "s",
                "options": [{"text": pt("A"), "value": "a"}, {"text": pt("B"), "value": "b"}],
            },
        },
        {
            "type": "input",
            "block_id": "one",
            "label": pt("Title"),
            "element": {"type": "plain_text_input", "action_id": "o", "initial_value": "<hi>"},
        },
    ]
    ctx = Context(drafts={"text": "</textarea><script>", "who": "b"}, errors={"text": "Too short"})
    html = render(blocks, ctx)
    assert "<textarea class='bk-field' rows='4' data-input='text' data-action-id='t' " in html
    assert (
        "maxlength='200' placeholder='Type here'>&lt;/textarea&gt;&lt;script&gt;</textarea>" in html
    )
    assert "<div class='bk-error'>Too short</div><div class='bk-hint'>anonymous</div>" in html
    assert "<span class='bk-optional'>(optional)</span>" in html
    assert "<option value='b' selected>B</option>" in html
    assert "<input class='bk-field' type='text' data-input='one'" in html
    assert "value='&lt;hi&gt;'>" in html


def test_controls_are_disabled_when_no_app_is_connected() -> None:
    html = render([{"type": "actions", "elements": [button("Go", "go")]}], Context())
    assert "disabled title='No app connected: read-only'" in html


def test_unknown_blocks_and_unsafe_image_urls_degrade_visibly() -> None:
    html = render(
        [{"type": "rich_text"}, {"type": "image", "image_url": "javascript:x", "alt_text": "<c>"}],
        LIVE,
    )
    assert "[rich_text block]" in html and "[image: &lt;c&gt;]" in html and "javascript" not in html


# -- the page over HTTP ------------------------------------------------------------------------


def test_page_shows_one_persons_dm_updated_in_place_and_their_ephemerals(
    server: SandboxServer, client: WebClient, workspace: Workspace
) -> None:
    first = client.chat_postMessage(
        channel="U0ALICE",
        text="q",
        blocks=[{"type": "section", "text": md("First <script>alert(1)</script>")}],
    )
    client.chat_postMessage(channel="U0ALICE", text="*second* message")
    client.chat_update(
        channel=first["channel"],
        ts=first["ts"],
        text="q",
        blocks=[{"type": "section", "text": md("First, *answered*")}],
    )
    client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst, only you")
    client.chat_postMessage(channel="U0BOB", text="for Bob only")
    html = page(server, "?as=U0ALICE")
    assert html.index("First, <b>answered</b>") < html.index("<b>second</b> message")
    assert "(edited)" in html and "alert(1)" not in html
    assert "for Bob only" not in html
    channel = page(server, "?as=U0ALICE&view=C0GENERAL")
    assert "psst, only you" in channel and "Only visible to you" in channel
    assert "psst" not in page(server, "?as=U0BOB&view=C0GENERAL")


def test_picker_lists_humans_escaped_and_defaults_to_someone_with_a_dm(
    server: SandboxServer, client: WebClient, workspace: Workspace
) -> None:
    workspace.add_user("U0EVIL", "evil", real_name="<script>alert('x')</script>")
    workspace.add_user("U0HELPER", "helper", real_name="Helper Bot", is_bot=True)
    client.chat_postMessage(channel="U0CAROL", text="hi <@U0EVIL>")
    html = page(server)
    assert "<option value='U0CAROL' selected>Carol · U0CAROL</option>" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; · U0EVIL" in html
    assert "@&lt;script&gt;" in html and "<script>" not in html
    assert "Helper Bot" not in html and "Oxygen Pulse · " not in html


def test_home_tab_modal_and_read_only_notice(server: SandboxServer, workspace: Workspace) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": md("old home")}]}
    workspace.publish_home("U0ALICE", home)
    workspace.publish_home(
        "U0ALICE", {**home, "blocks": [{"type": "section", "text": md("new home")}]}
    )
    workspace.open_modal(
        "U0ALICE",
        {
            "type": "modal",
            "title": pt("Your answer"),
            "submit": pt("Save"),
            "blocks": [{"type": "section", "text": md("in the modal")}],
        },
    )
    html = page(server, "?as=U0ALICE&view=home")
    assert "new home" in html and "old home" not in html
    assert "class='modal' data-surface='view'" in html and "in the modal" in html
    assert "<span>Your answer</span>" in html and ">Save</button>" in html
    assert "<b>Read-only</b>: no app connected" in html
    assert "in the modal" not in page(server, "?as=U0BOB&view=home")


def test_channel_files_png_inline_others_as_download(
    server: SandboxServer, client: WebClient
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    client.files_upload_v2(channel="C0GENERAL", content=png, filename="chart.png", title="Chart")
    client.files_upload_v2(channel="C0GENERAL", content=b"<script>x</script>", filename="x.html")
    html = page(server, "?as=U0BOB&view=C0GENERAL")
    assert "# general" in html
    image_url = html.split("<img src='")[1].split("'")[0]
    with urllib.request.urlopen(server.base + image_url, timeout=5) as response:
        assert response.headers["Content-Type"] == "image/png" and response.read() == png
    link = html.split("<a class='file' href='")[1].split("'")[0]
    with urllib.request.urlopen(server.base + link, timeout=5) as response:
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")


def test_page_is_locked_down_and_its_assets_are_served(server: SandboxServer) -> None:
    _, headers = get(server)
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for name, kind in (("page.js", "text/javascript"), ("page.css", "text/css")):
        with urllib.request.urlopen(f"{server.base}/_sandbox/static/{name}", timeout=5) as r:
            assert r.headers["Content-Type"].startswith(kind) and len(r.read()) > 500
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{server.base}/_sandbox/static/../server.py", timeout=5)
    assert missing.value.code == 404
    missing.value.close()
