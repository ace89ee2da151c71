"""`apps.connections.open`: the app-level token (xapp-…) asks where to open Socket Mode."""

from __future__ import annotations

from sandbox.methods.base import Call, method


@method("apps.connections.open")
def connections_open(call: Call) -> dict:
    return {"url": "ws" + call.base.removeprefix("http") + "/socket-mode"}
