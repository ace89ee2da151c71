"""`pulse people import FILE`: people's segment values from HR's CSV, all or nothing.

The header names the person column (`slack_user_id` or `email`) and one column per
`[[segments]]` key to set; a banded attribute (tenure) takes the person's start date
(YYYY-MM-DD or YYYY-MM, kept as the month only). An empty cell clears that value; people
not in the file keep theirs, so importing the same file twice changes nothing. Every
problem is reported with its line and column, and nothing is written unless none is found.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from settings.config import USER_ID, AppConfig

PERSON_COLUMNS = ("slack_user_id", "email")
MAX_SHOWN = 20


class PeopleImportError(ValueError):
    """The file cannot be imported; the message lists every problem by line and column."""


@dataclass
class People:
    """What a valid file sets: person (Slack id or email) -> attribute -> value or None."""

    by: str  # "slack_user_id" or "email"
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # person -> line in the file


def read_people(text: str, config: AppConfig, *, source: str, today: dt.date) -> People:
    """Parse and validate HR's CSV against ``[[segments]]``; raise with every problem."""
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if not header or not any(header):
        raise PeopleImportError(
            f"{source}: empty file (expected a header like slack_user_id,layer)"
        )
    person, *columns = header
    if not config.segments:
        raise PeopleImportError(
            f'{source}: config.toml declares no [[segments]]; add one (e.g. key = "layer")'
        )
    known = ", ".join(s.key for s in config.segments)
    if person not in PERSON_COLUMNS:
        problems.append(f"{source} line 1, column 1: {person!r} should be slack_user_id or email")
    seen: set[str] = set()
    for i, name in enumerate(columns, start=2):
        if config.segment(name) is None:
            problems.append(
                f"{source} line 1, column {i}: no segment {name!r} in config.toml (known: {known})"
            )
        elif name in seen:
            problems.append(f"{source} line 1, column {i}: {name!r} appears twice")
        seen.add(name)
    if not columns:
        problems.append(f"{source} line 1: no segment column (known: {known})")
    if problems:
        raise PeopleImportError(_listed(problems))
    people = People(by=person)
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{source} line {line}: {len(row)} cells, the header has {len(header)}")
            continue
        who = row[0].strip()
        where = f"{source} line {line}, column 1 ({person})"
        if person == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", who):
            problems.append(f"{where}: {who!r} is not an email address")
            continue
        if person == "slack_user_id" and not re.fullmatch(USER_ID, who):
            problems.append(f"{where}: {who!r} is not a Slack user id (like U0123ABC)")
            continue
        who = who.lower() if person == "email" else who
        if who in people.lines:
            problems.append(f"{where}: {who!r} is already on line {people.lines[who]}")
            continue
        values: dict[str, str | None] = {}
        for i, (name, cell) in enumerate(zip(columns, row[1:], strict=True), start=2):
            seg = config.segment(name)
            assert seg is not None
            value, problem = seg.parse(cell, today)
            if problem:
                problems.append(f"{source} line {line}, column {i} ({name}): {problem}")
            values[name] = value
        people.values[who], people.lines[who] = values, line
    if problems:
        raise PeopleImportError(_listed(problems))
    if not people.values:
        raise PeopleImportError(f"{source}: no people after the header")
    return people


def _listed(problems: list[str]) -> str:
    shown = problems[:MAX_SHOWN]
    more = len(problems) - len(shown)
    tail = [f"... and {more} more problems"] if more else []
    return "\n".join([*shown, *tail, "nothing was imported"])


def by_user_id(
    people: People, *, source: str, lookup: Callable[[str], str | None]
) -> dict[str, dict[str, str | None]]:
    """The values keyed by Slack user id; emails are looked up (``lookup``: email -> id)."""
    if people.by == "slack_user_id":
        return people.values
    out: dict[str, dict[str, str | None]] = {}
    problems = []
    for email, values in people.values.items():
        user = lookup(email)
        line = people.lines[email]
        if user is None:
            problems.append(f"{source} line {line}, column 1 (email): no Slack user has {email!r}")
        elif user in out:
            problems.append(f"{source} line {line}, column 1 (email): {user} is listed twice")
        else:
            out[user] = values
    if problems:
        raise PeopleImportError(_listed(problems))
    return out


def load(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PeopleImportError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise PeopleImportError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None
