"""viewable_teams walks the tree once per team; it must agree with can_view_team everywhere."""

from __future__ import annotations

import random

from bot.access import can_view_team, viewable_teams
from settings.config import AppConfig, parse_config


def _random_config(rng: random.Random) -> tuple[AppConfig, list[str]]:
    keys = [f"t{i}" for i in range(rng.randint(1, 25))]
    users = [f"U0PERSON{i}" for i in range(6)]
    rows = []
    for i, key in enumerate(keys):
        parent = rng.choice([None, *keys[:i]]) if i else None
        row: dict[str, object] = {
            "key": key,
            "name": key.upper(),
            "managers": rng.sample(users, rng.randint(0, 2)),
        }
        if parent is not None:
            row["parent"] = parent
        row["usergroup"] = f"S0{key.upper()}"
        rows.append(row)
    hr = {"admins": rng.sample(users, rng.randint(0, 1))}
    return parse_config({"teams": rows, "hr": hr}, source="test"), users


def test_viewable_teams_is_can_view_team_for_every_team_and_person() -> None:
    rng = random.Random(14)
    for _ in range(200):
        config, users = _random_config(rng)
        for user in users:
            own = [t.key for t in config.teams if user in t.managers]
            rest = [
                t.key
                for t in config.teams
                if t.key not in own and can_view_team(config, user, t.key)
            ]
            assert viewable_teams(config, user) == own + rest
