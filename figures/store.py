"""Guarded figures kept ready, a week at a time: the pipeline's output, stored when it is known.

Sealed sums never change, and the one privacy rule decides each week on that week's counts
alone (figures.guard), so a week's guarded figures (every node's scores and driver cells,
figures.pipeline.Figures) are fixed once its pulses are sealed. The worker builds them with
``refresh`` (figures.pipeline.load + guarded over the stale weeks) after every close and at
start; a report reads its own node's rows with ``read`` instead of loading and guarding
the whole workspace.

Kept for one basis: the team tree, k and the engagement drivers (a change of config.toml
makes another basis: until it is built, every week is computed as before). A stored week
is used only while it is fresh: the week's sealed pulses are still those it was built from
(their count and latest seal) and all of them had closed by the moment asked about
(``closed_by``). Any other week is computed from the sealed sums on the spot, in memory,
exactly as the pipeline always does; so the store changes no figure, only when it is worked
out (tests/golden renders every surface both ways).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from figures.guard import Tree
from figures.pipeline import (
    Answered,
    Figures,
    Mixes,
    Window,
    bank_engagement,
    guarded,
    left_out,
    load,
)
from insights.alerts import decile_cutoffs
from insights.scores import ORG, SCORE_COLUMNS
from settings.config import AppConfig
from storage.cx import cx_frame
from storage.figure_store import (
    Seals,
    StoredWeek,
    driver_rows,
    forget_other_bases,
    node_rows,
    replace_weeks,
    stored_weeks,
    week_seals,
)
from storage.left_out import small_pulses
from storage.progress import Progress

VERSION = 1  # bump when what a stored row means changes: every basis changes with it
EVER = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)  # the store holds every sealed pulse
RUN_WEEKS = 26  # weeks built per load when many are stale (bounded memory)


def basis(config: AppConfig, engagement: Collection[str]) -> str:
    """What stored figures depend on besides the sums: tree, k, engagement drivers."""
    key = {
        "version": VERSION,
        "k": config.privacy.min_group_size,
        "tree": sorted((t.key, t.parent or "") for t in config.teams),
        "engagement": sorted(engagement),
    }
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]


def fresh(stored: StoredWeek | None, seals: Seals) -> bool:
    """Whether a stored week was built from the week's sealed pulses as they are."""
    return (
        stored is not None
        and stored.sealed == seals.sealed
        and stored.last_sealed == seals.last_sealed
    )


def _runs(weeks: Sequence[dt.date], longest: int) -> Iterator[list[dt.date]]:
    """Consecutive Mondays in runs of at most ``longest``."""
    run: list[dt.date] = []
    for week in weeks:
        if run and (week - run[-1] != dt.timedelta(weeks=1) or len(run) == longest):
            yield run
            run = []
        run.append(week)
    if run:
        yield run


def _computed(
    session: Session,
    config: AppConfig,
    workspace_id: int,
    weeks: list[dt.date],
    closed_by: dt.datetime,
    engagement: tuple[str, ...],
) -> tuple[Figures, pd.Series]:
    """The pipeline over a run of consecutive weeks, as any surface would compute it, and
    each week's red-flag cutoff over its shown leaf cells."""
    window = Window(end=weeks[-1], weeks=len(weeks), history=len(weeks))
    k = config.privacy.min_group_size
    sums = load(session, workspace_id=workspace_id, window=window, k=k, closed_by=closed_by)
    fig = guarded(sums, config=config, k=k, engagement=engagement)
    leaves = fig.shown_drivers[fig.shown_drivers["team"].isin(fig.tree.leaves)]
    return fig, decile_cutoffs(leaves, engagement)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for the database: NaN/NA as NULL, numpy scalars as Python, weeks as dates."""
    out = frame.assign(period=frame["period"].dt.date).astype(object)
    out = out.where(out.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in out.to_dict("records")
    ]


def _node_frame(fig: Figures) -> pd.DataFrame:
    scores = fig.scores
    answered = fig.answered
    assert isinstance(answered, Answered)
    return scores.assign(
        own=[answered.own(t, p) for t, p in zip(scores["team"], scores["period"], strict=True)],
        mix=[answered.mix(t, p) for t, p in zip(scores["team"], scores["period"], strict=True)],
    )


def refresh(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    since: dt.date = dt.date.min,
    engagement: Collection[str] | None = None,
) -> int:
    """Build every week from ``since`` whose stored figures are missing or stale; the number
    of weeks built. The seals are read before the sums: a pulse sealed in between makes the
    week look stale to readers (never fresh with a pulse missing)."""
    drivers = tuple(engagement) if engagement is not None else bank_engagement()
    key = basis(config, drivers)
    forget_other_bases(session, workspace_id=workspace_id, basis=key)
    seals = week_seals(session, workspace_id=workspace_id, start=since, end=dt.date.max)
    if not seals:
        return 0
    stored = stored_weeks(
        session, workspace_id=workspace_id, basis=key, start=min(seals), end=max(seals)
    )
    stale = sorted(p for p, s in seals.items() if not fresh(stored.get(p), s))
    for run in _runs(stale, RUN_WEEKS):
        fig, cutoffs = _computed(session, config, workspace_id, run, EVER, drivers)
        weeks = {
            p: StoredWeek(
                seals[p].sealed,
                seals[p].last_sealed,
                float(cutoffs[pd.Timestamp(p)]) if pd.Timestamp(p) in cutoffs.index else None,
            )
            for p in run
        }
        nodes = _node_frame(fig).rename(columns={"team": "node"})
        drivers_rows = fig.drivers.rename(columns={"team": "node"})
        replace_weeks(
            session,
            workspace_id=workspace_id,
            basis=key,
            weeks=weeks,
            nodes=_records(nodes),
            drivers=_records(drivers_rows),
        )
    return len(stale)


def read(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    window: Window,
    closed_by: dt.datetime,
    nodes: Collection[str] | None,
    engagement: Collection[str] | None = None,
    progress: Progress | None = None,
) -> Figures:
    """``nodes``' figures (None: every node's, as figures.pipeline.figures gives them) over
    ``window`` from pulses closed by ``closed_by``: stored weeks where fresh, the others
    computed from the sealed sums; the same figures either way. ``progress`` is told the
    weeks with pulses, then the kept ones read and each run of weeks computed."""
    drivers = tuple(engagement) if engagement is not None else bank_engagement()
    key, ws = basis(config, drivers), workspace_id
    seals = week_seals(session, workspace_id=ws, start=window.start, end=window.end)
    stored = stored_weeks(session, workspace_id=ws, basis=key, start=window.start, end=window.end)
    kept = [p for p, s in seals.items() if fresh(stored.get(p), s) and s.closed <= closed_by]
    stale = sorted(set(seals) - set(kept))
    wanted = None if nodes is None else set(nodes)
    if progress is not None:
        progress.start(len(seals))
    score_parts, driver_parts = [], []
    cutoffs = {pd.Timestamp(p): w.cutoff for p in kept if (w := stored[p]).cutoff is not None}
    mixes: dict[tuple[str, pd.Timestamp], str] = {}
    owned: set[tuple[str, pd.Timestamp]] = set()
    if kept:
        rows = node_rows(session, workspace_id=ws, basis=key, periods=kept, nodes=wanted)
        rows["period"] = pd.to_datetime(rows["period"])
        _note_answered(rows, mixes, owned)
        score_parts.append(_typed_scores(rows.drop(columns=["own", "mix"])))
        cells = driver_rows(session, workspace_id=ws, basis=key, periods=kept, nodes=wanted)
        driver_parts.append(_typed_drivers(cells))
        if progress is not None:
            progress.advance(len(kept))
    for run in _runs(stale, RUN_WEEKS):
        fig, found = _computed(session, config, ws, run, closed_by, drivers)
        cutoffs.update(found.to_dict())
        mine, cells = _node_frame(fig), fig.drivers
        if wanted is not None:
            mine, cells = mine[mine["team"].isin(wanted)], cells[cells["team"].isin(wanted)]
        _note_answered(mine, mixes, owned)
        score_parts.append(mine.drop(columns=["own", "mix"]))
        driver_parts.append(cells)
        if progress is not None:
            progress.advance(len(run))
    scores = _joined(score_parts, _typed_scores(_empty_scores()), ["team", "period"])
    ds = _joined(driver_parts, _typed_drivers(_empty_drivers()), ["team", "period", "driver"])
    small = small_pulses(
        session,
        workspace_id=ws,
        start=window.since,
        end=window.end,
        k=_k(config),
        now=closed_by,
        teams=None if wanted is None or ORG in wanted else below(config, wanted),
    )
    small = small.assign(period=pd.to_datetime(small["period"]))
    seen = set(scores["team"]) if wanted is None else wanted
    stray = {t for t in seen | set(small["team"]) if t != ORG and config.team(t) is None}
    tree = Tree.of(config, sorted(stray))
    cx_end = window.end + dt.timedelta(weeks=window.cx_after, days=6)
    cx = cx_frame(
        session, workspace_id=ws, start=window.start, end=cx_end, team_keys=wanted or None
    )
    figures = Figures(
        k=_k(config),
        window=window,
        tree=tree,
        engagement=drivers,
        scores=scores,
        drivers=ds,
        answered=Mixes(mixes, frozenset(owned)),
        cx=cx.reset_index(drop=True),
        left_out=left_out(small, tree),
        small=small,
        nodes=None if wanted is None else frozenset(wanted),
        cutoffs=cutoffs,
    )
    if wanted is not None:
        kept_left = {n: c for n, c in figures.left_out.items() if n in wanted}
        return replace(figures, left_out=kept_left)
    answered = pd.DataFrame(sorted(owned), columns=["team", "period"])
    return replace(figures, answered=Answered.of(answered, tree), cutoffs=None)


def below(config: AppConfig, nodes: Collection[str]) -> set[str]:
    """The nodes and every configured team below them: the teams their figures roll up."""
    children: dict[str, list[str]] = {}
    for team in config.teams:
        if team.parent is not None:
            children.setdefault(team.parent, []).append(team.key)
    found, todo = set(nodes), list(nodes)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _note_answered(
    rows: pd.DataFrame,
    mixes: dict[tuple[str, pd.Timestamp], str],
    owned: set[tuple[str, pd.Timestamp]],
) -> None:
    for t, p, mix, own in zip(rows["team"], rows["period"], rows["mix"], rows["own"], strict=True):
        mixes[(t, p)] = mix
        if own:
            owned.add((t, p))


def _k(config: AppConfig) -> int:
    return config.privacy.min_group_size


SCORE_TYPES = {
    "respondents": "Int64",
    "invited": "Int64",
    "enps_n": "int64",
    "shown": "bool",
}
FLOATS = ("engagement", "engagement_se", "favourable_pct", "enps", "participation")


def _empty_scores() -> pd.DataFrame:
    return pd.DataFrame(columns=[*SCORE_COLUMNS, "shown"])


def _empty_drivers() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["team", "period", "driver", "score", "n", "se", "favourable_pct", "shown"]
    )


def _typed_scores(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(period=pd.to_datetime(frame["period"]))
    for column in FLOATS:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out.astype(SCORE_TYPES)[[*SCORE_COLUMNS, "shown"]]


def _typed_drivers(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(period=pd.to_datetime(frame["period"]))
    for column in ("score", "se", "favourable_pct"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out = out.astype({"n": "int64", "shown": "bool"})
    return out[["team", "period", "driver", "score", "n", "se", "favourable_pct", "shown"]]


def _joined(parts: list[pd.DataFrame], empty: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty
    joined = parts[0] if len(parts) == 1 else pd.concat(parts)
    return joined.sort_values(keys).reset_index(drop=True)
