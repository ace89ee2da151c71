"""`python -m bench.seed …` = `pulse seed …`: the seeding code ships in cli.seed."""

from __future__ import annotations

import sys

from cli.seed import SeedError, seed, seed_database

__all__ = ["SeedError", "seed", "seed_database"]

if __name__ == "__main__":
    from cli.main import main

    sys.exit(main(["seed", *sys.argv[1:]]))
