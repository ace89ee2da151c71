"""CX metrics onto 0–100: each scale, the round trip, and errors that say what is wrong."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insights.cxscales import infer_scale, normalise, to_native


@pytest.mark.parametrize(
    ("metric", "value", "scale", "expected", "label_part"),
    [
        ("csat", 80, "0-100", 80, "CSAT (0–100)"),
        ("csat", 4, "1-5", 75, "1–5 average"),
        ("nps", -100, None, 0, "50 = as many promoters as detractors"),
        ("nps", 40, None, 70, "NPS"),
        ("ces", 1, None, 100, "higher means less effort"),
        ("ces", 7, None, 0, "inverted"),
        ("ces", 2.5, None, 75, "Customer effort"),
        ("fcr", 0.72, "0-1", 72, "First-contact resolution"),
        ("fcr", 72, "0-100", 72, "First-contact resolution"),
        ("reopen_free_pct", 91, None, 91, "reopen free (%)"),
    ],
)
def test_each_scale(
    metric: str, value: float, scale: str | None, expected: float, label_part: str
) -> None:
    got, label = normalise(metric, value, scale)
    assert got == pytest.approx(expected)
    assert label_part in label
    assert to_native(metric, got, scale) == pytest.approx(value)


@pytest.mark.parametrize(
    ("metric", "value", "scale", "message"),
    [
        ("nps", 140, None, "nps value 140 is outside −100…100"),
        ("csat", 6, "1-5", "csat value 6 is outside 1…5"),
        ("ces", 0, None, "ces value 0 is outside 1…7"),
        ("fcr", 1.2, "0-1", "fcr value 1.2 is outside 0…1"),
        ("fcr", -3, "0-100", "fcr value −3 is outside 0…100"),
        ("csat", 4, None, "csat needs a scale (1-5 or 0-100)"),
        ("csat", 4, "1-7", "csat has no scale '1-7'"),
        ("aht", 300, None, "unknown CX metric 'aht'"),
        ("nps", float("nan"), None, "nps value is missing"),
    ],
)
def test_errors_are_specific(metric: str, value: float, scale: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        normalise(metric, value, scale)


def test_to_native_refuses_values_off_the_common_scale() -> None:
    with pytest.raises(ValueError, match="outside 0…100"):
        to_native("nps", 120)


def test_infer_scale_reads_the_whole_series() -> None:
    assert infer_scale("csat", [4.2, 3.9, 4.6]) == "1-5"
    assert infer_scale("csat", [4.2, 3.9, 86]) == "0-100"
    assert infer_scale("fcr", [0.7, 0.81]) == "0-1"
    assert infer_scale("fcr", [0.7, 81]) == "0-100"
    assert infer_scale("nps", [12, -5]) == "-100-100"
    with pytest.raises(ValueError, match="empty series"):
        infer_scale("csat", [])


@given(st.floats(-100, 100))
def test_nps_round_trip_and_order(value: float) -> None:
    norm, _ = normalise("nps", value)
    assert 0 <= norm <= 100
    assert to_native("nps", norm) == pytest.approx(value, abs=1e-9)
