"""The demo company: people, user groups and channels matching the shipped config.toml.

Time zones span both sides of the date line so schedules are exercised for real.
"""

from __future__ import annotations

from sandbox.workspace import Workspace

LEADS = {
    "U0HRLEAD": ("Hana Reyes", "Europe/London"),
    "U0CXDIRECTOR": ("Dara Okafor", "Europe/London"),
    "U0MANAGER": ("Maya Lindqvist", "Europe/Stockholm"),
    "U0SUCCESSLEAD": ("Sam Whitfield", "America/New_York"),
    "U0ONBOARDLEAD": ("Priya Nair", "Asia/Kolkata"),
}
SUPPORT = [
    ("Alex Moreau", "Europe/Paris"),
    ("Bea Santos", "Asia/Manila"),
    ("Chen Wei", "Asia/Singapore"),
    ("Dmitri Ivanov", "Europe/Berlin"),
    ("Ema Tanaka", "Asia/Tokyo"),
    ("Finn O'Brien", "Europe/Dublin"),
    ("Grace Kim", "America/Los_Angeles"),
    ("Hugo Silva", "America/Sao_Paulo"),
    ("Ines Costa", "Europe/Lisbon"),
    ("Jonas Berg", "Europe/Oslo"),
    ("Kiri Walker", "Pacific/Auckland"),
    ("Lena Fischer", "Europe/Vienna"),
]
SUCCESS = [
    ("Mateo Rossi", "Europe/Rome"),
    ("Nia Johnson", "America/Chicago"),
    ("Omar Haddad", "Asia/Dubai"),
    ("Paula Novak", "Europe/Prague"),
    ("Quinn Taylor", "America/Denver"),
    ("Rosa Jimenez", "America/Mexico_City"),
    ("Sione Fifita", "Pacific/Tongatapu"),
    ("Tara Singh", "Asia/Kolkata"),
]
ONBOARDING = [
    ("Uma Patel", "Asia/Kolkata"),
    ("Victor Lee", "Asia/Seoul"),
    ("Wanda Nowak", "Europe/Warsaw"),
    ("Xavier Dupont", "Europe/Brussels"),
    ("Yara Haddad", "Asia/Beirut"),
    ("Zoe Martin", "Australia/Sydney"),
]


def _people(prefix: str, people: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    return [(f"U0{prefix}{i:02d}", name, tz) for i, (name, tz) in enumerate(people, start=1)]


def seed(workspace: Workspace) -> Workspace:
    """Fill `workspace` with the demo company (idempotent for a fresh workspace)."""
    for uid, (name, tz) in LEADS.items():
        workspace.add_user(uid, name.split()[0].lower(), real_name=name, tz=tz)
    teams = {
        "support": _people("SUP", SUPPORT),
        "success": _people("SUC", SUCCESS),
        "onboarding": _people("ONB", ONBOARDING),
    }
    for members in teams.values():
        for uid, name, tz in members:
            workspace.add_user(uid, name.split()[0].lower(), real_name=name, tz=tz)
    workspace.add_user("U0HELPERBOT", "helperbot", real_name="Helper Bot", is_bot=True)
    workspace.add_user("U0FORMER", "former", real_name="Former Agent", deleted=True)
    support_ids = [u for u, _, _ in teams["support"]]
    workspace.add_usergroup("S0SUPPORT", "support-team", [*support_ids, "U0HELPERBOT", "U0FORMER"])
    workspace.add_usergroup("S0SUCCESS", "success-team", [u for u, _, _ in teams["success"]])
    onboarding = [u for u, _, _ in teams["onboarding"]]
    workspace.add_channel("C0ONBOARD", "onboarding", [*onboarding, "U0ONBOARDLEAD"])
    workspace.add_channel("C0PEOPLE", "people-team", ["U0HRLEAD"])
    return workspace


def team_members(team: str) -> list[str]:
    """Slack user ids of the people who should receive `team`'s pulse."""
    source = {"support": ("SUP", SUPPORT), "success": ("SUC", SUCCESS)}
    if team == "onboarding":
        return [u for u, _, _ in _people("ONB", ONBOARDING)] + ["U0ONBOARDLEAD"]
    prefix, people = source[team]
    return [u for u, _, _ in _people(prefix, people)]
