"""Chart images are real, small, deterministic PNGs, decoded here as a viewer would."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import struct
import zlib

import numpy as np
import pandas as pd
from matplotlib.image import imread

from figures.charts import (
    CX_COLOUR,
    DPI,
    ENGAGEMENT_COLOUR,
    HEATMAP_WIDTH_IN,
    TREND_SIZE_IN,
    Panel,
    fitted_range,
    heat_colours,
    heatmap_chart,
    link_chart,
    trend_chart,
)
from figures.digest_charts import heatmap_takeaway, link_panels, link_takeaway
from figures.link_sentences import LinkSaid
from figures.links import MetricLink
from insights.linkage import LinkFinding

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


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def near(image: np.ndarray, colour: str, tolerance: int = 12) -> int:
    """Pixels within ``tolerance`` of ``colour`` on every channel."""
    return int((np.abs(image - np.array(hex_rgb(colour))) <= tolerance).all(axis=-1).sum())


def not_blank(image: np.ndarray) -> None:
    """Mostly background, but with real ink: lines, text and cells were drawn."""
    ink = (image < 200).any(axis=-1).mean()
    assert 0.02 < ink < 0.6, ink


def test_trend_chart_is_a_png_of_the_promised_size_and_deterministic() -> None:
    series = {"Support": weeks([61, 63, 60, float("nan"), 66]), "Billing": weeks([70, 72, 75])}
    png = trend_chart(series, y_label="Engagement (0–100)")
    size = (round(TREND_SIZE_IN[0] * DPI), round(TREND_SIZE_IN[1] * DPI))
    assert png_size(png) == size == (900, 540)
    not_blank(pixels(png))
    assert png == trend_chart(series, y_label="Engagement (0–100)")
    assert len(png) < MAX_BYTES
    assert png_size(trend_chart({}, title="Nothing yet", y_label="score")) == size


def test_a_flat_series_gets_a_y_range_that_shows_its_movement() -> None:
    assert fitted_range([66, 67, 68, 69], [70, 72]) == (60, 75)  # not 0–100
    assert fitted_range([2, 3]) == (0, 10) and fitted_range([97]) == (90, 100)
    assert fitted_range([]) == (0, 100)


def test_the_link_chart_draws_one_panel_per_metric_with_engagement_distinct() -> None:
    engagement = weeks([71, 69, 70, 68, 69, 67, 66, 66, 69, 66])
    panels = [
        Panel("CSAT", "2 weeks later", weeks([72, 74, 75, 71, 72, 69, 72, 67]), "no link yet"),
        Panel("NPS", "in the same week", weeks([67, 63, 66, 66, 66, 68, 64, 66, 65, 68])),
        Panel("Customer effort", "1 week later", weeks([68, 75, 74, 68, 73, 65, 73, 70, 74])),
    ]
    png = link_chart(engagement, panels, title="Engagement and customer metrics")
    width, height = png_size(png)
    assert width == 900 and height == round((1.1 + 2.3 * 2) * DPI)  # two rows of two panels
    image = pixels(png)
    not_blank(image)
    assert png == link_chart(engagement, panels, title="Engagement and customer metrics")
    assert len(png) < MAX_BYTES
    # engagement in every panel (and the legend), in its own colour, apart from the metric
    assert near(image, ENGAGEMENT_COLOUR) > 3 * 2_000 and near(image, CX_COLOUR) > 3 * 1_000
    one = link_chart(engagement, panels[:1], title="Engagement and CSAT")
    assert png_size(one)[1] == round((1.1 + 2.3) * DPI)


def test_the_heatmap_palette_has_no_red_and_green_pair() -> None:
    """Orange to blue: low and high differ in blue–yellow, which every colour vision sees."""
    for x in np.linspace(0, 1, 21):
        r, g, b, _ = heat_colours()(x)
        assert not (g > r + 0.05 and g > b + 0.05), (x, r, g, b)  # never green
    low, high = heat_colours()(0.0), heat_colours()(1.0)
    assert low[0] > low[2] and high[2] > high[0]  # orange end, blue end


def _grid(rows: int, cols: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.uniform(0, 100, (rows, cols)),
        index=[f"Team {i:03d} with a rather long name" for i in range(rows)],
        columns=[f"Driver {j}" for j in range(cols)],
    )


def test_heatmap_draws_hidden_cells_grey_and_only_them() -> None:
    frame = _grid(6).clip(upper=90)
    plain = pixels(heatmap_chart(frame, title="Drivers by team", k=5))
    not_blank(plain)
    frame.iloc[2, :] = np.nan
    hidden = pixels(heatmap_chart(frame, title="Drivers by team", k=5))
    grey_plain = (plain == HIDDEN_GREY).all(axis=-1).sum()  # a few anti-aliased text pixels
    grey_hidden = (hidden == HIDDEN_GREY).all(axis=-1).sum()
    assert grey_plain < 500 and grey_hidden > grey_plain + 10_000  # a whole row of cells


def test_heatmaps_stay_under_200_kb_from_one_team_to_two_hundred() -> None:
    for rows, cols in ((1, 10), (20, 12), (40, 10), (200, 10)):
        png = heatmap_chart(_grid(rows, cols, seed=rows), title="Driver scores by team", k=5)
        width, height = png_size(png)
        assert width == HEATMAP_WIDTH_IN * DPI == 900
        assert height == round(max(3.0, 2.4 + (0.3 if rows <= 40 else 0.2) * rows) * DPI)
        assert len(png) < MAX_BYTES, (rows, len(png))


def _link(name: str, lag: int, r: float, p_holm: float) -> MetricLink:
    lags = pd.DataFrame({"lag": [0, lag], "r": [0.1, r], "p_holm": [0.9, p_holm]})
    said = LinkSaid(LinkFinding("leads", lag=lag), name)
    return MetricLink(name.lower(), name, (), lags, said, lag, pd.DataFrame(), pd.DataFrame())


def test_takeaways_say_only_what_the_charts_show() -> None:
    grid = pd.DataFrame(
        {"Voice": [55.0, float("nan")], "Workload": [70.0, 85.0]}, index=["Support", "Billing"]
    )
    grid.loc["Billing", "Voice"] = float("nan")  # hidden: below k, must never be named
    assert heatmap_takeaway(grid) == (
        "Lowest: Support on voice (55); highest: Billing on workload (85)."
    )
    engagement = weeks([71.4, 69, 66.6])
    series = {"CSAT": weeks([60, 72, 75, 70, 68]), "NPS": weeks([50, 52, 51])}
    links = [_link("CSAT", 2, 0.61, 0.01), _link("NPS", 1, 0.2, 0.4)]
    panels = link_panels(engagement, series, links)
    csat = panels[0][0]
    assert (csat.name, csat.when, csat.note) == ("CSAT", "2 weeks later", "linked, r = 0.61")
    assert [v for _, v in csat.points] == [75, 70, 68]  # moved back two weeks onto the window
    assert link_takeaway(engagement, panels) == (
        "Engagement fell from 71 to 67 since the week of 7 Sep; "
        "CSAT 2 weeks later fell from 75 to 68, and tends to move with it."
    )
    weak = link_panels(engagement, series, [_link("NPS", 1, 0.2, 0.4)])
    assert weak[0][0].note == "" and link_takeaway(engagement, weak).endswith(
        "but no customer metric reliably follows engagement yet."
    )


def test_a_monthly_metric_is_moved_back_by_months_and_said_in_months() -> None:
    """A monthly CSAT whose best lag is 1 follows engagement by a month, not a week: its
    October value is drawn at September, and the panel says "1 month later"."""
    engagement = [(dt.date(2026, 8, 31) + dt.timedelta(weeks=i), 70.0) for i in range(13)]
    series = {"CSAT": [(dt.date(2026, m, 1), float(60 + m)) for m in (9, 10, 11, 12)]}
    link = dataclasses.replace(_link("CSAT", 1, 0.7, 0.01), cadence="monthly")
    [(panel, _)] = link_panels(engagement, series, [link])
    assert panel.when == "1 month later"
    assert panel.points == [
        (dt.date(2026, 9, 1), 70.0),
        (dt.date(2026, 10, 1), 71.0),
        (dt.date(2026, 11, 1), 72.0),
    ]
