"""Hostile input: refused requests change nothing; any config or CX input is either taken
whole or refused with a message naming where, never a crash or a partial write.

Requests go through the web process's own WSGI app (`bot.server.PulseWSGI`: the router,
its size limit, Bolt's signature check, the CX API) in-process, on the module's `world`
(the sandbox company with a pulse sent to the support team).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import io
import json
import math
import re
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import select

from bot.context import Context
from bot.server import MAX_BODY, PulseWSGI
from cx.importer import import_file
from cx.validate import CxImportError
from sandbox.sender import sign
from settings.config import AppConfig, ConfigError, load_config
from settings.runtime import Settings, SettingsError
from storage.db import session_scope
from storage.models import CxMetric
from tests.bot.conftest import SECRET, SIGNING, World
from tests.bot.test_fuzz import USER
from tests.conftest import REPO

CX_TOKEN = "hostile-cx-token"
FUZZ = settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@dataclasses.dataclass
class Reply:
    status: int
    body: bytes


@pytest.fixture(scope="module")
def web(world: World) -> PulseWSGI:
    """The web process's WSGI app on the world, with the CX API switched on."""
    assert world.settings is not None
    settings_ = dataclasses.replace(world.settings, cx_api_token=CX_TOKEN)
    return PulseWSGI(Context(settings=settings_, engine=world.engine))


def call(
    web: PulseWSGI, path: str, body: bytes, headers: dict[str, str], *, length: str | None = None
) -> Reply:
    """One request through the WSGI app as gunicorn would make it."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    statuses: list[str] = []
    data = b"".join(web(environ, lambda status, _headers, *exc: statuses.append(status)))
    return Reply(int(statuses[0].split()[0]), data)


# -- signed Slack requests ----------------------------------------------------------------------


def _click_body(world: World, value_index: int) -> bytes:
    """A genuine click on the first question of USER's pulse DM (it writes an answer)."""
    dm = world.sandbox.workspace.dm_messages(USER)[-1]
    row = next(b for b in dm["blocks"] if b["type"] == "actions")["elements"]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0SANDBOX"},
        "user": {"id": USER},
        "container": {"type": "message", "channel_id": dm["channel"], "message_ts": dm["ts"]},
        "trigger_id": "1.2.3",
        "response_url": world.response_url(USER),
        "actions": [{**row[value_index], "block_id": "b"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _form(signed: dict[str, str]) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded", **signed}


def _state(world: World) -> tuple[Any, ...]:
    ws = world.sandbox.workspace
    return (*world.counts(), _answers(world), len(ws.response_url_posts()), ws.dm_messages(USER))


def _answers(world: World) -> list[tuple[int, int]]:
    """USER's answers to the open pulse (held sealed until it closes)."""
    from storage.pseudonym import Respondent
    from storage.responses import answers_of

    who = Respondent(SECRET, workspace="T0SANDBOX", user_id=USER, pulse_id=world.pulse_id)
    with session_scope(world.engine) as s:
        return sorted(answers_of(s, respondent=who).items())


def _settle(world: World, before: tuple[Any, ...], *, changes: bool, wait: float = 5.0) -> None:
    """Listeners run after the ack: wait for a change (or give a refused one time to show)."""
    deadline = time.monotonic() + (wait if changes else 0.3)
    while time.monotonic() < deadline:
        if changes and _state(world) != before:
            return
        time.sleep(0.02)
    assert (_state(world) != before) is changes


def test_unsigned_forged_oversized_and_lying_requests_change_nothing(
    web: PulseWSGI, world: World
) -> None:
    body = _click_body(world, 2)
    now = int(time.time())
    before = _state(world)
    refused = [
        (call(web, "/slack/events", body, _form({})), 401),  # unsigned
        (call(web, "/slack/events", body, _form(sign("not-the-secret", body, now))), 401),
        # Changed after signing: still readable (401: e.g. someone else's answer), or no longer
        # (400: not JSON, not UTF-8; never a 500).
        (
            call(
                web,
                "/slack/events",
                body.replace(USER.encode(), b"U0SUP02"),
                _form(sign(SIGNING, body, now)),
            ),
            401,
        ),
        (call(web, "/slack/events", body[:-1] + b"9", _form(sign(SIGNING, body, now))), 400),
        (call(web, "/slack/events", b"\xff" + body, _form(sign(SIGNING, body, now))), 400),
        # Signed, but stale: Slack's signatures are good for five minutes.
        (call(web, "/slack/events", body, _form(sign(SIGNING, body, now - 301))), 401),
        # Over 1 MB, validly signed: refused before anything reads it.
        (
            call(
                web,
                "/slack/events",
                big := body + b"&x=" + b"a" * MAX_BODY,
                _form(sign(SIGNING, big, now)),
            ),
            413,
        ),
        # A Content-Length that lies: only that many bytes are read (cut JSON, or nothing).
        (call(web, "/slack/events", body, _form(sign(SIGNING, body, now)), length="100"), 400),
        (call(web, "/slack/events", body, _form(sign(SIGNING, body, now)), length="-1"), 413),
        (call(web, "/slack/events", body, _form(sign(SIGNING, body, now)), length=""), 401),
    ]
    assert [r.status for r, _ in refused] == [expected for _, expected in refused]
    assert all(b"payload" not in r.body for r, _ in refused)  # nothing echoed back
    _settle(world, before, changes=False)
    # Control: the same body, signed now, is a genuine click and does write.
    assert call(web, "/slack/events", body, _form(sign(SIGNING, body, now))).status == 200
    _settle(world, before, changes=True)


def test_a_captured_request_replayed_six_minutes_later_is_refused(
    web: PulseWSGI, world: World
) -> None:
    """Someone who captured a signed click cannot replay it later to undo a changed answer."""
    sent_at = dt.datetime.now(dt.UTC)
    first, changed = _click_body(world, 0), _click_body(world, 4)
    captured = _form(sign(SIGNING, first, int(sent_at.timestamp())))
    assert call(web, "/slack/events", first, captured).status == 200
    question = _wait_for_answer(world, 1)
    fresh = _form(sign(SIGNING, changed, int(time.time())))
    assert call(web, "/slack/events", changed, fresh).status == 200
    assert _wait_for_answer(world, 5) == question
    after_change = _quiet(world)  # the DM is re-rendered after the answer is stored
    with freeze_time(sent_at + dt.timedelta(minutes=6)):
        replayed = call(web, "/slack/events", first, captured)
    assert replayed.status == 401
    _settle(world, after_change, changes=False)


def _quiet(world: World, *, still: float = 0.3, wait: float = 5.0) -> tuple[Any, ...]:
    """The state once nothing has changed for ``still`` seconds (listeners run after acks)."""
    deadline, state, since = time.monotonic() + wait, _state(world), time.monotonic()
    while time.monotonic() - since < still:
        assert time.monotonic() < deadline, "the state kept changing"
        time.sleep(0.02)
        if (now := _state(world)) != state:
            state, since = now, time.monotonic()
    return state


def _wait_for_answer(world: World, value: int) -> int:
    """Wait until USER's only stored answer has `value`; returns its question id."""
    deadline = time.monotonic() + 5
    while (answers := _answers(world)) != [(answers[0][0] if answers else 0, value)]:
        assert time.monotonic() < deadline, answers
        time.sleep(0.02)
    return answers[0][0]


# -- config.toml ------------------------------------------------------------------------------

SHIPPED = (REPO / "config.toml").read_text(encoding="utf-8")
SHIPPED_DATA = tomllib.loads(SHIPPED)
SECTIONS = set(AppConfig.model_fields)

plausible = st.sampled_from(
    [
        "U0HRLEAD",
        "U0MANAGER",
        "alice",
        "S0SUPPORT",
        "C0SUPPORT",
        "support",
        "cx-org",
        "10:00",
        "25:00",
        "tue",
        "sun",
        "weekly",
        "daily",
        "csat",
        "Europe/Paris",
        "Mars/Olympus",
        "",
        " ",
        "likert5",
        "text",
        "wellbeing.energy",
        "nope.nothing",
    ]
)
scalars = st.one_of(
    plausible,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=-3, max_value=400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.text(max_size=12),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["key", "name", "x", "usergroup", "cadence"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes, minus surrogate pairs, plus DEL)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _string(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | dt.date):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"


def dumps(data: dict[str, Any]) -> str:
    """A TOML document for `data` (tomllib reads; nothing in the stdlib writes)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not _is_table(v)]
    for name, value in data.items():
        if isinstance(value, dict):
            lines += [f"[{_key(name)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
        elif _is_table(value):
            for table in value:
                lines += [f"[[{_key(name)}]]"] + [
                    f"{_key(k)} = {_value(v)}" for k, v in table.items()
                ]
    return "\n".join(lines) + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


SHIPPED_PATHS = [p for p in _paths(SHIPPED_DATA)]
edits = st.lists(
    st.tuples(
        st.sampled_from(["set", "delete", "add"]),
        st.sampled_from(SHIPPED_PATHS),
        st.sampled_from(["extra", "min_grup_size", "key", "parent", "schedule", "channel"]),
        toml_values,
    ),
    min_size=1,
    max_size=4,
)


def _edited(operations: list[tuple[str, tuple[Any, ...], str, Any]]) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED_DATA)
    for op, path, new_key, value in operations:
        try:
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if op == "delete":
                del parent[path[-1]]
            elif op == "set":
                parent[path[-1]] = value
            elif isinstance(parent[path[-1]], dict):
                parent[path[-1]][new_key] = value
            else:
                parent[new_key if isinstance(parent, dict) else path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or reshaped this path
    return data


def check_config(path: Path, text: str) -> None:
    """The contract: a valid config, or a ConfigError (and SettingsError) naming the key."""
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
        event("valid")
    except ConfigError as error:
        message = str(error)
        event(re.sub(r"'.*", "", message.removeprefix(f"{path}: "))[:30] or "a key named first")
        assert message.startswith(f"{path}: "), message
        reason = message.removeprefix(f"{path}: ")
        named = re.search(r"'([A-Za-z0-9_-]+)[^']*'", reason)
        if reason.startswith("not valid TOML"):
            assert re.search(r"line \d+|end of document", reason), message
        else:
            data = tomllib.loads(text)
            assert named and named[1] in SECTIONS | set(data), message
    try:
        Settings.from_env({"PULSE_CONFIG": str(path)})
    except SettingsError as error:
        assert str(path) in str(error), error


@FUZZ
@given(operations=edits)
@example(operations=[("set", ("privacy", "min_group_size"), "x", 10**20)])
@example(operations=[("set", ("teams",), "x", [])])
@example(operations=[("set", ("hr",), "x", "admins")])
def test_any_edit_of_the_shipped_config_is_valid_or_names_the_key(
    tmp_path: Path, operations: list[tuple[str, tuple[Any, ...], str, Any]]
) -> None:
    data = _edited(operations)
    text = dumps(data)
    assert tomllib.loads(text) == data or _has_nan(data)  # the writer round-trips
    check_config(tmp_path / "config.toml", text)


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    return isinstance(value, list) and any(_has_nan(v) for v in value)


@FUZZ
@given(
    cuts=st.lists(
        st.tuples(st.integers(0, len(SHIPPED)), st.integers(0, 8), st.text(max_size=6)),
        min_size=1,
        max_size=3,
    )
)
def test_any_text_damage_to_the_shipped_config_is_valid_or_names_where(
    tmp_path: Path, cuts: list[tuple[int, int, str]]
) -> None:
    text = SHIPPED
    for at, drop, insert in cuts:
        text = text[:at] + insert + text[at + drop :]
    check_config(tmp_path / "config.toml", text)


@FUZZ
@given(document=st.dictionaries(st.sampled_from([*SECTIONS, "extra"]), toml_values, max_size=4))
def test_any_small_document_is_valid_or_names_the_key(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    check_config(tmp_path / "config.toml", dumps(document))


# -- CX metrics: JSON over HTTP and CSV files ------------------------------------------------


def _cx_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with session_scope(engine) as s:
        rows = s.exec(select(CxMetric).order_by(CxMetric.id)).all()  # type: ignore[arg-type]
        return [
            (r.team_id, r.metric, r.period_start, r.value, r.raw_value, r.scale, r.sample_size)
            for r in rows
        ]


mondays = st.dates(min_value=dt.date(2020, 1, 6), max_value=dt.date(2030, 12, 30)).map(
    lambda d: d - dt.timedelta(days=d.weekday())
)
cells = {
    "team": st.one_of(
        st.sampled_from(["support", "success", "onboarding", "cx-org", "suport"]),
        st.text(max_size=8),
    ),
    "metric": st.one_of(
        st.sampled_from(["csat", "fcr", "nps", "ces", "x_pct"]), st.text(max_size=6)
    ),
    "period_start": st.one_of(mondays.map(str), st.dates().map(str), st.text(max_size=12)),
    "value": st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.sampled_from(["4.5", "87", "-20", "1e400", "abc", "", "0x10", "NaN"]),
    ),
    "sample_size": st.one_of(
        st.none(), st.integers(-5, 10**30), st.sampled_from(["", "120", "1.5", "-1", "0"])
    ),
    "scale": st.sampled_from(["0-100", "1-5", "-100-100", "1-7", "0-1", "0-10", ""]),
}
wild_records = st.fixed_dictionaries(
    {k: cells[k] for k in ("team", "metric", "period_start", "value")},
    optional={
        "sample_size": cells["sample_size"],
        "scale": cells["scale"],
        "notes": st.text(max_size=4),
    },
)
good_records = st.tuples(
    st.sampled_from(
        [
            ("support", "csat", 100),
            ("support", "fcr", 1),
            ("success", "nps", 100),
            ("onboarding", "ces", 7),
        ]
    ),
    mondays,
    st.floats(0, 1),
    st.one_of(st.none(), st.integers(1, 500)),
).map(
    lambda t: {
        "team": t[0][0],
        "metric": t[0][1],
        "period_start": str(t[1]),
        "value": round(max(1.0, t[2] * t[0][2]), 2),
        "sample_size": t[3],
    }
)
records = st.one_of(good_records, good_records, good_records, wild_records)  # mostly good
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _push(**record: Any) -> bytes:
    row = {"team": "support", "metric": "csat", "period_start": "2026-11-16", **record}
    text = json.dumps({"metrics": [row]}) if abs(row.get("value", 0)) < 10**4000 else None
    if text is None:  # json.dumps refuses ints past Python's digit limit: write it out
        text = json.dumps({"metrics": [{**row, "value": 0}]}).replace(
            '"value": 0', '"value": 1' + "0" * 5000
        )
    return text.encode()


bodies = st.one_of(
    st.lists(records, max_size=6).map(lambda rs: json.dumps({"metrics": rs}).encode()),
    st.lists(st.one_of(records, json_values), max_size=4).map(
        lambda rs: json.dumps({"metrics": rs}).encode()
    ),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
)


@FUZZ
@given(body=bodies)
@example(body=_push(value=10**400))  # an integer no float can hold
@example(body=_push(value=10**5000))  # more digits than int() takes from text
def test_any_cx_push_is_stored_whole_or_refused_without_a_write(
    web: PulseWSGI, world: World, body: bytes
) -> None:
    before = _cx_rows(world.engine)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {CX_TOKEN}"}
    reply = call(web, "/api/cx-metrics", body, headers)
    event(f"HTTP {reply.status}")
    assert reply.status in (200, 400), (reply.status, reply.body)
    answer = json.loads(reply.body)
    if reply.status == 200:
        assert answer["ok"] and answer["changed"] <= answer["imported"] == len(
            json.loads(body)["metrics"]
        )
        assert len(_cx_rows(world.engine)) >= len(before)
    else:
        assert not answer["ok"] and answer["error"]
        assert _cx_rows(world.engine) == before


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return '"' + text.replace('"', '""') + '"' if re.search(r'[",\n\r]', text) else text


csv_files = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "team,metric,period_start,value,sample_size",
                "team,metric,period_start,value,sample_size,scale",
                "metric,team,value,period_start,sample_size",
                "team,metric,period_start,value",
                "team,metric,period_start,value,sample_size,notes",
                "",
            ]
        ),
        st.lists(records, max_size=6),
    ).map(
        lambda t: (
            t[0]
            + "\n"
            + "\n".join(
                ",".join(_csv_cell(r.get(c)) for c in t[0].split(",")) for r in t[1] if t[0]
            )
        )
    ),
    st.text(max_size=80),
)


@FUZZ
@given(text=csv_files)
def test_any_cx_csv_is_imported_whole_or_refused_without_a_write(
    world: World, tmp_path: Path, text: str
) -> None:
    assert world.settings is not None
    path = tmp_path / "cx.csv"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = _cx_rows(world.engine)
    try:
        result = import_file(world.engine, path, config=world.settings.config)
        event("imported")
    except CxImportError as error:
        event("refused")
        assert str(error).endswith("nothing was imported") or "not UTF-8" in str(error), error
        assert _cx_rows(world.engine) == before
    else:
        assert result.changed <= result.rows
        assert len(_cx_rows(world.engine)) >= len(before)
