"""`python -m bot` is `pulse serve`."""

import sys

from bot.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
