"""`POST /api/cx-metrics` takes raw responses and periods with the file import's validation
(called as bot.server calls it: a WSGI environ)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot.context import Context
from bot.cx_api import handle
from insights.questions import load_bank
from settings.runtime import Settings
from tests.cx.conftest import CONFIG, seen, stored


def push(engine: Engine, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    settings = Settings(
        config=CONFIG,
        config_path=Path("config.toml"),
        bank=load_bank(),
        database_url="sqlite://",
        slack_api_url="http://slack.invalid/",
        cx_api_token="secret",
    )
    data = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "HTTP_AUTHORIZATION": "Bearer secret",
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(data),
    }
    status: list[str] = []
    reply = b"".join(handle(Context(settings, engine), environ, lambda s, h: status.append(s)))
    return status[0], json.loads(reply)


def ticket(ident: str, group: str, rating: str, when: str) -> dict[str, str]:
    return {"Ticket ID": ident, "Group": group, "Satisfaction": rating, "Rated at": when}


def test_pushed_responses_are_counted_once_per_ticket(synced: Engine) -> None:
    body = {
        "source": "helpdesk",
        "responses": [
            ticket("1", "Support - Tier 1", "good", "2026-11-16T09:00:00Z"),
            ticket("2", "Support - Tier 2", "bad", "2026-11-17T09:00:00+01:00"),
            ticket("3", "Support - Tier 1", "offered", "2026-11-17T10:00:00Z"),
        ],
    }
    status, reply = push(synced, body)
    assert status == "200 OK", reply
    assert (reply["counted"], reply["repeated"], reply["not_rated"]) == (2, 0, 1)
    assert reply["periods"] == [
        {
            "team": "support",
            "metric": "csat",
            "period_start": "2026-11-16",
            "cadence": "weekly",
            "value": 50.0,
            "sample_size": 2,
        }
    ]
    status, reply = push(synced, body)
    assert (reply["counted"], reply["repeated"]) == (0, 2)
    assert stored(synced) == {("support", "csat", "2026-11-16"): (50.0, 2, "weekly")}


def test_a_bad_response_names_its_field_and_nothing_is_stored(synced: Engine) -> None:
    status, reply = push(
        synced,
        {
            "source": "helpdesk",
            "responses": [
                ticket("1", "Support - Tier 1", "great", "2026-11-16T09:00:00Z"),
                ticket("2", "Sales", "good", "2026-11-16T09:00:00Z"),
                {"Ticket ID": "3", "Group": "Support - Tier 1", "Satisfaction": "good"},
            ],
        },
    )
    assert status == "400 Bad Request"
    assert reply["problems"] == [
        "responses[0].Satisfaction: 'great' is not a rating (good or bad; offered/unoffered "
        "= not rated)",
        "responses[2].Rated at: missing (a string or number is expected)",
        "responses[1].Group: team value 'Sales' (1 row) is not mapped to a team (map it in "
        '[[cx.sources]] teams, or set unmapped = "skip")',
    ]
    assert stored(synced) == {} and seen(synced) == 0
    status, reply = push(synced, {"source": "zendesk", "responses": []})
    assert status == "409 Conflict" and "no CX source 'zendesk'" in reply["error"]


def test_pushed_rows_may_declare_their_period(synced: Engine) -> None:
    row = {"team": "support", "metric": "fcr", "period_start": "2026-10-01", "value": 0.7}
    status, reply = push(synced, {"metrics": [row | {"period": "quarterly"}]})
    assert status == "200 OK", reply
    status, reply = push(synced, {"metrics": [row | {"period": "fortnightly"}]})
    assert reply["problems"] == [
        "metrics[0].period: 'fortnightly' is not a period: use weekly, monthly or quarterly"
    ]
