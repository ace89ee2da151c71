"""CX metrics on one 0–100 scale (higher is better), with a label that says how each got there.

Known metrics and their native scales (``scale`` names in brackets):

- ``csat``: 0–100 (``"0-100"``, e.g. % satisfied) or a 1–5 average (``"1-5"``, rescaled
  linearly). A value like 4 is valid on both, so there is no default: pass ``scale``, or infer
  it from the whole series with :func:`infer_scale` (a series that never exceeds 5 is 1–5).
- ``nps``: −100…100 (``"-100-100"``) → (x + 100) / 2, so 50 means as many promoters as detractors.
- ``ces``: 1–7 customer effort where 1 is least effort (``"1-7"``) → (7 − x) / 6 × 100,
  inverted so that higher is better like every other metric.
- ``fcr``: first-contact resolution as a fraction (``"0-1"``) or a percentage (``"0-100"``);
  no default, same reasoning as csat (a series never above 1 is a fraction).
- any name ending in ``_pct``: a percentage, 0–100.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    inverted: bool = False

    def text(self) -> str:
        return f"{_num(self.low)}…{_num(self.high)}"


SCALES = {
    "0-100": Scale(0, 100),
    "1-5": Scale(1, 5),
    "0-1": Scale(0, 1),
    "-100-100": Scale(-100, 100),
    "1-7": Scale(1, 7, inverted=True),
}
METRICS: dict[str, tuple[str, ...]] = {  # allowed scales, narrowest first; one → the default
    "csat": ("1-5", "0-100"),
    "nps": ("-100-100",),
    "ces": ("1-7",),
    "fcr": ("0-1", "0-100"),
}
LABELS = {
    ("csat", "0-100"): "CSAT (0–100)",
    ("csat", "1-5"): "CSAT (1–5 average, shown as 0–100)",
    ("nps", "-100-100"): "NPS (−100…100, shown as 0–100; 50 = as many promoters as detractors)",
    ("ces", "1-7"): "Customer effort (1–7, inverted to 0–100: higher means less effort)",
    ("fcr", "0-1"): "First-contact resolution (%)",
    ("fcr", "0-100"): "First-contact resolution (%)",
}


def _num(x: float) -> str:
    return f"{x:g}".replace("-", "−")


def _allowed(metric: str) -> tuple[str, ...]:
    if metric in METRICS:
        return METRICS[metric]
    if metric.endswith("_pct"):
        return ("0-100",)
    known = ", ".join(METRICS)
    raise ValueError(f"unknown CX metric {metric!r}: known are {known}, or a name ending in _pct")


def _scale(metric: str, scale: str | None) -> tuple[str, Scale]:
    allowed = _allowed(metric)
    if scale is None:
        if len(allowed) > 1:
            raise ValueError(
                f"{metric} needs a scale ({' or '.join(allowed)}): pass it, "
                "or infer it from the whole series with infer_scale()"
            )
        scale = allowed[0]
    if scale not in allowed:
        raise ValueError(f"{metric} has no scale {scale!r}: use {' or '.join(allowed)}")
    return scale, SCALES[scale]


def label(metric: str, scale: str | None = None) -> str:
    """Human label for a metric on the 0–100 scale, naming its native scale."""
    scale, _ = _scale(metric, scale)
    return LABELS.get((metric, scale), f"{metric.removesuffix('_pct').replace('_', ' ')} (%)")


def normalise(metric: str, value: float, scale: str | None = None) -> tuple[float, str]:
    """Native value → (0–100 value, label). Raises ValueError outside the native range."""
    name, s = _scale(metric, scale)
    if value is None or math.isnan(value):
        raise ValueError(f"{metric} value is missing")
    if not s.low <= value <= s.high:
        raise ValueError(f"{metric} value {_num(value)} is outside {s.text()}")
    share = (value - s.low) / (s.high - s.low)
    return (1 - share if s.inverted else share) * 100, label(metric, name)


def to_native(metric: str, value_0_100: float, scale: str | None = None) -> float:
    """0–100 value → the metric's native scale, for display (inverse of normalise)."""
    _, s = _scale(metric, scale)
    if not 0 <= value_0_100 <= 100:
        raise ValueError(f"{metric} normalised value {_num(value_0_100)} is outside 0…100")
    share = value_0_100 / 100
    return s.low + (1 - share if s.inverted else share) * (s.high - s.low)


def infer_scale(metric: str, values: Iterable[float]) -> str:
    """Pick a metric's scale from a whole series (never from one value).

    csat: 1–5 when every value lies within 1…5, else 0–100. fcr: 0–1 when every value lies
    within 0…1, else 0–100. Single-scale metrics return their scale. A 0–100 series that
    never exceeds 5 (csat) or 1 (fcr) would be misread; pass the scale explicitly if that is
    possible for your source.
    """
    allowed = _allowed(metric)
    seen = [float(v) for v in values if v is not None and not math.isnan(v)]
    if not seen:
        raise ValueError(f"cannot infer the {metric} scale from an empty series")
    narrow = next((name for name in allowed if all(_within(SCALES[name], v) for v in seen)), None)
    return narrow or allowed[-1]


def _within(s: Scale, v: float) -> bool:
    return s.low <= v <= s.high
