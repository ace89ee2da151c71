"""A tiny supervisor for `pulse run`: web and worker as child processes, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

PULSE = [sys.executable, "-m", "cli.main"]


class ChildFailed(RuntimeError):
    """A child process died or never became ready; the message says which."""


class Supervisor:
    def __init__(self, env: Mapping[str, str], *, cwd: Path | None = None) -> None:
        self.env = {**os.environ, **env}
        self.cwd = cwd
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        child = subprocess.Popen([*PULSE, *args], env=self.env, cwd=self.cwd)
        self.children[name] = child
        return child

    def run(self, *args: str) -> int:
        """Run a pulse command to completion in the same environment (output shown)."""
        return subprocess.run([*PULSE, *args], env=self.env, cwd=self.cwd, check=False).returncode

    def wait_healthy(self, url: str, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            for name, child in self.children.items():
                if child.poll() is not None:
                    raise ChildFailed(f"`pulse {name}` exited with status {child.returncode}")
            try:
                with opener.open(url, timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise ChildFailed(f"{url} did not become healthy within {timeout:.0f} s")

    def wait_any(self) -> int:
        """Block until a child exits (or Ctrl-C / SIGTERM); returns its status."""
        signal.signal(signal.SIGTERM, _interrupt)
        while True:
            for child in self.children.values():
                if child.poll() is not None:
                    return child.returncode
            time.sleep(0.2)

    def stop(self, *, grace: float = 25) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
