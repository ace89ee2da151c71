"""`pulse demo` — the README's offline walk-through — runs green, fast, on a fresh folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image

from tests.conftest import REPO


def test_demo_walks_through_the_product_in_under_a_minute(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        cwd=tmp_path,
        env={**os.environ, "PULSE_CONFIG": str(REPO / "config.toml")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    assert elapsed < 60
    out = done.stdout
    assert "12 weeks of history" in out
    assert "sent 12 DMs, 0 failed" in out
    assert "✓ Recorded" in out  # the DM updated in place after the simulated clicks
    assert "have answered so far" in out  # the report while the pulse is open
    assert "CUSTOMER SUPPORT · PULSE REPORT" in out
    assert "only the managers of Customer Support and HR" in out
    assert (tmp_path / "out" / "demo.db").exists()
    charts = sorted((tmp_path / "out").glob("*.png"))
    assert charts, out[-2000:]
    for chart in charts:  # real PNGs: they decode to an image of plausible size
        image = matplotlib.image.imread(chart)
        assert image.shape[0] > 100 and image.shape[1] > 100
