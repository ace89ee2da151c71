"""Block Kit rendered readably in a terminal (demo, `digest --dry-run`).

Slack's three entities are shown as the characters they stand for, and no control
character (an ANSI escape typed into a comment or a team name) reaches the terminal."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from bot.blocks.text import clean

WIDTH = 78
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}


def render(message: dict[str, Any], *, title: str | None = None) -> str:
    lines: list[str] = []
    if title:
        title = _decode(clean(title))
        lines += [f"┌─ {title} " + "─" * max(0, WIDTH - len(title) - 4)]
    blocks = message.get("blocks") or []
    if not blocks and message.get("text"):
        lines += _wrap(_md(message["text"]))
    for block in blocks:
        lines += _block(block)
    body = ["│ " + line for line in lines[1 if title else 0 :]]
    out = ([lines[0]] if title else []) + body + (["└" + "─" * (WIDTH - 1)] if title else [])
    return "\n".join(clean(line, lines=True) for line in out)


def _block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        text = block["text"]["text"]
        return ["", text.upper(), "═" * min(len(text), WIDTH)]
    if kind == "divider":
        return ["─" * 40]
    if kind == "context":
        return _wrap(" ".join(_text(e) for e in block.get("elements", [])), prefix="  ")
    if kind == "section":
        out = _wrap(_text(block["text"])) if block.get("text") else []
        for field in block.get("fields", []):
            out += _wrap(_text(field), prefix="  ")
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            out.append(f"  [ {accessory['text']['text']} ]")
        return out
    if kind == "actions":
        buttons = []
        for element in block.get("elements", []):
            label = element.get("text", {}).get("text", "?")
            buttons.append(f"[*{label}*]" if element.get("style") == "primary" else f"[{label}]")
        return _wrap(" ".join(buttons), prefix="  ")
    if kind == "image":
        return [f"  (image: {block.get('alt_text', '')})"]
    return [f"  ({kind} block)"]


def _text(obj: dict[str, Any]) -> str:
    return _md(obj.get("text", "")) if obj.get("type") == "mrkdwn" else obj.get("text", "")


def _md(text: str) -> str:
    text = re.sub(r":white_check_mark:", "✓", text)
    text = re.sub(r":[a-z_]+:", "", text)
    return _decode(re.sub(r"(?<!\w)[*_](\S[^*_]*?)[*_](?!\w)", r"\1", text))


def _decode(text: str) -> str:
    return re.sub("&(?:lt|gt|amp);", lambda m: _ENTITIES[m.group()], text)


def _wrap(text: str, *, prefix: str = "") -> list[str]:
    out: list[str] = []
    for para in text.split("\n"):
        out += textwrap.wrap(
            para, WIDTH - 2 - len(prefix), initial_indent=prefix, subsequent_indent=prefix
        ) or [""]
    return out
