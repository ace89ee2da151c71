"""`pulse demo` — the README's offline walk-through — runs green, fast, from an empty folder:
the installed entry point, no config.toml there and no PULSE_CONFIG (the packaged demo company),
everything written under the ./pulse-demo/ folder it names."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image


def test_demo_walks_through_the_product_in_under_a_minute(tmp_path: Path) -> None:
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("PULSE_CONFIG", "DATABASE_URL")}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "pulse"), "demo"],
        cwd=tmp_path,
        env=env,
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
    # CSAT arrives through the ticket_satisfaction preset, Sales' tickets listed, not counted
    assert "helpdesk-export.csv (source helpdesk): " in out
    assert "team value 'Sales'" in out and "is not mapped to a team" in out
    assert " support csat " in out and " billing csat " in out
    assert "sent 12 DMs, 0 failed" in out
    assert "✓ Recorded" in out  # the DM updated in place after the simulated clicks
    assert "have answered so far" in out  # the report while the pulse is open
    assert "CUSTOMER SUPPORT · PULSE REPORT" in out
    assert "Reports are for team managers and HR, and you're not listed as either" in out
    assert "Traceback" not in done.stderr and "WARNING" not in done.stderr, done.stderr[-2000:]
    workdir = tmp_path / "pulse-demo"
    assert f"The demo writes its files to {workdir}" in out
    assert [p.name for p in tmp_path.iterdir()] == ["pulse-demo"]  # nothing anywhere else
    assert (workdir / "demo.db").exists()
    last = out.rstrip().splitlines()[-7:]
    assert last[0] == "What to try next:" and last[1].endswith("pulse demo --keep-running"), last
    charts = sorted(workdir.glob("*.png"))
    assert charts, out[-2000:]
    for chart in charts:  # real PNGs: they decode to an image of plausible size
        image = matplotlib.image.imread(chart)
        assert image.shape[0] > 100 and image.shape[1] > 100
