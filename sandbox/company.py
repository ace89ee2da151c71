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
    "U0BILLINGLEAD": ("Jonah Adeyemi", "Africa/Lagos"),
    "U0RENEWLEAD": ("Carmen Vidal", "Europe/Madrid"),
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


BILLING = [
    ("Aiko Sato", "Asia/Tokyo"),
    ("Bruno Lima", "America/Sao_Paulo"),
    ("Clara Weber", "Europe/Berlin"),
    ("Dev Malhotra", "Asia/Kolkata"),
    ("Elif Kaya", "Europe/Istanbul"),
    ("Femi Okoro", "Africa/Lagos"),
    ("Gwen Hughes", "Europe/London"),
    ("Hamid Karimi", "Asia/Dubai"),
    ("Isla Campbell", "Europe/London"),
    ("Jin Park", "Asia/Seoul"),
    ("Kofi Mensah", "Africa/Accra"),
    ("Lucia Romano", "Europe/Rome"),
    ("Mia Jensen", "Europe/Copenhagen"),
    ("Nikhil Rao", "Asia/Kolkata"),
]
RENEWALS = [
    ("Olga Petrova", "Europe/Helsinki"),
    ("Pedro Alves", "Europe/Lisbon"),
    ("Quentin Moreau", "Europe/Paris"),
    ("Rania Aziz", "Africa/Cairo"),
    ("Sven Larsen", "Europe/Oslo"),
    ("Tomas Novak", "Europe/Prague"),
    ("Ursula Meyer", "Europe/Zurich"),
    ("Vera Ilic", "Europe/Belgrade"),
    ("Will Carter", "America/Toronto"),
    ("Xin Li", "Asia/Shanghai"),
    ("Yusuf Demir", "Europe/Istanbul"),
    ("Zara Ahmed", "Asia/Karachi"),
    ("Aroha Ngata", "Pacific/Auckland"),
    ("Ben Cohen", "America/New_York"),
]


# Demo people who read Slack in another language than English (everyone else: en-US). Some
# read it in a language without a catalog, and so read the bot in English. Only billing and
# renewals: tests read the support, success and onboarding teams and the leads in English.
LOCALES = {
    "U0BIL03": "de-DE",  # Clara Weber, Berlin
    "U0BIL12": "it-IT",  # Lucia Romano, Rome: no Italian catalog, so English
    "U0REN02": "pt-PT",  # Pedro Alves, Lisbon: no Portuguese catalog, so English
    "U0REN03": "fr-FR",  # Quentin Moreau, Paris
    "U0REN07": "de-CH",  # Ursula Meyer, Zurich
    "U0REN08": "es-ES",  # Vera Ilic
    "U0REN09": "fr-CA",  # Will Carter, Toronto
}


def _people(prefix: str, people: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    return [(f"U0{prefix}{i:02d}", name, tz) for i, (name, tz) in enumerate(people, start=1)]


def seed(workspace: Workspace) -> Workspace:
    """Fill `workspace` with the demo company (idempotent for a fresh workspace)."""
    for uid, (name, tz) in LEADS.items():
        locale = LOCALES.get(uid, "en-US")
        workspace.add_user(uid, name.split()[0].lower(), real_name=name, tz=tz, locale=locale)
    teams = {
        "support": _people("SUP", SUPPORT),
        "success": _people("SUC", SUCCESS),
        "onboarding": _people("ONB", ONBOARDING),
        "billing": _people("BIL", BILLING),
        "renewals": _people("REN", RENEWALS),
    }
    for members in teams.values():
        for uid, name, tz in members:
            locale = LOCALES.get(uid, "en-US")
            workspace.add_user(uid, name.split()[0].lower(), real_name=name, tz=tz, locale=locale)
    workspace.add_user("U0HELPERBOT", "helperbot", real_name="Helper Bot", is_bot=True)
    workspace.add_user("U0FORMER", "former", real_name="Former Agent", deleted=True)
    support_ids = [u for u, _, _ in teams["support"]]
    workspace.add_usergroup("S0SUPPORT", "support-team", [*support_ids, "U0HELPERBOT", "U0FORMER"])
    workspace.add_usergroup("S0SUCCESS", "success-team", [u for u, _, _ in teams["success"]])
    onboarding = [u for u, _, _ in teams["onboarding"]]
    workspace.add_channel("C0ONBOARD", "onboarding", [*onboarding, "U0ONBOARDLEAD"])
    workspace.add_usergroup("S0BILLING", "billing-team", [u for u, _, _ in teams["billing"]])
    workspace.add_channel(
        "C0RENEWALS", "renewals", [*(u for u, _, _ in teams["renewals"]), "U0RENEWLEAD"]
    )
    workspace.add_channel("C0PEOPLE", "people-team", ["U0HRLEAD", workspace.bot_user_id])
    return workspace


def team_members(team: str) -> list[str]:
    """Slack user ids of the people who should receive `team`'s pulse."""
    source = {
        "support": ("SUP", SUPPORT),
        "success": ("SUC", SUCCESS),
        "billing": ("BIL", BILLING),
    }
    if team == "onboarding":
        return [u for u, _, _ in _people("ONB", ONBOARDING)] + ["U0ONBOARDLEAD"]
    if team == "renewals":
        return [u for u, _, _ in _people("REN", RENEWALS)] + ["U0RENEWLEAD"]
    prefix, people = source[team]
    return [u for u, _, _ in _people(prefix, people)]


# Segments (config.toml [[segments]]): each team's layer by proximity to the customer and
# persona, as (how many, layer, persona) runs in member order; start dates spread over years.
PROFILES = {
    "support": [(7, "frontline", "advisor"), (5, "support", "specialist")],
    "success": [(8, "frontline", "advisor")],
    "onboarding": [(6, "support", "specialist")],
    "billing": [(9, "back-office", "analyst"), (5, "support", "specialist")],
    "renewals": [(7, "frontline", "advisor"), (7, "back-office", "analyst")],
}


def people_csv() -> str:
    """HR's file for `pulse people import`: every member's layer, persona and start date."""
    rows = ["slack_user_id,layer,persona,tenure"]
    for team, runs in PROFILES.items():
        members = team_members(team)
        at = 0
        for count, layer, persona in runs:
            for uid in members[at : at + count]:
                i = len(rows)
                start = f"{2016 + i * 7 % 10}-{1 + i * 5 % 12:02d}-{1 + i * 3 % 27:02d}"
                rows.append(f"{uid},{layer},{persona},{start}")
            at += count
    return "\n".join(rows) + "\n"
