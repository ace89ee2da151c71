"""The installed `pulse` works from any folder: --version, every command's --help says what it
does and shows an example, and the demo company it falls back on is shipped in the package.
(`pulse demo` from an empty folder: tests/acceptance/test_demo.py.)"""

from __future__ import annotations

import argparse
import fnmatch
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from cli.demo import DEMO_CONFIG
from cli.main import _parser
from settings.config import load_config
from tests.conftest import REPO

PULSE = Path(sys.executable).parent / "pulse"  # the [project.scripts] entry point


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PULSE_CONFIG", "DATABASE_URL")}
    return subprocess.run(
        [str(PULSE), *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )


def test_the_entry_point_answers_from_an_empty_folder(tmp_path: Path) -> None:
    version = _run(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.strip() == "pulse 0.1.0", version
    helped = _run(tmp_path, "send-pulse", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "Open a pulse now and deliver it before returning." in helped.stdout
    assert "example:\n  pulse send-pulse --team support" in helped.stdout
    assert list(tmp_path.iterdir()) == []  # asking for help writes nothing


def _commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                yield f"{prefix}{name}", command
                yield from _commands(command, f"{prefix}{name} ")


def test_every_command_help_has_a_description_and_an_example() -> None:
    commands = dict(_commands(_parser()))
    assert {"serve", "worker", "demo", "run", "send-pulse", "cx import", "db upgrade"} <= set(
        commands
    )
    for name, command in commands.items():
        text = command.format_help()
        description = (command.description or "").strip()
        assert description and "\n" not in description and description in text, name
        example = text.split("example:\n", 1)[-1].strip() if "example:\n" in text else ""
        assert example.startswith(("pulse ", "PORT=", "DATABASE_URL=")), (name, text)
        assert f"pulse {name}" in example, (name, example)


def test_the_shipped_demo_company_is_the_repository_config() -> None:
    assert load_config(DEMO_CONFIG) == load_config(REPO / "config.toml")
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cli"]
    assert any(fnmatch.fnmatch(DEMO_CONFIG.name, p) for p in patterns)  # ends up in the wheel


def test_the_license_is_an_spdx_string_for_setuptools_77() -> None:
    """A license table makes every install print setuptools' deprecation banner."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in pyproject["build-system"]["requires"][0]
