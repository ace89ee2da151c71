"""Imports point down the house:
cli → sandbox → bot → jobs → cx → figures → settings → insights | storage.

A package may import itself and the layers below it, never one above it nor its peer on the
same layer (insights and storage do not know each other); and no two modules import each
other, however indirectly. Imports are read from the source (ast), those inside functions
and under `if TYPE_CHECKING:` included: a lazy import is a dependency all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli",),
    ("sandbox",),  # the local Slack workspace: the demo (cli) uses it, the product never
    ("bot",),
    ("jobs",),
    ("cx",),
    ("figures",),
    ("settings",),
    ("insights", "storage"),
)


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. jobs.delivery
    target: str  # one of our modules, e.g. bot.blocks.pulse
    where: str  # path:line of the import statement

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.target}"


def find_modules(root: Path, packages: list[str]) -> dict[str, Path]:
    """Module name -> file, for every module of `packages` under `root`."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts).removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path], root: Path) -> Iterator[Import]:
    """Every import of one of `known` made anywhere in the module (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    where = path.relative_to(root).as_posix()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: from . / .. import x
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base]  # the module itself runs, and each name may be a submodule
            names += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
        targets = []
        for target in names:
            while target and target not in known:  # a name inside a module: the module
                target = target.rpartition(".")[0]
            if target and target != name and target not in targets:
                targets.append(target)
        yield from (Import(name, target, f"{where}:{node.lineno}") for target in targets)


def check(root: Path, layers: tuple[tuple[str, ...], ...]) -> list[str]:
    """What breaks the rule under `root`: upward or sideways imports, then cycles."""
    rank = {package: i for i, layer in enumerate(layers) for package in layer}
    known = find_modules(root, list(rank))
    edges = [i for name, path in known.items() for i in imports_of(name, path, known, root)]
    problems = []
    for edge in edges:
        mine, theirs = edge.importer.split(".")[0], edge.target.split(".")[0]
        if mine != theirs and rank[theirs] <= rank[mine]:
            problems.append(f"{edge}, but {theirs} is not below {mine}")
    graph: dict[str, dict[str, Import]] = {name: {} for name in known}
    for edge in edges:
        graph[edge.importer].setdefault(edge.target, edge)
    for cycle in cycles(graph):
        shown = "; ".join(
            str(graph[a][b]) for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True)
        )
        problems.append(f"import cycle: {' -> '.join([*cycle, cycle[0]])} ({shown})")
    return problems


def cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(_cycle_in(set(group), graph))
    return groups


def _cycle_in(group: set[str], graph: dict[str, dict[str, Import]]) -> list[str]:
    """A shortest way round from the group's first module back to itself (breadth first)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in graph[node]:
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return path[::-1]
                if child in group and child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle in {sorted(group)}")


def test_imports_point_down_and_no_module_imports_itself_round_a_cycle() -> None:
    problems = check(ROOT, LAYERS)
    assert not problems, "\n".join(problems)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_check_names_upward_sideways_and_lazy_imports(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "top/__init__.py": "",
            "top/app.py": "from low.store import get\nimport os\n",
            "mid/__init__.py": "",
            "mid/job.py": "import low\n\ndef send():\n    from top.app import render\n",
            "mid/sub/__init__.py": "",
            "mid/sub/rel.py": "from .. import job\nfrom ..job import send\n",
            "low/__init__.py": "",
            "low/store.py": "from peer import x\n",
            "peer/__init__.py": "",
        },
    )
    problems = check(tmp_path, (("top",), ("mid",), ("low", "peer")))
    assert problems == [
        "mid/job.py:4: mid.job imports top.app, but top is not below mid",
        "low/store.py:1: low.store imports peer, but peer is not below low",
    ]


def test_the_check_names_each_import_of_a_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "import json\n\ndef f():\n    from pkg.c import g\n",
            "pkg/c.py": "from pkg.a import thing\n",
            "pkg/d.py": "from pkg import a\n",  # into the cycle, not part of it
        },
    )
    assert check(tmp_path, (("pkg",),)) == [
        "import cycle: pkg.a -> pkg.b -> pkg.c -> pkg.a (pkg/a.py:1: pkg.a imports pkg.b; "
        "pkg/b.py:4: pkg.b imports pkg.c; pkg/c.py:1: pkg.c imports pkg.a)"
    ]
