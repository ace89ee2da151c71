"""Time the two frames every figure starts from (storage.aggregates) on a seeded database:
`python -m bench.aggregates_bench DATABASE_URL [DIR]` (after `pulse seed`).

One team over 52 weeks, then the whole org over 26 weeks; median of 5 runs each. With DIR,
the frames are written there as CSV, to compare two versions' figures.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time

from sqlmodel import select

from storage.aggregates import driver_agg, participation
from storage.db import make_engine, read_scope
from storage.models import Workspace


def main(url: str, out: str | None = None) -> None:
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    end = now.date()
    with read_scope(engine) as s:
        ws = s.exec(select(Workspace.id)).one() or 0
    for label, team, weeks in (("one team, 52 weeks", "team-000", 52), ("org, 26 weeks", None, 26)):
        start = end - dt.timedelta(weeks=weeks)
        times, rows = [], (0, 0)
        for _ in range(5):
            began = time.perf_counter()
            with read_scope(engine) as s:
                args = dict(workspace_id=ws, start=start, end=end, k=5, now=now, team_key=team)
                agg, part = driver_agg(s, **args), participation(s, **args)  # type: ignore[arg-type]
            times.append(time.perf_counter() - began)
            rows = (len(agg), len(part))
        if out:
            name = team or "org"
            agg.to_csv(f"{out}/{engine.dialect.name}-{name}-driver_agg.csv", index=False)
            part.to_csv(f"{out}/{engine.dialect.name}-{name}-participation.csv", index=False)
        print(
            f"{engine.dialect.name} {label}: {statistics.median(times) * 1000:.0f} ms "
            f"(driver_agg {rows[0]} rows, participation {rows[1]} rows)"
        )
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
