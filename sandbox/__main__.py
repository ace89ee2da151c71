"""`python -m sandbox [--port N]`: serve the demo company (`sandbox.company`) until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from sandbox import company
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--rate", type=float, default=None, help="default calls/s per method")
    args = parser.parse_args(argv)
    workspace = company.seed(Workspace())
    with SandboxServer(workspace, port=args.port, default_rate=args.rate) as server:
        print(f"Sandbox Slack Web API: {server.url}", flush=True)
        print(f"Conversations: {server.base}/   bot token: {workspace.bot_token}", flush=True)
        print(f"Socket Mode: SLACK_APP_TOKEN={workspace.app_token}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
