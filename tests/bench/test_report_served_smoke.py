"""The served-report benchmark still runs and still measures: a tiny org, a few reports.

Runs `python -m bench.report_served` as the lead would (its own process, this checkout's
Python as the target), on a fresh data folder, and checks it timed real reports: no error,
and percentiles that are plausible and ordered. A bench that silently counted refusals as
reports would pass that, so the report check itself is tested on a refusal too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.served import _not_a_report

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.acceptance
def test_report_served_times_real_reports_on_a_tiny_org(tmp_path: Path) -> None:
    bench = [sys.executable, "-m", "bench.report_served", "--python", sys.executable]
    done = subprocess.run(
        [*bench, "--sizes", "tiny", "--reports", "5", "--warmup", "1", "--json"],
        cwd=REPO,
        env={**os.environ, "PULSE_BENCH_DATA": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["app"]: row for row in json.loads(done.stdout.splitlines()[-1])}
    bare = rows.pop("bare")
    (product,) = rows.values()
    for row in (product, bare):
        assert row["reports"] == 5 and row["errors"] == 0, row
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] < 5000, row
    assert product["size"] == "tiny"


def test_a_refusal_or_another_teams_report_is_not_counted_as_the_report() -> None:
    report = {"text": "Pulse report for Team 3", "blocks": [{"type": "header"}] * 5}
    refusal = {"text": "No team called `team-004` that you can see.", "blocks": [{}] * 3}
    assert _not_a_report(json.dumps(report).encode(), "Team 3") is None
    assert _not_a_report(json.dumps(report).encode(), "Team 4") is not None
    assert _not_a_report(json.dumps(report).encode().replace(b"3", b"31"), "Team 3") is not None
    assert _not_a_report(json.dumps(refusal).encode(), "Team 4") is not None
    assert _not_a_report(b"not json", "Team 3") is not None
