"""`/pulse help`, and the usage under "I don't know …": built from the registry, showing a
person only the commands they may use."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.reply import message
from bot.commands.registry import Audience, Call, Command, Help, Replies, audience_of
from settings.i18n import N_, tr

HEADER = N_("*Oxygen Pulse* · `/pulse` commands")


def usage(commands: Sequence[Command], audience: Audience) -> str:
    """Every help line of ``commands`` this audience may act on, in registry order."""
    lines = [line for command in commands for line in command.help_for(audience)]
    return "\n".join([tr(HEADER), *(f"• {line}" for line in lines)])


def usage_for(call: Call) -> str:
    return usage(call.commands, audience_of(call.ctx.settings.config, call.user_id))


def handle(call: Call) -> Replies:
    return [message(usage_for(call))]


COMMAND = Command(
    names=("help",),
    who=Audience.EMPLOYEE,
    help=(Help(N_("`/pulse help` — this list")),),
    handle=handle,
)
