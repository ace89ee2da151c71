"""What every listener needs: settings, the database engine and a clock (injectable)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from settings.runtime import Settings


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Context:
    settings: Settings
    engine: Engine
    clock: Callable[[], dt.datetime] = field(default=utc_now)

    @property
    def k(self) -> int:
        return self.settings.config.privacy.min_group_size
