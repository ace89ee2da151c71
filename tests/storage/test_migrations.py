"""`pulse db upgrade` builds exactly the schema the models declare, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import upgrade
from storage.schema import is_current
from tests.conftest import PG_URL, pg_schema


def _assert_matches_models(engine) -> None:  # type: ignore[no-untyped-def]
    assert not is_current(engine)
    upgrade(engine)
    upgrade(engine)  # idempotent: a second release phase changes nothing
    assert is_current(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []
    names = set(inspect(engine).get_table_names())
    assert {"response", "delivery", "pulse", "team", "employee", "cx_metric"} <= names


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    _assert_matches_models(engine)
    # compare_metadata does not see WITHOUT ROWID, which keeps rows out of arrival order
    no_rowid = [
        t.name
        for t in SQLModel.metadata.sorted_tables
        if t.dialect_options["sqlite"]["with_rowid"] is False
    ]
    assert {"held", "conversation_message", "conversation_held"} <= set(no_rowid)
    with engine.connect() as conn:
        for name in no_rowid:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": name}
            ).scalar_one()
            assert "WITHOUT ROWID" in sql, name


@pytest.mark.postgres
def test_migrations_on_postgresql() -> None:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with pg_schema() as url:
        engine = make_engine(url)
        try:
            _assert_matches_models(engine)
        finally:
            engine.dispose()
