"""`/_sandbox/*`: drive a running sandbox from another process (benchmark, demo, curl).

GET `state`; POST `rate_limit` {method, per_second} (method "*" sets the default),
`fault` {method, kind, times, probability, seed, delay}, `clear_faults`, `reset_calls`,
`connect_app` {app_url, signing_secret} (where the page's clicks and commands go),
`socket_drop` (reset the Socket Mode connections), `socket_disconnect` {reason} (Slack's
`disconnect` message: "refresh_requested" by default, or "link_disabled").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.contracts import Responder

_FAULT_FIELDS = ("times", "probability", "seed", "delay")


def handle(handler: Responder, verb: str, name: str, body: bytes) -> None:
    """Answer one control request: 200 `{"ok": true, ...}` or 400 with the reason."""
    sandbox = handler.sandbox
    try:
        args: dict[str, Any] = json.loads(body) if body.strip() else {}
        if not isinstance(args, dict):
            raise ValueError("body must be a JSON object")
        if verb == "GET" and name == "state":
            return handler.send_json(200, {"ok": True, **sandbox.state()})
        if verb != "POST":
            return handler.send_json(404, {"ok": False, "error": "not_found"})
        if name == "rate_limit":
            method = args.get("method") or "*"
            per_second = args.get("per_second")
            per_second = None if per_second is None else float(per_second)
            if method == "*":
                sandbox.set_default_rate(per_second)
            else:
                sandbox.set_rate_limit(str(method), per_second)
        elif name == "fault":
            options = {k: args[k] for k in _FAULT_FIELDS if k in args}
            sandbox.inject_fault(str(args["method"]), str(args["kind"]), **options)
        elif name == "clear_faults":
            sandbox.clear_faults()
        elif name == "reset_calls":
            sandbox.workspace.reset_calls()
        elif name == "connect_app":
            sandbox.connect_app(str(args["app_url"]), str(args["signing_secret"]))
        elif name == "socket_drop":
            return handler.send_json(200, {"ok": True, "dropped": sandbox.socket_mode.drop()})
        elif name == "socket_disconnect":
            reason = str(args.get("reason") or "refresh_requested")
            told = sandbox.socket_mode.disconnect(reason)
            return handler.send_json(200, {"ok": True, "told": told})
        else:
            return handler.send_json(404, {"ok": False, "error": "not_found"})
    except (KeyError, TypeError, ValueError) as error:
        return handler.send_json(400, {"ok": False, "error": f"bad_request: {error}"})
    return handler.send_json(200, {"ok": True})
