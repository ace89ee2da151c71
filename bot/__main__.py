"""`python -m bot` is `pulse serve`: the web process, without the rest of the CLI."""

import argparse
import os
import sys

from bot.web import StartError, run
from settings import logs
from settings.runtime import SettingsError

parser = argparse.ArgumentParser(prog="python -m bot", description="run the web process")
parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
args = parser.parse_args()
logs.configure_from_env()
try:
    sys.exit(run(host=args.host))
except (SettingsError, StartError) as exc:
    print(f"pulse: {exc}", file=sys.stderr)
    sys.exit(2)
except KeyboardInterrupt:
    sys.exit(130)
