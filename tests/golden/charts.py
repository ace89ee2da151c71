"""The figures behind every chart image: the chart renderers, as their callers look them up,
replaced by recorders of what they are asked to draw.

The recorders hand back a fixed one-pixel PNG instead of drawing: the golden test is about
figures, and drawing (a third of its time) is tested in tests/bot/test_charts.py.

ENTRY POINTS: bot.home.trend_chart (the Home's engagement chart), figures.digest_charts.link_chart
and figures.digest_charts.heatmap_chart (the digest's two charts). When these move, point
``WRAPPED`` at the modules that call them; the recorded figures must stay the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

import figures.charts

# The callers import the renderers when they draw (matplotlib loads only then), so the
# recorders replace them where they are defined, and record the calls of these callers
# (the segment heatmap, drawn by figures.segment_charts, is drawn as before, unrecorded).
CALLERS = ("bot.home", "figures.digest_charts")
WRAPPED = [  # (module that defines the renderer, the renderer's name there)
    (figures.charts, "trend_chart"),
    (figures.charts, "link_chart"),
    (figures.charts, "heatmap_chart"),
]
_drawn: list[dict[str, Any]] = []
PIXEL = bytes.fromhex(  # a valid 1×1 PNG, so uploads and posts go on as usual
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def number(x: float) -> str | None:
    """A figure as text, to 4 decimals (summation order may move the 15th); NaN is None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    text = f"{float(x):.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def plain(value: Any) -> Any:
    """A chart's input as JSON: dates as ISO text, numbers via ``number``, frames as rows."""
    if isinstance(value, pd.DataFrame):
        return {
            "columns": [str(c) for c in value.columns],
            "rows": {
                str(i): [plain(v) for v in row]
                for i, row in zip(value.index, value.values, strict=True)
            },
            "attrs": plain(dict(value.attrs)),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) or hasattr(value, "__float__"):
        return number(float(value))
    return str(value)


def _recorder(name: str, draw: Callable[..., bytes]) -> Callable[..., bytes]:
    def record(*args: Any, **kwargs: Any) -> bytes:
        if sys._getframe(1).f_globals.get("__name__") not in CALLERS:
            return draw(*args, **kwargs)
        _drawn.append({"chart": name, "args": plain(list(args)), "kwargs": plain(kwargs)})
        return PIXEL

    return record


@contextmanager
def recording() -> Iterator[None]:
    """Record every chart drawn while inside; ``take()`` hands them over."""
    saved = [(module, name, getattr(module, name)) for module, name in WRAPPED]
    for module, name, draw in saved:
        setattr(module, name, _recorder(name, draw))
    try:
        yield
    finally:
        for module, name, draw in saved:
            setattr(module, name, draw)
        _drawn.clear()


def take() -> list[dict[str, Any]]:
    """The charts drawn since the last take, in order."""
    out = list(_drawn)
    _drawn.clear()
    return out
