"""Is the database at the schema this code expects?"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storage.migrate import alembic_config, current_revision


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    return current_revision(engine) == head
