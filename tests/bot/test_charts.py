"""Chart images are real, small, deterministic PNGs, decoded here as a viewer would."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import numpy as np
import pandas as pd
from matplotlib.image import imread

from bot.charts import DPI, HEATMAP_WIDTH_IN, TREND_SIZE_IN, heatmap_chart, trend_chart

MAX_BYTES = 200 * 1024
HIDDEN_GREY = (217, 217, 217)  # #d9d9d9


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from IHDR, after checking the signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append(kind)
        offset += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks
    return struct.unpack(">II", data[16:24])


def pixels(data: bytes) -> np.ndarray:
    return (imread(io.BytesIO(data), format="png")[..., :3] * 255).round().astype(int)


def weeks(values: list[float]) -> list[tuple[dt.date, float]]:
    return [(dt.date(2026, 9, 7) + dt.timedelta(weeks=i), v) for i, v in enumerate(values)]


def test_trend_chart_is_a_png_of_the_promised_size_and_deterministic() -> None:
    series = {"Engagement": weeks([61, 63, 60, float("nan"), 66]), "CSAT": weeks([70, 72, 75])}
    png = trend_chart(series, title="Engagement and CX", y_label="score (0–100)")
    assert png_size(png) == (TREND_SIZE_IN[0] * DPI, TREND_SIZE_IN[1] * DPI)
    assert pixels(png).shape == (TREND_SIZE_IN[1] * DPI, TREND_SIZE_IN[0] * DPI, 3)
    assert png == trend_chart(series, title="Engagement and CX", y_label="score (0–100)")
    assert len(png) < MAX_BYTES
    assert png_size(trend_chart({}, title="Nothing yet", y_label="score")) == (800, 400)


def _grid(rows: int, cols: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.uniform(0, 100, (rows, cols)),
        index=[f"Team {i:03d} with a rather long name" for i in range(rows)],
        columns=[f"Driver {j}" for j in range(cols)],
    )


def test_heatmap_draws_hidden_cells_grey_and_only_them() -> None:
    frame = _grid(6).clip(upper=90)
    plain = pixels(heatmap_chart(frame, title="Drivers by team"))
    frame.iloc[2, :] = np.nan
    hidden = pixels(heatmap_chart(frame, title="Drivers by team"))
    grey_plain = (plain == HIDDEN_GREY).all(axis=-1).sum()  # a few anti-aliased text pixels
    grey_hidden = (hidden == HIDDEN_GREY).all(axis=-1).sum()
    assert grey_plain < 500 and grey_hidden > grey_plain + 10_000  # a whole row of cells


def test_heatmaps_stay_under_200_kb_from_one_team_to_two_hundred() -> None:
    for rows, cols in ((1, 10), (20, 12), (40, 10), (200, 10)):
        png = heatmap_chart(_grid(rows, cols, seed=rows), title="Driver scores by team")
        width, height = png_size(png)
        assert width == HEATMAP_WIDTH_IN * DPI
        assert height == round(max(2.5, 1.4 + 0.22 * rows) * DPI)
        assert len(png) < MAX_BYTES, (rows, len(png))
