"""What a person typed after `/pulse report`: a team and a week count, read the way people write.

A team is its key or its name in any case, or a unique beginning of either; names may have
several words (`Customer Support 4`). Teams are looked up only among those the person may
see, so every answer (found, ambiguous, unknown) is the same whether or not other teams
exist. Each refusal says what would work instead of a generic "I don't understand".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.access import is_hr_admin, viewable_teams
from bot.blocks.text import escape
from figures.ready import DEFAULT_WEEKS
from insights.scores import ORG
from settings.config import AppConfig

MAX_WEEKS = 52
ORG_WORDS = ("all", "org", "everyone")  # HR's org-wide report
_NUMBER = re.compile(r"[-+]?\d+w?|\d*\.\d+w?", re.IGNORECASE)
_WEEKS = re.compile(r"(\d{1,3})w?", re.IGNORECASE)
NOT_A_MANAGER = (
    "Reports are for team managers and HR, and you're not listed as either. "
    "Your own answers stay private to you: `/pulse my-data` shows them."
)


@dataclass(frozen=True)
class Wanted:
    """One report: a team key (ORG for HR's whole organisation), over ``weeks``."""

    team: str
    weeks: int
    segment: str | None = None  # `/pulse report TEAM by SEGMENT`: a [[segments]] key


@dataclass(frozen=True)
class Choose:
    """No team named and several to choose from: ``teams`` as (key, name), ORG first for HR."""

    teams: list[tuple[str, str]]
    weeks: int


@dataclass(frozen=True)
class Refused:
    text: str


Request = Wanted | Choose | Refused


def read_report_args(config: AppConfig, *, user_id: str, args: list[str]) -> Request:
    """The report this person asked for, a choice to offer them, or why neither.

    ``TEAM by SEGMENT`` (the last ``by``) asks for the team's cut by a ``[[segments]]``
    attribute, named by key or name; a team whose own name holds "by" still works."""
    lowered = [a.lower() for a in args]
    if "by" not in lowered:
        return _read(config, user_id=user_id, args=args)
    at = len(lowered) - 1 - lowered[::-1].index("by")
    segment = _segment(config, " ".join(args[at + 1 :]))
    if isinstance(segment, Refused):
        whole = _read(config, user_id=user_id, args=args)
        return whole if isinstance(whole, Wanted) else segment
    wanted = _read(config, user_id=user_id, args=args[:at])
    if isinstance(wanted, Choose):
        example = "all" if wanted.teams[0][0] == ORG else wanted.teams[0][0]
        return Refused(
            f"Name the team to cut, e.g. `/pulse report {example} by {segment}`. "
            f"Your teams: {_listed(wanted.teams)}."
        )
    return Wanted(wanted.team, wanted.weeks, segment) if isinstance(wanted, Wanted) else wanted


def _segment(config: AppConfig, said: str) -> str | Refused:
    """The ``[[segments]]`` key named by its key or name (any case), or why not."""
    phrase = " ".join(said.lower().split())
    for seg in config.segments:
        if phrase in (seg.key, " ".join(seg.name.lower().split())):
            return seg.key
    if not config.segments:
        return Refused(
            "No segments are set up: HR declares them in config.toml (`[[segments]]`) "
            "and imports people's values with `pulse people import`."
        )
    known = ", ".join(f"`{s.key}` ({escape(s.name)})" for s in config.segments)
    return Refused(f"No segment called {quoted(said)}. Segments: {known}.")


def _read(config: AppConfig, *, user_id: str, args: list[str]) -> Request:
    teams = _teams(config, user_id)
    if not teams:
        return Refused(NOT_A_MANAGER)
    phrase = " ".join(args)
    if not phrase:
        return _default(config, user_id, teams, DEFAULT_WEEKS)
    found = _match(teams, phrase)
    if found:
        return _one(found, phrase, DEFAULT_WEEKS)
    *name, last = args
    named = " ".join(name)
    found = _match(teams, named) if named else []
    if not _NUMBER.fullmatch(last):
        if len(found) == 1:
            return Refused(_bad_weeks(last, found[0][0]))
        return Refused(unknown_team(phrase, teams))
    if named and not found:
        return Refused(unknown_team(named, teams))
    weeks = _WEEKS.fullmatch(last)
    if weeks is None or not 1 <= int(weeks[1]) <= MAX_WEEKS:
        return Refused(_bad_weeks(last, found[0][0] if len(found) == 1 else None))
    if not named:
        return _default(config, user_id, teams, int(weeks[1]))
    return _one(found, named, int(weeks[1]))


def _teams(config: AppConfig, user_id: str) -> list[tuple[str, str]]:
    """(key, name) of every team the person may see; HR's whole-org report first."""
    seen = [
        (key, team.name) for key in viewable_teams(config, user_id) if (team := config.team(key))
    ]
    return [(ORG, "All teams"), *seen] if is_hr_admin(config, user_id) else seen


def _default(config: AppConfig, user_id: str, teams: list[tuple[str, str]], weeks: int) -> Request:
    """No team named: a manager of one team (or one department) gets it; HR and managers of
    several teams choose."""
    own = [t.key for t in config.teams if user_id in t.managers]
    if is_hr_admin(config, user_id) or len(own) > 1:
        return Choose(teams, weeks)
    return Wanted(own[0] if own else teams[0][0], weeks)


def _match(teams: list[tuple[str, str]], phrase: str) -> list[tuple[str, str]]:
    """Exact key or name (any case, any spacing) first; otherwise every team whose key or
    name begins with the phrase."""
    said = " ".join(phrase.lower().split())
    if said in ORG_WORDS and teams[0][0] == ORG:
        return [teams[0]]
    exact = [t for t in teams if said in (t[0].lower(), " ".join(t[1].lower().split()))]
    if exact:
        return exact[:1]
    named = [t for t in teams if t[0] != ORG]
    return [t for t in named if t[0].startswith(said) or t[1].lower().startswith(said)]


def _one(found: list[tuple[str, str]], said: str, weeks: int) -> Request:
    if len(found) == 1:
        return Wanted(found[0][0], weeks)
    return Refused(
        f"{quoted(said)} could be {_listed(found)}. Type more of the name, "
        f"e.g. `/pulse report {found[0][0]}`."
    )


def unknown_team(said: str, teams: list[tuple[str, str]]) -> str:
    """The reply for a team that is not among ``teams``, whether or not it exists."""
    return f"No team called {quoted(said)} that you can see. Your teams: {_listed(teams)}."


def _bad_weeks(said: str, key: str | None) -> str:
    example = f"/pulse report {'all' if key == ORG else key or ''}".strip()
    return (
        f"{quoted(said)} isn't a number of weeks I can show: reports cover 1 to {MAX_WEEKS} "
        f"weeks (default {DEFAULT_WEEKS}), e.g. `{example} 8`."
    )


def _listed(teams: list[tuple[str, str]]) -> str:
    shown = [
        "`all` (All teams)" if key == ORG else f"`{key}` ({escape(name)})" for key, name in teams
    ]
    if len(shown) > 12:
        shown = [*shown[:12], f"and {len(shown) - 12} more"]
    return ", ".join(shown)


def quoted(said: str) -> str:
    """What the person typed, shown as text: a code span can't carry markup or mentions."""
    return "`" + escape(said[:60].replace("`", "'")) + "`"
