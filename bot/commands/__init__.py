"""`/pulse` subcommands: one module each, declaring its names, who may use it, its help
lines and its handler (bot.commands.registry). ``COMMANDS`` is the registry, in the order
`/pulse help` lists them; ``dispatch`` reads what was typed and runs the command."""

from __future__ import annotations

from bot.blocks.reply import message
from bot.commands import admin, my_data, opt_out, pause, report, resume, usage
from bot.commands.registry import Call, Command, Replies
from bot.context import Context
from bot.report_args import quoted
from settings.i18n import tr

COMMANDS: tuple[Command, ...] = (
    report.COMMAND,
    pause.COMMAND,
    resume.COMMAND,
    opt_out.COMMAND,
    my_data.COMMAND,
    usage.COMMAND,
    admin.COMMAND,
)
_BY_NAME = {name: command for command in COMMANDS for name in command.names}
assert len(_BY_NAME) == sum(len(c.names) for c in COMMANDS), "a /pulse name is taken twice"


def lookup(name: str, args: list[str]) -> Command | None:
    """The command called ``name`` (lower case) that accepts ``args``, if any."""
    command = _BY_NAME.get(name)
    return command if command is not None and (command.takes_args or not args) else None


def dispatch(ctx: Context, *, slack_team_id: str, user_id: str, text: str) -> Replies:
    """The replies to `/pulse {text}`: the command's, or usage after what wasn't understood.

    Nothing typed is `/pulse help`."""
    words = text.split()
    name, args = (words[0].lower(), words[1:]) if words else ("help", [])
    call = Call(ctx, slack_team_id, user_id, name, args, COMMANDS)
    command = lookup(name, args)
    if command is None:
        shown = quoted(" ".join(words))
        return [
            message(tr("I don't know {what}.").format(what=shown) + f"\n\n{usage.usage_for(call)}")
        ]
    return command.handle(call)
