"""What a `/pulse` subcommand declares: its names, who may use it, its help and its handler.

``who`` decides which help lines a person sees (an employee is not shown HR's admin
commands). It is not the gate: each handler still refuses people it is not for, with its
own reply, next to the data it protects; tests/bot/test_commands.py checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from bot.access import is_hr_admin, viewable_teams
from bot.context import Context
from settings.config import AppConfig
from settings.i18n import tr

Replies = list[dict[str, Any]]  # a response URL takes up to 5 replies


class Audience(IntEnum):
    """Who a command is for. Each audience may use everything the ones below it may."""

    EMPLOYEE = 0  # anyone in the workspace
    MANAGER = 1  # listed as a manager of a team (or a parent team) in config.toml
    HR = 2  # listed as an HR admin in config.toml


def audience_of(config: AppConfig, user_id: str) -> Audience:
    """The widest audience this person belongs to (HR admins see every team's report)."""
    if is_hr_admin(config, user_id):
        return Audience.HR
    return Audience.MANAGER if viewable_teams(config, user_id) else Audience.EMPLOYEE


@dataclass(frozen=True)
class Call:
    """One `/pulse` invocation, as a handler receives it."""

    ctx: Context
    slack_team_id: str
    user_id: str
    name: str  # the subcommand as typed, lower case (`optout` or `optin` for one command)
    args: list[str]
    commands: Sequence[Command] = field(default=())  # the registry, for help


Handler = Callable[[Call], Replies]


@dataclass(frozen=True)
class Help:
    """One line of `/pulse help` (mrkdwn, without its bullet; English, marked with ``N_``)."""

    text: str
    who: Audience | None = None  # None: whoever may use the command


@dataclass(frozen=True)
class Command:
    """A `/pulse` subcommand: ``names`` as typed (the first is its name in help)."""

    names: tuple[str, ...]
    who: Audience
    help: tuple[Help, ...]
    handle: Handler
    takes_args: bool = False  # without, `/pulse resume now` is an unknown command

    def help_for(self, audience: Audience) -> list[str]:
        """The help lines this audience may act on."""
        return [tr(h.text) for h in self.help if audience >= (h.who or self.who)]
