"""Alembic environment: uses the engine handed in by storage.migrate (or DATABASE_URL)."""

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` CLI use by a developer generating a revision
    import os

    from storage.db import make_engine

    engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///pulse.db"))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
