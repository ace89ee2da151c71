"""Fit long Block Kit content into Slack's limits by splitting it, never by cutting words.

Slack refuses a section text over 3,000 characters and a message over 50 blocks, and a
slash command's response URL takes at most 5 replies. Text is split at line breaks, a
line too long for one section at spaces; blocks are spread over several messages, each
after the first labelled as a continuation.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.text import cut_point, md

SECTION_CHARS = 3000
MESSAGE_BLOCKS = 50
RESPONSES = 5  # uses of one response_url that Slack allows


def _words(line: str, limit: int) -> list[str]:
    """A line longer than ``limit`` as pieces ending at spaces (a longer word is split, but
    never inside an entity such as ``&amp;``)."""
    pieces, current = [], ""
    for word in line.split(" "):
        while len(word) > limit:  # only a URL or a pasted blob is this long
            if current:
                pieces.append(current)
                current = ""
            cut = cut_point(word, limit) or limit
            pieces.append(word[:cut])
            word = word[cut:]
        joined = f"{current} {word}" if current else word
        if len(joined) > limit:
            pieces.append(current)
            current = word
        else:
            current = joined
    return [*pieces, current] if current else pieces


def split_text(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """``text`` as chunks of at most ``limit`` characters, split at lines, else at words."""
    chunks, current = [], ""
    for line in text.split("\n"):
        for piece in _words(line, limit) if len(line) > limit else [line]:
            joined = f"{current}\n{piece}" if current else piece
            if len(joined) > limit and current:
                chunks.append(current)
                current = piece
            else:
                current = joined
    return [*chunks, current] if current.strip() else chunks


def sections(text: str, limit: int = SECTION_CHARS) -> list[dict[str, Any]]:
    """One mrkdwn section per chunk of ``text``."""
    return [{"type": "section", "text": md(chunk)} for chunk in split_text(text, limit)]


def pack(chunks: list[str], limit: int = SECTION_CHARS) -> list[dict[str, Any]]:
    """Sections holding as many whole ``chunks`` (blank-line separated) as fit in each."""
    texts: list[str] = []
    for chunk in chunks:
        for piece in split_text(chunk, limit):
            joined = f"{texts[-1]}\n\n{piece}" if texts else piece
            if texts and len(joined) <= limit:
                texts[-1] = joined
            else:
                texts.append(piece)
    return [{"type": "section", "text": md(text)} for text in texts]


def paginate(
    blocks: list[dict[str, Any]],
    *,
    text: str,
    max_blocks: int = MESSAGE_BLOCKS,
    max_messages: int = RESPONSES,
) -> list[dict[str, Any]]:
    """Ephemeral messages of at most ``max_blocks`` blocks each, at most ``max_messages``.

    Later messages start with a "continued" line; if even that many messages cannot hold
    everything, the last one says how much was left out instead of failing. ``text`` is
    mrkdwn (it heads the continued lines): typed names in it go through text.escape.
    """
    if len(blocks) <= max_blocks:
        return [{"response_type": "ephemeral", "text": text, "blocks": blocks}]
    per_page = max_blocks - 1  # room for the "continued" or "left out" line
    pages = [blocks[i : i + per_page] for i in range(0, len(blocks), per_page)]
    if len(pages) > max_messages:
        pages = pages[:max_messages]
        left = len(blocks) - sum(len(p) for p in pages) + 1
        note = f"{left} more parts did not fit in Slack's limits; ask for one team at a time."
        pages[-1] = [*pages[-1][:-1], _context(note)]
    out = []
    for n, page in enumerate(pages, start=1):
        head = [] if n == 1 else [_context(f"{text} · continued ({n} of {len(pages)})")]
        out.append({"response_type": "ephemeral", "text": text, "blocks": head + page})
    return out


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}
