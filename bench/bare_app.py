"""The floor for `/pulse report`: a bare Bolt app on the server stack `pulse serve` uses.

    python -m bench.bare_app WORKERS        # reads PORT, SLACK_* like `pulse serve`

Its one command listener acks, then posts a fixed tiny message to the response URL, as the
real listener posts the report; `/healthz` answers 200. It is served by gunicorn with the
options of `pulse serve` (gthread, WORKERS processes × WEB_THREADS threads, the same
timeouts and keep-alive), so the gap between it and the product is the product's own work.
It imports nothing of the product, so it is the same yardstick for every checkout.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def bare_wsgi() -> Callable[..., Iterable[bytes]]:
    log = logging.getLogger("bench.bare")
    log.setLevel(logging.ERROR)
    app = App(
        logger=log,
        # the one auth.test the real app makes at start, against the same sandbox
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        raise_error_for_unhandled_request=False,
    )

    @app.command("/pulse")
    def command(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="ok", response_type="ephemeral")

    bolt = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]
        return bolt(environ, start_response)

    return wsgi


def serve(port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {  # as bot/server.py's serve() sets them
                "bind": f"127.0.0.1:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 30,
                "graceful_timeout": 25,
                "keepalive": 5,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[..., Iterable[bytes]]:
            return bare_wsgi()

    _Gunicorn().run()


def main(argv: list[str]) -> int:
    workers = int(argv[0]) if argv else 1
    serve(int(os.environ["PORT"]), workers, int(os.environ.get("WEB_THREADS") or 8))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
