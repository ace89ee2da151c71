"""Text a person typed is shown as text: the one escaping function every renderer uses.

Comments, written answers, commitments, question text, scale labels, team and people names
are data, never markup. In Slack's mrkdwn, ``&``, ``<`` and ``>`` start entities, mentions
(``<!channel>``, ``<@U…>``) and links whose label hides the address; ``*_~``` and a line
that starts with ``>`` format. ``escape`` turns all of these into text, so the only markup
in a message is the product's own. Bidi overrides (which make text read differently from
what it is) and control characters (ANSI escapes in a terminal) are dropped everywhere.

``md`` and ``plain`` are the two Slack text objects; every mrkdwn object is ``verbatim``, so
Slack never turns a bare ``@channel``, ``#channel`` or URL in it into a live mention or link.
"""

from __future__ import annotations

import re
from typing import Any

ELLIPSIS = "…"
EMPTY = "–"
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# ANSI/VT sequences whole (CSI, OSC, two-character ESC), then any other control character
# except tab and newline (C0, DEL, C1), then bidi embeddings, overrides and isolates.
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]|[\u202a-\u202e\u2066-\u2069]"
)
_FOLD = re.compile(r"\s*\n\s*")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKUP = re.compile("[&<>]")
# Slack has no escape for its formatting characters: typed ones become their look-alikes
# (asterisk operator, modifier low macron, tilde operator, modifier grave accent).
_FORMATTING = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
# A whole emoji code gets its underscores back (each between letters or digits, so never
# italics); one cut short by a limit keeps the look-alikes.
_EMOJI_CODE = re.compile(r":[a-z0-9]+(?:[\u02cd-][a-z0-9]+)+:")
_CUT_CODE = re.compile(r":[a-z0-9_-]*$")
_QUOTE = re.compile(r"^([ \t]*)&gt;", re.M)  # a line starting with ">" is a blockquote
_SOFT_HYPHEN = "\u00ad"  # invisible, and enough to keep ">" from starting a quote


def clean(text: str, *, lines: bool = False) -> str:
    """``text`` without control or bidi-override characters; on one line unless ``lines``.

    For plain_text objects and terminals, which show characters as they are."""
    out = _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text)).replace("\t", " ")
    return out.strip("\n") if lines else _FOLD.sub(" ", out).strip()


def escape(text: str, *, lines: bool = False, limit: int | None = None) -> str:
    """``text`` as mrkdwn that shows exactly what was typed (see the module docstring).

    On one line unless ``lines`` (a typed line break must not end the product's own
    formatting around it). ``limit`` bounds the escaped length (``&`` becomes five
    characters), cutting before an entity rather than through it, and marks the cut."""
    out = _MARKUP.sub(lambda m: _ENTITIES[m.group()], clean(text, lines=lines))
    out = _QUOTE.sub(rf"\1{_SOFT_HYPHEN}&gt;", out.translate(_FORMATTING))
    out = out if limit is None else truncate(out, limit)
    return _EMOJI_CODE.sub(lambda m: m.group().replace("\u02cd", "_"), out)


def quoted(text: str, *, limit: int) -> str:
    """Typed text with line breaks as a mrkdwn blockquote of at most ``limit`` characters
    (``&gt;`` starts a quote as ``>`` does: Slack stores quotes people type that way)."""
    lines = escape(text, lines=True).split("\n")
    return truncate("\n".join(f"&gt; {line}" for line in lines if line.strip()), limit)


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters of escaped mrkdwn, never ending inside an entity (nor
    in an emoji code, whose underscores would no longer sit between letters)."""
    if len(text) <= limit:
        return text
    kept = text[: cut_point(text, limit - len(ELLIPSIS))].rstrip()
    return _CUT_CODE.sub(lambda m: m.group().replace("_", "\u02cd"), kept) + ELLIPSIS


def cut_point(text: str, at: int) -> int:
    """``at``, or the start of the entity (``&amp;``, ``&lt;``, ``&gt;``) it would cut."""
    amp = text.rfind("&", max(0, at - 4), at)
    return amp if amp != -1 and ";" not in text[amp:at] else at


def md(text: str) -> dict[str, Any]:
    """A mrkdwn text object; put typed text in it only through ``escape``."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str, *, limit: int | None = None) -> dict[str, Any]:
    """A plain_text object (Slack shows it as typed); ``limit`` as the field allows.

    Never empty (Slack refuses that): a label that was only spaces or dropped characters
    shows as a dash."""
    out = clean(text) or EMPTY
    if limit is not None and len(out) > limit:
        out = out[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return {"type": "plain_text", "text": out, "emoji": True}
