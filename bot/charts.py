"""Digest charts as PNG bytes: pure, headless (Agg canvas, no pyplot state), deterministic.

Callers hand in figures that already passed the k guard; a hidden cell is NaN and is drawn
as a grey "hidden" cell, never as a value. The same input gives byte-identical output (no
timestamp or software tag is written), which makes charts safe to snapshot and to cache.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

DPI = 100
TREND_SIZE_IN = (8.0, 4.0)
HEATMAP_WIDTH_IN = 9.0
_ROW_IN = 0.22
_MAX_ANNOTATED_CELLS = 250  # beyond this, numbers in cells would neither read nor fit 200 KB
_MAX_SMOOTH_ROWS = 40  # taller charts draw crisp (unsmoothed) text, which PNG compresses 4×
_HIDDEN = "#d9d9d9"
_STYLE: dict[RcKeyType, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
}


def _png(fig: Figure) -> bytes:
    """Render at a fixed pixel size (figsize × DPI) with no metadata, so output is stable."""
    buf = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def trend_chart(
    series: dict[str, list[tuple[date, float]]],
    *,
    title: str,
    y_label: str,
    y_range: tuple[float, float] = (0, 100),
) -> bytes:
    """One line per named series over dates (e.g. engagement vs. CSAT); NaN values are gaps.

    Series are drawn in the order given; an empty dict still yields a titled, empty chart.
    """
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=TREND_SIZE_IN, dpi=DPI, layout="constrained")
        ax = fig.add_subplot()
        for name, points in series.items():
            pts = sorted(points)
            xs = [date2num(d) for d, _ in pts]
            ys = [float("nan") if v is None else float(v) for _, v in pts]
            ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.6, label=name)
        locator = AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_ylim(*y_range)
        ax.set_ylabel(y_label)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        if series:
            ax.legend(loc="lower left", frameon=False, ncols=min(len(series), 4))
        else:
            ax.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=ax.transAxes)
        return _png(fig)


def _cmap() -> Colormap:
    return matplotlib.colormaps["RdYlGn"].resampled(20).with_extremes(bad=_HIDDEN)  # 5-pt steps


def _labels(values: Sequence[object], width: int = 28) -> list[str]:
    """Long team names would squeeze the grid; cut them with an ellipsis (axis labels only)."""
    out = []
    for value in values:
        text = str(value)
        out.append(text if len(text) <= width else text[: width - 1] + "…")
    return out


def heatmap_chart(frame: pd.DataFrame, *, title: str) -> bytes:
    """Teams (rows) × drivers (columns), 0–100, NaN drawn as a grey hidden cell.

    Height grows with the number of rows so every team stays readable; values are written
    in the cells while the grid is small enough to read them.
    """
    data = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    rows, cols = data.shape
    height = max(2.5, 1.4 + _ROW_IN * max(rows, 1))
    style: dict[RcKeyType, object] = {**_STYLE, "text.antialiased": rows <= _MAX_SMOOTH_ROWS}
    with matplotlib.rc_context(style):
        fig = Figure(figsize=(HEATMAP_WIDTH_IN, height), dpi=DPI, layout="constrained")
        ax = fig.add_subplot()
        image = ax.imshow(
            np.ma.masked_invalid(data) if data.size else np.zeros((1, 1)),
            cmap=_cmap(),
            vmin=0,
            vmax=100,
            aspect="auto",
            interpolation="nearest",
        )
        ax.set_xticks(range(cols), _labels(frame.columns, 22), rotation=35, ha="right")
        ax.set_yticks(range(rows), _labels(frame.index))
        ax.tick_params(length=0)
        ax.set_title(title)
        if 0 < data.size <= _MAX_ANNOTATED_CELLS:
            for (r, c), value in np.ndenumerate(data):
                text = "–" if math.isnan(value) else f"{value:.0f}"
                ax.text(c, r, text, ha="center", va="center", fontsize=7, color="#222222")
        fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="score (grey: hidden, < k)")
        return _png(fig)
