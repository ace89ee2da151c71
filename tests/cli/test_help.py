"""`pulse --help` on rich-argparse: colour on a terminal only, none with NO_COLOR or through a
pipe, and the same words either way (every command's description and example: test_cli_anywhere)."""

from __future__ import annotations

import re

import pytest

from cli.main import _parser, main
from tests.bot.test_cli_anywhere import _commands

COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7]|38;)[0-9;]*m")  # a foreground colour
ANY_ESCAPE = re.compile(r"\x1b\[")


def _helps() -> dict[str, str]:
    parser = _parser()
    return {"pulse": parser.format_help()} | {
        name: command.format_help() for name, command in _commands(parser)
    }


def test_help_is_coloured_on_a_terminal(terminal: None) -> None:
    for name, text in _helps().items():
        assert COLOUR.search(text), name
    assert "--dry-run" in ANY_ESCAPE.sub("", _helps()["cx import"])


def test_help_has_no_colour_with_no_color(terminal: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    for name, text in _helps().items():
        assert not COLOUR.search(text), (name, text[:200])


def test_help_through_a_pipe_is_plain_text(pipe: None) -> None:
    helps = _helps()
    for name, text in helps.items():
        assert not ANY_ESCAPE.search(text), name
    assert "example:\n  pulse cx import cx.csv --dry-run" in helps["cx import"]
    assert "examples:\n  pulse demo" in helps["pulse"]


def test_version_and_usage_errors_keep_their_exit_status(
    pipe: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0 and capsys.readouterr().out == "pulse 0.1.0\n"
    with pytest.raises(SystemExit) as unknown:
        main(["frobnicate"])
    err = capsys.readouterr().err
    assert unknown.value.code == 2 and "invalid choice: 'frobnicate'" in err
    assert not ANY_ESCAPE.search(err)
