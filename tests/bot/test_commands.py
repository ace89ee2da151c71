"""The `/pulse` registry: one module per subcommand, and help that shows each person only
what they may use (an employee is not shown HR's admin commands)."""

from __future__ import annotations

import pytest

from bot.blocks.admin import ADMIN_USAGE
from bot.commands import COMMANDS, lookup
from bot.commands.registry import Audience, audience_of
from bot.commands.usage import usage
from bot.report_args import NOT_A_MANAGER
from sandbox import company
from tests.bot.conftest import World

EMPLOYEE = company.team_members("support")[0]
PEOPLE = {  # user id -> the audience config.toml puts them in
    EMPLOYEE: Audience.EMPLOYEE,
    "U0MANAGER": Audience.MANAGER,
    "U0CXDIRECTOR": Audience.MANAGER,  # manages a parent team only
    "U0HRLEAD": Audience.HR,
}
EVERYONE = ("/pulse pause 2w", "/pulse resume", "/pulse optout", "/pulse my-data", "/pulse help")
REPORT = "/pulse report [team] [weeks]"
HR_ONLY = ("/pulse report all", "/pulse admin send TEAM", "`close TEAM`", "/pulse admin help")
REFUSED = {  # what a command says to someone below its audience
    "report": NOT_A_MANAGER,
    "admin": "Admin commands are for the HR admins listed in Oxygen Pulse's config.",
}


def test_every_name_is_taken_once_and_every_command_has_help() -> None:
    names = [name for command in COMMANDS for name in command.names]
    assert len(names) == len(set(names))
    assert all(command.help for command in COMMANDS)
    assert all(name == name.lower() and " " not in name for name in names)


def test_help_per_audience() -> None:
    employee, manager, hr = (usage(COMMANDS, a) for a in Audience)
    for text in (employee, manager, hr):
        assert all(line in text for line in EVERYONE)
    assert "report" not in employee and "admin" not in employee
    assert REPORT in manager and not any(line in manager for line in HR_ONLY)
    assert REPORT in hr and all(line in hr for line in HR_ONLY)
    assert len(employee) < len(manager) < len(hr)


def test_arguments_only_where_a_command_takes_them() -> None:
    assert lookup("resume", []) is not None and lookup("resume", ["now"]) is None
    assert lookup("help", ["me"]) is None and lookup("my-data", ["x"]) is None
    assert lookup("pause", ["2w"]) is not None and lookup("report", ["support", "8"]) is not None
    assert lookup("optin", []) is lookup("optout", [])
    assert lookup("frob", []) is None


@pytest.mark.parametrize("user", list(PEOPLE))
def test_audience_from_config(world: World, user: str) -> None:
    assert audience_of(world.settings.config, user) is PEOPLE[user]  # type: ignore[union-attr]


@pytest.mark.parametrize("user", list(PEOPLE))
@pytest.mark.parametrize("text", ["help", "", "HELP"])
def test_help_in_slack_is_the_persons_own(world: World, user: str, text: str) -> None:
    reply = world.command(user, text)
    assert reply["text"] == usage(COMMANDS, PEOPLE[user])
    assert reply["response_type"] == "ephemeral"


@pytest.mark.parametrize("user", list(PEOPLE))
def test_an_unknown_subcommand_shows_the_persons_own_help(world: World, user: str) -> None:
    reply = world.command(user, "frob now")["text"]
    assert reply == f"I don't know `frob now`.\n\n{usage(COMMANDS, PEOPLE[user])}"


@pytest.mark.parametrize("user", list(PEOPLE))
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_who_agrees_with_the_handlers_own_refusal(world: World, user: str, name: str) -> None:
    """Help hides exactly the commands whose handler would refuse this person."""
    (command,) = [c for c in COMMANDS if name in c.names]
    text = world.command(user, name)["text"]
    if PEOPLE[user] < command.who:
        assert text == REFUSED[name]
        assert not command.help_for(PEOPLE[user])
    else:
        assert text != REFUSED[name]
    assert not world.errors


def test_admin_help_is_unchanged(world: World) -> None:
    assert world.command("U0HRLEAD", "admin help")["text"] == ADMIN_USAGE
