"""Chart images as PNG bytes: pure, headless (Agg canvas, no pyplot state), deterministic.

Sized for Slack: 900 px wide with text large enough to read when Slack shrinks the image to a
~360 px preview. Colours are safe for colour-blind readers (Okabe–Ito lines, an orange–blue
heatmap; never red against green). Callers hand in figures that already passed the k guard; a
hidden cell is NaN and is drawn grey, never as a value. The same input gives byte-identical
output (no timestamp or software tag is written), which makes charts safe to snapshot and cache.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.dates import AutoDateLocator, DateFormatter, MonthLocator, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.typing import RcKeyType
from PIL import Image

from settings.i18n import DEFAULT, current_language, month_abbr, short_day, tr

DPI = 150
WIDTH_IN = 6.0  # 900 px
TREND_SIZE_IN = (WIDTH_IN, 3.6)
HEATMAP_WIDTH_IN = WIDTH_IN
_PANEL_IN = 2.3  # one row of EX↔CX panels
_ROW_IN = 0.3
_TALL_ROW_IN = 0.2  # past _MAX_SMOOTH_ROWS: names only, no numbers in cells
_MAX_ANNOTATED_CELLS = 250  # beyond this, numbers in cells would neither read nor fit 200 KB
_MAX_SMOOTH_ROWS = 40  # taller charts draw crisp (unsmoothed) text, which PNG compresses 4×
_HIDDEN = "#d9d9d9"
ENGAGEMENT_COLOUR = "#1f2d5a"  # dark navy: engagement is the line a reader looks for first
CX_COLOUR = "#d55e00"  # Okabe–Ito vermilion, distinct from navy for every colour vision
LINE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")  # Okabe–Ito
HEAT_CENTRE = 60.0  # orange below, blue above: 50 is a neutral answer, 75 agreeing
_HEAT = ("#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac")
_STYLE: dict[RcKeyType, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.titlesize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

_PANEL_STYLE: dict[RcKeyType, object] = {  # dense charts: one size up, to read when shrunk
    "axes.titlesize": 13,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}


@dataclass(frozen=True)
class Panel:
    """One customer metric beside engagement; ``points`` are already moved back by the lag, so
    each sits at the engagement week it follows."""

    name: str  # "CSAT"
    when: str  # "2 weeks later"
    points: list[tuple[date, float]]
    note: str = ""  # "no reliable link yet"


# matplotlib ships no types for its canvas, date and locator helpers: ignored below.
def _png(fig: Figure) -> bytes:
    """Render at a fixed pixel size (figsize × DPI) with no metadata, so output is stable.

    A chart has few colours (about 300, most of them anti-aliased text edges), so a
    256-colour palette PNG looks the same at a third of the bytes. Median cut keeps the
    large flat colours exact (a hidden cell stays its grey; a fast octree shifts it); zlib's
    default level, not PNG ``optimize``, halves the encoding for about a tenth more bytes
    (a 40-row heatmap: 105 ms and 78 KB against 198 ms and 70 KB).
    """
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    canvas.draw()  # type: ignore[no-untyped-call]
    image = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")  # type: ignore[no-untyped-call]
    buf = io.BytesIO()
    image.quantize(256, dither=Image.Dither.NONE).save(buf, format="PNG")
    return buf.getvalue()


def _xy(points: Sequence[tuple[date, float | None]]) -> tuple[list[float], list[float]]:
    pts = sorted(points)
    ys = [float("nan") if v is None else float(v) for _, v in pts]
    return [float(date2num(d)) for d, _ in pts], ys  # type: ignore[no-untyped-call]


def fitted_range(*series: Sequence[float], span: float = 12.0) -> tuple[float, float]:
    """A y range around the values (at least ``span`` points tall, within 0–100), so a change of
    a few points is visible without making noise look like a cliff."""
    values = [v for s in series for v in s if not math.isnan(v)]
    if not values:
        return 0.0, 100.0
    low, high = min(values), max(values)
    pad = max(2.0, (span - (high - low)) / 2)
    low, high = max(0.0, low - pad), min(100.0, high + pad)
    return math.floor(low / 5) * 5, math.ceil(high / 5) * 5


def _axes(ax: Axes, *, months: bool = False) -> None:
    """Few date ticks (months only on a small panel), whole-number scores, light grid."""
    if months:
        ax.xaxis.set_major_locator(MonthLocator())  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(_dates("%b", month_abbr))
    else:
        ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=5))  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(_dates("%-d %b", short_day))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.grid(True, axis="y", alpha=0.3)


# Fixed layout. matplotlib's constrained layout measures every artist in two extra passes
# (a sixth of a digest's build at 10,000 people); these charts have few parts, so they are
# placed once, from the sizes of the texts that set the margins (tick labels, titles, the
# legend), in inches, as constrained layout would place them.
_EDGE_IN = 0.06  # free space at the figure's edges
_PT_IN = 1 / 72
_TICK_IN = 3.5 * _PT_IN  # matplotlib's default tick length and tick-label pad


def _renderer(fig: Figure) -> Any:
    return FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]


def _size_in(
    renderer: Any, text: str, prop: FontProperties, rotation: float = 0.0
) -> tuple[float, float]:
    """Width and height (inches) of ``text``'s box, rotated by ``rotation`` degrees."""
    if not text:
        return 0.0, 0.0
    w, h, _ = renderer.get_text_width_height_descent(text, prop, ismath=False)
    w, h = w / renderer.dpi, h / renderer.dpi
    turn = math.radians(rotation)
    c, s = abs(math.cos(turn)), abs(math.sin(turn))
    return w * c + h * s, w * s + h * c


def _texts_in(renderer: Any, texts: Sequence[Text]) -> tuple[float, float]:
    """Widest and tallest of ``texts`` as drawn (their own font and rotation), inches."""
    sizes = [
        _size_in(renderer, t.get_text(), t.get_fontproperties(), t.get_rotation()) for t in texts
    ]
    return max((w for w, _ in sizes), default=0.0), max((h for _, h in sizes), default=0.0)


def _rc_font(size_key: RcKeyType, weight: str = "normal") -> FontProperties:
    return FontProperties(size=matplotlib.rcParams[size_key], weight=weight)


def _rect(
    fig: Figure, left: float, bottom: float, width: float, height: float
) -> tuple[float, float, float, float]:
    """A rectangle given in inches, in figure fractions."""
    fw, fh = fig.get_size_inches()
    return (left / fw, bottom / fh, width / fw, height / fh)


def _place_heatmap(fig: Figure, ax: Axes, bar: Axes, *, shrink: float, aspect: float) -> None:
    """The grid with its row names left, column names below (rotated) and the colour bar
    under them: ``shrink`` of the grid's width, ``aspect`` times longer than tall."""
    renderer = _renderer(fig)
    fw, fh = fig.get_size_inches()
    row_w, _ = _texts_in(renderer, ax.get_yticklabels())
    xlabels = ax.get_xticklabels()
    _, drop = _texts_in(renderer, xlabels)
    title = ax.get_title(loc="left")
    title_h = _size_in(renderer, title, _rc_font("axes.titlesize"))[1]
    top = _EDGE_IN + (title_h + 6 * _PT_IN if title else 0)
    right = _EDGE_IN + 0.04
    left = _EDGE_IN + row_w + _TICK_IN
    if xlabels:  # the first column's rotated name reaches left of its column's centre
        first, _ = _texts_in(renderer, xlabels[:1])
        cols = len(xlabels)
        for _ in range(2):  # the column width depends on the margin: settle it twice
            half = (fw - left - right) / cols / 2
            left = max(left, _EDGE_IN + first - half)
    width = fw - left - right
    bar_w = shrink * width
    bar_h = bar_w / aspect
    _, tick_h = _texts_in(renderer, bar.get_xticklabels() or [Text(text="0", fontsize=10)])
    label_w, label_h = _texts_in(renderer, [bar.xaxis.label])
    under_bar = 2 * _TICK_IN + tick_h + 4 * _PT_IN + label_h + 0.04 + _EDGE_IN  # ticks out
    bar_y = under_bar
    grid_y = bar_y + bar_h + 0.06 + drop + _TICK_IN
    ax.set_position(_rect(fig, left, grid_y, width, fh - top - grid_y))
    centre = left + width / 2  # under the grid, moved in as far as its label needs
    centre = min(max(centre, _EDGE_IN + label_w / 2), fw - _EDGE_IN - label_w / 2)
    bar.set_position(_rect(fig, centre - bar_w / 2, bar_y, bar_w, bar_h))


def _place_panels(
    fig: Figure, axes: Sequence[Axes], rows: int, cols: int, legend: Legend, *, title: bool
) -> None:
    """Panels in a grid, each with its title and note above, its months below and its scores
    left; the legend across the bottom; room for the figure's title when there is one."""
    renderer = _renderer(fig)
    fw, fh = fig.get_size_inches()
    score_w, _ = _size_in(renderer, "100", _rc_font("ytick.labelsize"))
    _, month_h = _size_in(renderer, "Oct", _rc_font("xtick.labelsize"))
    titles = [ax.get_title(loc="left") for ax in axes if ax.get_visible()] or ["Hg"]
    font = _rc_font("axes.titlesize", "bold")
    title_h = max(_size_in(renderer, t or "Hg", font)[1] for t in titles)
    above = 19 * _PT_IN + title_h + 0.04  # the title's pad (the note sits in it) and the title
    below = _TICK_IN * 2 + month_h
    legend_h = 2.6 * legend.prop.get_size_in_points() * _PT_IN
    top = _EDGE_IN + above
    if title:
        top += _size_in(renderer, "Hg", _rc_font("figure.titlesize"))[1] + 8 * _PT_IN
    left = _EDGE_IN + score_w + _TICK_IN
    right = _EDGE_IN + 0.1
    bottom = legend_h + below + 0.08
    gap_w = score_w + _TICK_IN + 0.3
    gap_h = below + above + 0.05
    width = (fw - left - right - (cols - 1) * gap_w) / cols
    height = (fh - top - bottom - (rows - 1) * gap_h) / rows
    for i, ax in enumerate(axes):
        r, c = divmod(i, cols)
        x = left + c * (width + gap_w)
        y = fh - top - height - r * (height + gap_h)
        ax.set_position(_rect(fig, x, y, width, height))
    legend.set_bbox_to_anchor((0.5, _EDGE_IN / 2 / fh), transform=fig.transFigure)


def _dates(english: str, said: Callable[[date], str]) -> DateFormatter | FuncFormatter:
    """Date ticks in the reader's language (English as matplotlib writes them)."""
    if current_language() == DEFAULT:
        return DateFormatter(english)  # type: ignore[no-untyped-call]
    return FuncFormatter(lambda x, _: said(num2date(x).date()))  # type: ignore[no-untyped-call]


def trend_chart(
    series: dict[str, list[tuple[date, float]]],
    *,
    title: str | None = None,
    y_label: str,
    y_range: tuple[float, float] | None = None,
) -> bytes:
    """One line per named series over dates (e.g. a manager's teams); NaN values are gaps.

    The y range fits the values unless given; no title when the surrounding message has one.
    """
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=TREND_SIZE_IN, dpi=DPI, layout="constrained")
        ax = fig.add_subplot()
        ys_all = []
        for i, (name, points) in enumerate(series.items()):
            xs, ys = _xy(points)
            ys_all.append(ys)
            colour = LINE_COLOURS[i % len(LINE_COLOURS)]
            ax.plot(xs, ys, marker="o", markersize=4, linewidth=2.2, label=name, color=colour)
        _axes(ax)
        ax.set_ylim(*(y_range or fitted_range(*ys_all)))
        ax.set_ylabel(y_label)
        if title:
            ax.set_title(title)
        if series:
            fig.legend(loc="outside lower center", frameon=False, ncols=min(len(series), 3))
        else:
            ax.text(0.5, 0.5, tr("no data yet"), ha="center", va="center", transform=ax.transAxes)
        return _png(fig)


def link_chart(
    engagement: list[tuple[date, float]], panels: Sequence[Panel], *, title: str | None = None
) -> bytes:
    """Engagement against each linked CX metric, one small panel per metric with its own y range.

    A metric's points are drawn at the week of engagement they follow (moved back by the lag
    the panel names), so a link shows as two lines moving together.
    """
    cols = 1 if len(panels) <= 1 else 2
    rows = max(1, math.ceil(len(panels) / cols))
    with matplotlib.rc_context({**_STYLE, **_PANEL_STYLE}):
        fig = Figure(figsize=(WIDTH_IN, 1.1 + _PANEL_IN * rows), dpi=DPI)
        axes = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
        ex, ey = _xy(engagement)
        for ax, panel in zip(axes, panels, strict=False):
            cx, cy = _xy(panel.points)
            ax.plot(ex, ey, color=ENGAGEMENT_COLOUR, linewidth=2.6, marker="o", markersize=4)
            ax.plot(
                cx, cy, color=CX_COLOUR, linewidth=1.8, linestyle="--", marker="o",
                markersize=4, markerfacecolor="white",
            )  # fmt: skip
            ax.set_ylim(*fitted_range(ey, cy))
            ax.set_title(panel.name, loc="left", color=CX_COLOUR, fontweight="bold", pad=19)
            note = " · ".join(x for x in (panel.when, panel.note) if x)
            ax.text(0, 1.03, note, transform=ax.transAxes, fontsize=11, color="#444444")
            _axes(ax, months=True)
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        if not panels:
            axes[0].set_visible(True)
            axes[0].plot(ex, ey, color=ENGAGEMENT_COLOUR, linewidth=2.6, marker="o", markersize=4)
            axes[0].set_ylim(*fitted_range(ey))
            _axes(axes[0], months=True)
        handles = [
            Line2D([], [], color=ENGAGEMENT_COLOUR, linewidth=2.6, marker="o"),
            Line2D(
                [],
                [],
                color=CX_COLOUR,
                linewidth=1.8,
                linestyle="--",
                marker="o",
                markerfacecolor="white",
            ),
        ]
        labels = [tr("Engagement"), tr("customer metric, at the week it follows")]
        legend = fig.legend(handles, labels, loc="lower center", ncols=2, frameon=False)
        if title:  # Slack shows the file's title above the image; a title here would repeat it
            fig.suptitle(title, x=0.01, ha="left")
        _place_panels(fig, list(axes), rows, cols, legend, title=bool(title))
        return _png(fig)


def _labels(values: Sequence[object], width: int = 24) -> list[str]:
    """Long team names would squeeze the grid; cut them with an ellipsis (axis labels only)."""
    out = []
    for value in values:
        text = str(value)
        out.append(text if len(text) <= width else text[: width - 1] + "…")
    return out


def heat_colours() -> Colormap:
    """Orange (low) through white to blue (high), grey for hidden cells."""
    cmap = LinearSegmentedColormap.from_list("pulse_heat", _HEAT, N=20)  # few colours: small PNG
    return cmap.with_extremes(bad=_HIDDEN)


def heatmap_chart(frame: pd.DataFrame, *, title: str | None = None, k: int) -> bytes:
    """Teams (rows) × drivers (columns), 0–100, NaN drawn as a grey hidden cell.

    Height grows with the number of rows so every team stays readable; values are written in
    the cells (dark on light, white on dark) while the grid is small enough to read them.
    """
    data = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    rows, cols = data.shape
    row = _ROW_IN if rows <= _MAX_SMOOTH_ROWS else _TALL_ROW_IN
    height = max(3.0, 2.4 + row * max(rows, 1))
    style: dict[RcKeyType, object] = {
        **_STYLE,
        **_PANEL_STYLE,
        "text.antialiased": rows <= _MAX_SMOOTH_ROWS,
    }
    norm = TwoSlopeNorm(vmin=35, vcenter=HEAT_CENTRE, vmax=85)
    cmap = heat_colours()
    with matplotlib.rc_context(style):
        fig = Figure(figsize=(HEATMAP_WIDTH_IN, height), dpi=DPI)
        ax = fig.add_subplot()
        image = ax.imshow(
            np.ma.masked_invalid(data) if data.size else np.zeros((1, 1)),
            cmap=cmap,
            norm=norm,
            aspect="auto",
            interpolation="nearest",
        )
        ax.set_xticks(range(cols), _labels(frame.columns, 22), rotation=40, ha="right")
        ax.set_yticks(range(rows), _labels(frame.index))
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if title:
            ax.set_title(title, loc="left")
        if 0 < data.size <= _MAX_ANNOTATED_CELLS:
            for (r, c), value in np.ndenumerate(data):
                if math.isnan(value):
                    ax.text(c, r, "–", ha="center", va="center", fontsize=12, color="#555555")
                    continue
                shade = cmap(norm(value))
                dark = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] < 0.5
                ax.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=12,
                        color="white" if dark else "#1a1a1a")  # fmt: skip
        bar = fig.colorbar(image, cax=fig.add_axes((0, 0, 1, 1)), orientation="horizontal")
        bar.set_ticks([35, 50, 60, 70, 85])
        bar.set_label(
            tr("score 0–100 · grey: hidden, fewer than {k} answered").format(k=k), fontsize=11
        )
        bar.ax.tick_params(labelsize=10)
        _place_heatmap(fig, ax, bar.ax, shrink=0.7, aspect=40)
        return _png(fig)
