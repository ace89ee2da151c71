"""Every surface's figures as a user sees them, as lines of text per surface.

A surface is what one person sees at one place: a `/pulse report` reply, a Home tab, the HR
digest (messages, chart captions and the figures its charts draw), the red-flag alert DMs,
and `pulse export`'s CSV files. Messages become their visible text, block by block.

Stripped, because they legitimately vary between two builds of the same world: Slack
timestamps and file ids (the sandbox's), chart image bytes (their figures are kept, see
tests/golden/charts.py), block and action ids, button values (they carry pulse and question
ids), and the order of anonymous comments, which the product shuffles on purpose (sorted
here). Nothing else is changed.
"""

from __future__ import annotations

from typing import Any

from tests.golden import charts
from tests.golden.worlds import HR, NEXT_MONDAY, World

Surfaces = dict[str, list[str]]
COMMENTS = "*Anonymous comments*"


def _text(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def block_lines(block: dict[str, Any]) -> list[str]:
    """The visible text of one Block Kit block, one entry per text element."""
    kind = block.get("type")
    out: list[str] = []
    if kind == "divider":
        return ["---"]
    if kind in ("header", "section"):
        if "text" in block:
            out.append(_text(block["text"]))
        out += [_text(f) for f in block.get("fields", [])]
    elif kind == "context":
        out += [
            _text(e) if e.get("type") != "image" else e.get("alt_text", "")
            for e in block.get("elements", [])
        ]
    elif kind == "image":
        out += [f"[image] {_text(block.get('title'))}", f"[image alt] {block.get('alt_text', '')}"]
    elif kind == "actions":
        out += [
            f"[{e.get('type')}] {_text(e.get('text')) or _text(e.get('placeholder'))}"
            for e in block.get("elements", [])
        ]
    elif kind == "input":
        out.append(f"[input] {_text(block.get('label'))}")
    else:
        out.append(f"[{kind}]")
    return out


def _sorted_comments(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comment sections that follow the comments heading, in text order."""
    blocks = list(blocks)
    for i, block in enumerate(blocks):
        if block.get("type") == "section" and _text(block.get("text")).startswith(COMMENTS):
            end = i + 1
            while end < len(blocks) and blocks[end].get("type") == "section":
                end += 1
            shown = int(_text(block["text"]).split("(")[1].split(",")[0])
            assert shown == end - i - 1, "more comments than a report shows: the shown ones vary"
            blocks[i + 1 : end] = sorted(blocks[i + 1 : end], key=lambda b: _text(b.get("text")))
    return blocks


def message_lines(message: dict[str, Any]) -> list[str]:
    lines = [f"[text] {message.get('text', '')}"] if message.get("text") else []
    for block in _sorted_comments(message.get("blocks", [])):
        for entry in block_lines(block):
            lines += entry.split("\n")
    for file in message.get("files", []):
        lines.append(f"[file] {file.get('title', '')}")
    return lines


def messages_lines(messages: list[dict[str, Any]], *, who: str = "") -> list[str]:
    lines: list[str] = []
    for n, message in enumerate(messages, start=1):
        to = f" to {message['channel']}" if who == "channel" else ""
        thread = " (in thread)" if message.get("thread_ts") else ""
        lines.append(f"=== message {n}{to}{thread}")
        lines += message_lines(message)
    return lines


def chart_lines() -> list[str]:
    """The figures of every chart drawn since the last call, as JSON lines."""
    import json

    return [json.dumps(c, sort_keys=True, ensure_ascii=False) for c in charts.take()]


def _report_keys(world: World) -> list[tuple[str, str]]:
    """(user, command text): every team's and department's manager, HR for every team and
    department and the org (default and 52 weeks)."""
    config = world.settings.config
    asks = [
        (world.managers[t.key], f"report {t.key}") for t in config.teams if t.key in world.managers
    ]
    asks += [(HR, f"report {t.key}") for t in config.teams]
    return [*asks, (HR, "report all"), (HR, "report all 52")]


def capture(world: World) -> Surfaces:
    """Every surface of ``world`` at its clock's time."""
    charts.take()  # nothing drawn while building counts
    out: Surfaces = {}
    for label, replies in world.during.items():
        out[f"report · {label}"] = messages_lines(replies)
    for user, text in _report_keys(world):
        out[f"report · {user} · /pulse {text}"] = messages_lines(world.report(user, text))
    for user in sorted({*world.managers.values(), HR}):
        out[f"home · {user}"] = messages_lines([world.home(user)])
        drawn = chart_lines()
        if drawn:
            out[f"home · {user} · chart figures"] = drawn
    now = world.clock.now
    digests = {"digest": now}
    if world.name == "demo":
        digests["digest · next Monday"] = NEXT_MONDAY
    for label, when in digests.items():
        posted = world.run_digest(when)
        out[label] = messages_lines(posted, who="channel")
        out[f"{label} · chart figures"] = chart_lines()
    alerted = world.run_alerts(now)
    out["alerts"] = [
        line
        for message in alerted
        for line in [f"=== DM to {world.ws.dm_user(message['channel'])}", *message_lines(message)]
    ]
    for name, csv in world.export(now).items():
        out[f"export · {name}"] = csv.splitlines()
    return out
