"""Shared fixtures: one engine fixture over SQLite and a real PostgreSQL.

PostgreSQL tests run when TEST_DATABASE_URL is set (CI sets it) and skip otherwise.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers tables)
from settings.i18n import set_reader
from storage.db import make_engine


@pytest.fixture(autouse=True)
def _english_reader() -> Iterator[None]:
    """Each test starts reading English: a request dispatched in-process (tests/bot's World)
    leaves the sender's locale set in the test's own context, as Bolt's middleware sets it."""
    set_reader(None)
    yield
    set_reader(None)


PG_URL = os.environ.get("TEST_DATABASE_URL")

# slack_sdk honours HTTP(S)_PROXY and ignores NO_PROXY: keep every test's (and every child
# process's) traffic to the sandbox on loopback, never through a proxy.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
REPO = Path(__file__).resolve().parent.parent


def pg_schema_url(schema: str) -> str:
    """TEST_DATABASE_URL confined to one schema, so concurrent test runs never collide."""
    sep = "&" if "?" in (PG_URL or "") else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for the duration; yields a database URL confined to it."""
    schema = f"t_{secrets.token_hex(5)}"
    admin = create_engine(PG_URL or "")
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with pg_schema() as url:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        yield engine
        engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, empty schema per test on each backend."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        SQLModel.metadata.create_all(eng)
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate(eng)
        yield eng
        _truncate(eng)
