"""Terminal output, colour codes and all, as a PNG: the README's before/after captures.

    FORCE_COLOR=1 COLUMNS=100 pulse --help | python docs/terminal/capture.py "pulse --help" \
        docs/terminal/help-after.png [WIDTH]

rich reads the ANSI codes and lays the text out in cells; matplotlib (already a dependency,
for the charts) draws each run of text at its cell in a monospace font.
"""

from __future__ import annotations

import io
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from rich.cells import cell_len
from rich.color import blend_rgb
from rich.color_triplet import ColorTriplet
from rich.console import Console
from rich.terminal_theme import MONOKAI
from rich.text import Text

FONT, SIZE = "DejaVu Sans Mono", 10
CELL_W, CELL_H = 0.6 * SIZE / 72, 1.3 * SIZE / 72  # inches


def capture(ansi: str, *, title: str, width: int) -> bytes:
    layout = Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor")
    text = Text.from_ansi(ansi.replace("\r\n", "\n").rstrip("\n"))
    lines = layout.render_lines(text, layout.options.update(width=width), pad=False)
    rows = len(lines) + 2
    fig = plt.figure(figsize=((width + 2) * CELL_W, rows * CELL_H), dpi=140)
    fig.patch.set_facecolor(_hex(MONOKAI.background_color))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width + 2)
    ax.set_ylim(rows, 0)
    ax.axis("off")
    ax.text(1, 0.9, title, color="#9a9a9a", family=FONT, size=SIZE, va="center")
    for y, line in enumerate(lines, start=2):
        x = 1
        for segment in line:
            if not segment.text.strip():
                x += cell_len(segment.text)
                continue
            style = segment.style
            colour = MONOKAI.foreground_color
            if style is not None and style.color is not None and not style.color.is_default:
                colour = style.color.get_truecolor(MONOKAI)
            if style is not None and style.dim:
                colour = blend_rgb(colour, MONOKAI.background_color, 0.4)
            bold = style is not None and bool(style.bold)
            for i, char in enumerate(segment.text):
                if char != " ":
                    ax.text(
                        x + i,
                        y,
                        char,
                        color=_hex(colour),
                        family=FONT,
                        size=SIZE,
                        weight="bold" if bold else "normal",
                        va="center",
                    )
            x += cell_len(segment.text)
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor=fig.get_facecolor())
    plt.close(fig)
    return out.getvalue()


def _hex(colour: ColorTriplet) -> str:
    return colour.hex


if __name__ == "__main__":
    title, target = sys.argv[1:3]
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    with open(target, "wb") as png:
        png.write(capture(sys.stdin.read(), title=title, width=width))
