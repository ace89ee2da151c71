"""Block Kit shown readably in a terminal (demo, `digest --dry-run`), drawn by rich.

A message is a rich Panel: a header is a titled rule, a section's fields a two-column
table, context dim, dividers rules, buttons ``[labels]`` (the chosen one ``[*bold*]``).
Slack's three entities are shown as the characters they stand for, the product's own
``*bold*``, ``_italic_`` and ```code``` as styles. Typed text cannot drive the terminal: no control
character (an ANSI escape typed into a comment or a team name) reaches it, and everything
is a rich Text, never rich markup, so a typed ``[red]`` is shown as typed.
"""

from __future__ import annotations

import io
import re
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from bot.blocks.text import clean

WIDTH = 78
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}
_FORMATTING = re.compile(r"(?<!\w)([*_`])(\S[^*_`]*?)\1(?!\w)")
_STYLES = {"*": "bold", "_": "italic", "`": "bold cyan"}


def panel(message: dict[str, Any], *, title: str | None = None) -> RenderableType:
    """The message as a rich renderable, at most WIDTH columns wide, boxed when titled."""
    parts: list[RenderableType] = []
    blocks = message.get("blocks") or []
    if not blocks and message.get("text"):
        parts.append(_md(message["text"]))
    for block in blocks:
        parts += _block(block)
    if parts and isinstance(parts[0], Text) and not parts[0].plain:
        parts = parts[1:]  # the blank line that sets off a header, at the top
    body: RenderableType = Group(*parts)
    if title:
        heading = Text(_decode(clean(title)), style="bold")
        body = Panel(
            body,
            title=heading,
            title_align="left",
            box=box.ROUNDED,
            border_style="cyan",
            padding=(0, 1),
        )
    return Constrain(body, WIDTH)


def render(message: dict[str, Any], *, title: str | None = None) -> str:
    """The message as plain text (no colour, no escape codes), as a test or a log reads it."""
    out = Console(
        file=io.StringIO(),
        width=WIDTH,
        color_system=None,
        force_terminal=False,
        markup=False,
        emoji=False,
        highlight=False,
    )
    out.print(panel(message, title=title))
    text = out.file.getvalue() if isinstance(out.file, io.StringIO) else ""
    return "\n".join(line.rstrip() for line in text.rstrip("\n").split("\n"))


def _block(block: dict[str, Any]) -> list[RenderableType]:
    kind = block.get("type")
    if kind == "header":
        heading = Text(_decode(clean(block["text"]["text"])).upper(), style="bold")
        return [Text(""), Rule(heading, characters="═", align="left", style="bold cyan")]
    if kind == "divider":
        return [Rule(style="dim")]
    if kind == "context":
        line = Text(" ").join(_text(e) for e in block.get("elements", []))
        line.stylize("dim")
        return [Padding(line, (0, 0, 0, 2))]
    if kind == "section":
        out: list[RenderableType] = [_bullets(_text(block["text"]))] if block.get("text") else []
        fields = block.get("fields", [])
        if fields:
            grid = Table.grid(padding=(0, 3), expand=False)
            grid.add_column(max_width=WIDTH // 2 - 4)
            grid.add_column(max_width=WIDTH // 2 - 4)
            for i in range(0, len(fields), 2):
                grid.add_row(*(_text(f) for f in fields[i : i + 2]))
            out.append(Padding(grid, (0, 0, 0, 2)))
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            out.append(Padding(_button(accessory, bracket="[ {} ]"), (0, 0, 0, 2)))
        return out
    if kind == "actions":
        buttons = [_button(e) for e in block.get("elements", [])]
        return [Padding(Text(" ").join(buttons), (0, 0, 0, 2))]
    if kind == "image":
        alt = _decode(clean(block.get("alt_text", "")))
        return [Padding(Text(f"(image: {alt})", style="dim"), (0, 0, 0, 2))]
    return [Padding(Text(f"({clean(str(kind))} block)", style="dim"), (0, 0, 0, 2))]


def _bullets(text: Text) -> RenderableType:
    """``• item`` lines with a hanging indent, so a long item reads as one (an indented line
    right after an item belongs to it)."""
    lines = text.split("\n")
    if not any(line.plain.startswith("• ") for line in lines):
        return text
    items: list[Text | list[Text]] = []
    for line in lines:
        if line.plain.startswith("• "):
            items.append([line[2:]])
        elif line.plain[:1].isspace() and items and isinstance(items[-1], list):
            items[-1].append(line[len(line.plain) - len(line.plain.lstrip()) :])
        else:
            items.append(line)
    parts: list[RenderableType] = []
    for item in items:
        if isinstance(item, Text):
            parts.append(item)
            continue
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1)
        grid.add_column()
        grid.add_row(Text("•"), Text("\n").join(item))
        parts.append(grid)
    return Group(*parts)


def _button(element: dict[str, Any], *, bracket: str = "[{}]") -> Text:
    label = _decode(clean(element.get("text", {}).get("text", "?")))
    if element.get("style") == "primary":
        return Text(bracket.format(f"*{label}*"), style="bold green")
    return Text(bracket.format(label), style="cyan")


def _text(obj: dict[str, Any]) -> Text:
    if obj.get("type") == "mrkdwn":
        return _md(obj.get("text", ""))
    return Text(clean(obj.get("text", ""), lines=True))


def _md(text: str) -> Text:
    """mrkdwn as styled text: the product's *bold*, _italic_ and `code`, emoji codes dropped
    (typed text reaches here escaped: its look-alikes of these characters are not matched)."""
    text = clean(text, lines=True).replace(":white_check_mark:", "✓")
    text = re.sub(r":[a-z_]+: ?", "", text)
    out, last = Text(), 0
    for match in _FORMATTING.finditer(text):
        out.append(_decode(text[last : match.start()]))
        out.append(_decode(match.group(2)), style=_STYLES[match.group(1)])
        last = match.end()
    out.append(_decode(text[last:]))
    return out


def _decode(text: str) -> str:
    return re.sub("&(?:lt|gt|amp);", lambda m: _ENTITIES[m.group()], text)
