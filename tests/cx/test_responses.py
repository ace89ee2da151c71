"""Raw per-response exports, one per preset: aggregated per team and period with sample sizes,
each response counted once across overlapping exports, every problem located, nothing stored
on any error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from cx.response_import import import_responses
from cx.validate import CxDataError, CxImportError
from settings.config import AppConfig
from tests.cx.conftest import DATA, seen, stored


def run(engine: Engine, config: AppConfig, name: str, source: str, **kw: object):  # type: ignore[no-untyped-def]
    return import_responses(engine, DATA / name, config=config, source=source, **kw)  # type: ignore[arg-type]


def test_ticket_satisfaction_export_becomes_weekly_csat_in_the_sources_time_zone(
    synced: Engine, config: AppConfig
) -> None:
    result = run(synced, config, "helpdesk.csv", "helpdesk")
    assert (result.rows, result.counted, result.repeated, result.not_rated) == (9, 6, 1, 2)
    # 22:59Z on Sunday 15 Nov is still Sunday in Paris; 23:30Z is Monday 00:30 there.
    assert stored(synced) == {
        ("support", "csat", "2026-11-09"): (100.0, 1, "weekly"),
        ("support", "csat", "2026-11-16"): (50.0, 2, "weekly"),
        ("support", "csat", "2026-11-23"): (100.0, 1, "weekly"),
        ("success", "csat", "2026-11-16"): (50.0, 2, "weekly"),
    }
    assert seen(synced) == 6


def test_overlapping_exports_count_each_ticket_once(synced: Engine, config: AppConfig) -> None:
    run(synced, config, "helpdesk.csv", "helpdesk")
    again = run(synced, config, "helpdesk.csv", "helpdesk")
    assert (again.counted, again.repeated, again.changed) == (0, 7, 0)
    later = run(synced, config, "helpdesk-next.csv", "helpdesk")
    assert (later.counted, later.repeated) == (2, 2)
    assert stored(synced)[("support", "csat", "2026-11-23")] == (66.67, 3, "weekly")
    assert stored(synced)[("success", "csat", "2026-11-16")] == (50.0, 2, "weekly")


def test_nps_exports_without_ids_are_monthly_and_deduplicated_by_row(
    synced: Engine, config: AppConfig
) -> None:
    first = run(synced, config, "nps-oct-nov.csv", "nps-survey")
    assert first.unmapped == [
        "nps-oct-nov.csv line 5, column 'Région': team value 'APAC' (1 row) is not mapped to a "
        "team",
        "nps-oct-nov.csv line 8, column 'Région': team value 'LATAM' (1 row) is not mapped to "
        "a team",
    ]
    second = run(synced, config, "nps-nov-dec.csv", "nps-survey")
    # two identical rows (two customers, same day, same 10) are two responses; the rows the
    # first export already held are not
    assert (second.counted, second.repeated) == (4, 2)
    assert run(synced, config, "nps-nov-dec.csv", "nps-survey").counted == 0
    # NPS −100…100 shown as 0–100: Oct (+100 +100 −100)/3 = 33.3 → 66.67; Dec 33.3 → 66.67.
    assert stored(synced) == {
        ("success", "nps", "2026-10-01"): (66.67, 3, "monthly"),
        ("success", "nps", "2026-11-01"): (66.67, 3, "monthly"),
        ("success", "nps", "2026-12-01"): (66.67, 3, "monthly"),
    }


def test_csat_survey_reads_day_first_local_times(synced: Engine, config: AppConfig) -> None:
    result = run(synced, config, "chat-survey.csv", "chat-survey")
    assert result.counted == 4
    assert stored(synced) == {
        ("onboarding", "csat", "2026-11-16"): (66.67, 3, "weekly"),  # 5, 4, 2: two satisfied
        ("onboarding", "csat", "2026-11-23"): (0.0, 1, "weekly"),
    }


def test_every_problem_names_file_line_and_column_and_nothing_is_stored(
    synced: Engine, config: AppConfig
) -> None:
    with pytest.raises(CxDataError) as caught:
        run(synced, config, "chat-survey-bad.csv", "chat-survey")
    name = "chat-survey-bad.csv"
    assert caught.value.problems == [
        f"{name} line 3, column 'Submitted': '2026-11-16' is not a date or timestamp "
        "(the format '%d/%m/%Y %H:%M')",
        f"{name} line 4, column 'Rating': '7' is not a whole number from 1 to 5",
        f"{name} line 5, column 'Rating': '4.5' is not a whole number from 1 to 5",
        f"{name} line 6, column 'Response ID': the response id is empty",
        f"{name} line 7: 4 fields, expected 5",
        f"{name} line 8, column 'Queue': team value 'sales-chat' (1 row) is not mapped to a team "
        '(map it in [[cx.sources]] teams, or set unmapped = "skip")',
    ]
    assert stored(synced) == {} and seen(synced) == 0
    assert run(synced, config, "chat-survey.csv", "chat-survey").counted == 4  # keys forgotten


def test_a_header_without_a_configured_column_is_refused(
    synced: Engine, config: AppConfig, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Ticket ID,Group,Score,Rated at\n1,Support - Tier 1,good,2026-11-16\n")
    with pytest.raises(CxDataError, match=r"export.csv line 1 \(header\): no column score_column"):
        import_responses(synced, path, config=config, source="helpdesk")
    with pytest.raises(CxImportError, match="no CX source 'zendesk'"):
        import_responses(synced, path, config=config, source="zendesk")


def test_dry_run_checks_and_claims_nothing(synced: Engine, config: AppConfig) -> None:
    dry = run(synced, config, "helpdesk.csv", "helpdesk", dry_run=True)
    assert [(a.team, str(a.period_start), a.sample_size) for a in dry.aggregates] == [
        ("success", "2026-11-16", 2),
        ("support", "2026-11-09", 1),
        ("support", "2026-11-16", 2),
        ("support", "2026-11-23", 1),
    ]
    assert stored(synced) == {} and seen(synced) == 0


def test_responses_cannot_join_an_aggregated_value(synced: Engine, config: AppConfig) -> None:
    from cx.importer import store
    from storage.db import session_scope

    with session_scope(synced) as s:
        records = [
            {
                "team": "support",
                "metric": "csat",
                "period_start": "2026-11-16",
                "value": "80",
                "scale": "0-100",
            }
        ]
        store(s, records=records, config=config, locate=lambda i, f: f"row {i}")
    with pytest.raises(CxDataError) as caught:
        run(synced, config, "helpdesk.csv", "helpdesk")
    assert caught.value.problems == [
        "team 'support' csat 2026-11-16: the stored value has no sample size (an aggregated "
        "import), so responses cannot be added to it"
    ]
