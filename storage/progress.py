"""What long work tells whoever watches it: how much there is once known, then each step.

The CLI draws a bar from it (cli.console.Steps); the work itself knows nothing of terminals.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told the total once known, then how much each step did."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...
