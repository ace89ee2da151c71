"""The terminal, on rich: colour and live progress only where a person is looking.

rich's Console already keeps colour off when the stream is not a terminal, when NO_COLOR
is set or TERM=dumb, and on when FORCE_COLOR is set. Every console here has markup, emoji
codes and highlighting off: what it prints may hold text a person typed, which must show as
typed (a comment saying ``[bold]`` or ``:fire:`` stays those characters).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
)
from rich.text import Text


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (results) or stderr (progress), safe for typed text."""
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False)


class RateColumn(ProgressColumn):
    """``1,234 rows/s``: how fast the work goes, once rich has measured it (blank before)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            shown = ""
        elif self.unit == "B":
            shown = f"{_bytes(speed)}/s"
        else:
            shown = f"{speed:,.0f} {self.unit}/s"
        return Text(shown.rjust(len(self.unit) + 8), style="progress.data.speed")


class TimesColumn(ProgressColumn):
    """``0:12, 1:30 left`` while it runs, ``done in 1:42`` once finished: short enough that
    the whole line fits 80 columns."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if task.finished:
            return Text(f"done in {_clock(elapsed)}", style="progress.elapsed")
        left = task.time_remaining
        shown = _clock(elapsed) + ("" if left is None else f", {_clock(left)} left")
        return Text(shown, style="progress.remaining")


def _clock(seconds: float | None) -> str:
    whole = int(seconds or 0)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@contextmanager
def bar(*, unit: str, show: bool | None = None, detail: str | None = None) -> Iterator[Progress]:
    """A progress bar on stderr with done/total, %, rate, time taken and time left, in ``unit``.

    ``show`` None: only when stderr is a terminal; True: also elsewhere (one final line).
    ``detail``: one more column, a format of the task's fields (``{task.fields[x]}``).
    Work that fails leaves no half bar above its one-line reason."""
    out = console(stderr=True)
    columns: list[ProgressColumn] = [
        TextColumn("{task.description}"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} " + unit),
        TaskProgressColumn(),
        RateColumn(unit),
    ]
    if detail:
        columns.append(TextColumn(detail))
    columns.append(TimesColumn())
    shown = Progress(
        *columns,
        console=out,
        expand=True,  # the bar takes what the numbers leave of the line
        disable=not (out.is_terminal if show is None else show),
        redirect_stdout=_stdout_is_terminal(),
    )
    with shown:
        try:
            yield shown
        except BaseException:
            for task in shown.task_ids:
                shown.update(task, visible=False)
            raise


class Steps:
    """One task on a bar, told its total once known, then advanced (storage.progress.Progress)."""

    def __init__(self, shown: Progress, description: str) -> None:
        self.shown, self.description = shown, description
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        self.task = self.shown.add_task(self.description, total=total)

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.shown.advance(self.task, count)


@contextmanager
def working(
    description: str, *, watch: Path | None = None, total: int | None = None
) -> Iterator[None]:
    """A spinner with the time taken, on a terminal only, around work that reports nothing.

    With ``watch``, also the size of that file as it is written and how fast it grows
    (against ``total`` bytes when known)."""
    out = console(stderr=True)
    columns: list[ProgressColumn] = [
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
    ]
    if watch is not None:
        columns += [BarColumn(), TextColumn("{task.fields[size]}"), RateColumn("B")]
    columns.append(TimesColumn())
    with Progress(
        *columns, console=out, disable=not out.is_terminal, redirect_stdout=_stdout_is_terminal()
    ) as shown:
        task = shown.add_task(description, total=total, size="")
        stop = threading.Event()
        poll = threading.Thread(target=_watch, args=(watch, stop, shown, task), daemon=True)
        if watch is not None and not shown.disable:
            poll.start()
        try:
            yield
        except BaseException:
            shown.update(task, visible=False)  # the one-line reason says what happened
            raise
        finally:
            stop.set()
            if poll.is_alive():
                poll.join()
        size = _size(watch) if watch is not None else 1
        shown.update(task, total=total or size or 1, completed=size or 1, size=_bytes(size))


def _stdout_is_terminal() -> bool:
    """Whether what is printed meanwhile goes above the bar: only when both share a screen
    (`pulse seed > seed.log` keeps its lines in the file)."""
    return console().is_terminal


def _watch(path: Path, stop: threading.Event, shown: Progress, task: TaskID) -> None:
    while not stop.wait(0.1):
        size = _size(path)
        shown.update(task, completed=size, size=_bytes(size))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _bytes(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return ""  # unreachable
