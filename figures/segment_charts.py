"""The digest's segment heatmap: the org's week, each attribute value (rows) by driver
(columns), 0–100, from the cuts the rule decided (figures.segment_figures.org_cuts): a value
or a driver cell the rule hides is NaN, drawn grey, and never named in the takeaway."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from figures.digest_charts import Chart, heatmap_takeaway
from figures.segment_figures import SegmentCut
from settings.i18n import long_date, tr


def segment_frame(cuts: Sequence[SegmentCut], labels: Mapping[str, str]) -> pd.DataFrame:
    """Rows "Attribute: value", columns driver labels; NaN where nothing is shown."""
    rows: dict[str, dict[str, float]] = {}
    for found in cuts:
        for row in found.rows:
            rows[f"{found.name}: {row.value}"] = {labels.get(d, d): s for d, s in row.drivers}
    frame = pd.DataFrame.from_dict(rows, orient="index", dtype=float)
    return frame.reindex(columns=sorted(frame.columns))


def segment_heatmap(
    cuts: Sequence[SegmentCut], *, labels: Mapping[str, str], week: dt.date, k: int
) -> Chart | None:
    """The chart, or None when no driver cell of any value is shown."""
    from figures.charts import heatmap_chart  # matplotlib loads only when a chart is drawn

    frame = segment_frame(cuts, labels)
    if frame.empty or not frame.notna().any().any():
        return None
    title = tr("Driver scores by segment, whole organisation, week of {day}").format(
        day=long_date(week)
    )
    png = heatmap_chart(frame, k=k)
    return Chart(f"segments-{week}.png", title, png, heatmap_takeaway(frame))
