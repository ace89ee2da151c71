"""Slack text objects as safe HTML: `mrkdwn` formatting and `plain_text` with emoji.

Everything the app wrote is escaped; only the tags made here reach the page.
Slack expects apps to send `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, and
shows them decoded, so those three entities are decoded before escaping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import escape

# The shortcodes the bot uses, and a few common ones; unknown codes stay as typed (as in Slack).
EMOJI = {
    "white_check_mark": "✅", "heavy_check_mark": "✔️", "warning": "⚠️", "speech_balloon": "💬",
    "question": "❓", "handshake": "🤝", "bar_chart": "📊", "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉", "tada": "🎉", "wave": "👋", "heart": "❤️", "+1": "👍",
    "thumbsup": "👍", "-1": "👎", "rotating_light": "🚨", "red_circle": "🔴", "x": "❌",
    "large_green_circle": "🟢", "large_yellow_circle": "🟡", "lock": "🔒", "bell": "🔔",
    "calendar": "📅", "memo": "📝", "bulb": "💡", "sparkles": "✨", "star": "⭐",
    "information_source": "ℹ️", "pause_button": "⏸️", "arrow_up": "⬆️", "arrow_down": "⬇️",
    "seedling": "🌱", "inbox_tray": "📥", "wastebasket": "🗑️", "eyes": "👀", "pray": "🙏",
}  # fmt: skip

_CODE = re.compile(r"```(.+?)```|`([^`\n]+)`", re.S)
_ANGLE = re.compile(r"<([^<>\s][^<>]*)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_SPANS = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "s"),
]
_LINK = re.compile(r"(https?://|mailto:)[^\s<>]+$")
_HOLE = re.compile(r"\x00(\d+)\x00")
_QUOTE = "&gt;"


def plain(text: str, *, emoji: bool = True) -> str:
    """A `plain_text` object's text: escaped, shortcodes replaced, newlines kept."""
    out = escape(text)
    return (emojize(out) if emoji else out).replace("\n", "<br>")


def emojize(html: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), html)


def mrkdwn(text: str, names: Mapping[str, str] | None = None) -> str:
    """`mrkdwn` as HTML: *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes,
    links `<url|label>`, mentions `<@U…>`/`<#C…>`/`<!here>`, emoji; lines kept."""
    holes: list[str] = []

    def hole(html: str) -> str:
        holes.append(html)
        return f"\x00{len(holes) - 1}\x00"

    def code(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return hole(f"<pre>{escape(_decode(match.group(1).strip(chr(10))))}</pre>")
        return hole(f"<code>{escape(_decode(match.group(2)))}</code>")

    text = _CODE.sub(code, text.replace("\x00", ""))
    text = _ANGLE.sub(lambda m: _entity(m, names or {}, hole), text)
    html = escape(_decode(text))
    for pattern, tag in _SPANS:
        html = pattern.sub(rf"<{tag}>\1</{tag}>", html)
    html = _lines(emojize(html))
    return _HOLE.sub(lambda m: holes[int(m.group(1))], html)


def _decode(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _entity(match: re.Match[str], names: Mapping[str, str], hole: Callable[[str], str]) -> str:
    """One `<…>` token; anything Slack would not recognise is left as literal text."""
    target, _, label = match.group(1).partition("|")
    prefix = {"@U": "@", "@W": "@", "@B": "@", "#C": "#"}.get(target[:2])
    if prefix is not None:
        name = _decode(label or names.get(target[1:], target[1:]))
        return hole(f"<span class='mention'>{prefix}{escape(name)}</span>")
    if target.startswith("!"):
        word = _decode(label or target[1:].split("^")[0])
        return hole(f"<span class='mention'>@{escape(word)}</span>")
    if _LINK.match(target):
        href, shown = escape(_decode(target)), escape(_decode(label or target))
        return hole(f"<a href='{href}' target='_blank' rel='noopener noreferrer'>{shown}</a>")
    return match.group(0)


def _lines(html: str) -> str:
    """Join lines with <br>, folding runs of `> ` lines into one blockquote."""
    out: list[str] = []
    quoted: list[str] = []
    plain_lines: list[str] = []
    for line in html.split("\n"):
        if line.startswith(_QUOTE):
            if plain_lines:
                out.append("<br>".join(plain_lines))
                plain_lines = []
            quoted.append(line[len(_QUOTE) :].removeprefix(" "))
        else:
            if quoted:
                out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
                quoted = []
            plain_lines.append(line)
    if quoted:
        out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
    if plain_lines:
        out.append("<br>".join(plain_lines))
    return "".join(out)
