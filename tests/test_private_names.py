"""A leading underscore means "this module only": no module imports another's private name
(also not as ``from x import _y as z``), none reaches one through ``module._name``, and none
imports a public name under a private alias (``md as _md``) for siblings to import again."""

from __future__ import annotations

import ast

from tests.conftest import REPO

PACKAGES = ("bot", "jobs", "storage", "insights", "sandbox", "settings", "figures", "cx", "cli")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _crossings(source: str) -> list[str]:
    tree = ast.parse(source)
    found, ours = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            node.level or (node.module or "").split(".")[0] in PACKAGES
        ):
            for alias in node.names:
                if _private(alias.name) or _private(alias.asname or ""):
                    shown = alias.name + (f" as {alias.asname}" if alias.asname else "")
                    found.append(f"{node.lineno}: from {node.module} import {shown}")
                ours.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    ours.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in ours
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_scan_sees_both_forms() -> None:
    source = "from jobs.pulses import _open as o\nfrom bot.blocks import text\ntext._FOLD\n"
    assert _crossings(source) == ["1: from jobs.pulses import _open as o", "3: text._FOLD"]
    assert _crossings("from bot.blocks.text import md as _md\n") == [
        "1: from bot.blocks.text import md as _md"
    ]
    assert _crossings("from argparse import _SubParsersAction\nimport os\nos._exit\n") == []


def test_no_private_name_crosses_a_module() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        for line in _crossings(path.read_text(encoding="utf-8"))
    ]
    assert found == []
