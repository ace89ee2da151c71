"""The seeded org: its config.toml, its hidden truth, and the answers and CX values drawn from it.

Each team has a weekly mood (AR(1), so weeks drift like real ones), each person a usual level
and a chance of answering (mean 0.8). Likert and eNPS answers follow team mood + person level.
CSAT follows team mood ``LAG`` weeks earlier in even-numbered teams (r ≈ 0.6 within team) and
is independent of it in odd ones; how people think customers felt follows the same week's
CSAT plus a team optimism bias, so perception gaps exist to find.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

import numpy as np

from insights.cxscales import normalise
from settings.config import AppConfig, parse_config
from storage.cx import CxRow

LAG = 2  # weeks from engagement to CSAT in the planted teams
MOOD_SD = 0.35  # a team's week-to-week swing, in answer points (about 9 points on 0–100)
WORKSPACE = "T0SEED"
SECRET = b"seeded-org-pseudonymisation-key"
PER_DEPARTMENT = 10  # teams per department
Question = tuple[int, str, str]  # (question id, driver, kind)


def _ar1(rng: np.random.Generator, shape: tuple[int, int], phi: float) -> np.ndarray:
    out = rng.standard_normal(shape)
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + np.sqrt(1 - phi**2) * out[:, t]
    return out


@dataclass(frozen=True)
class Truth:
    """Standardised latent state; arrays are indexed by team, person and week."""

    mood: np.ndarray  # team × (weeks + LAG); [:, w + LAG] is week w's
    level: np.ndarray  # team's usual engagement
    bias: np.ndarray  # team's optimism about customers
    person: np.ndarray  # each person's usual answer
    propensity: np.ndarray  # each person's chance of answering a pulse
    csat_z: np.ndarray  # team × weeks

    @classmethod
    def draw(cls, rng: np.random.Generator, teams: int, people: int, weeks: int) -> Truth:
        mood = _ar1(rng, (teams, weeks + LAG), 0.3)
        noise = rng.standard_normal((teams, weeks))
        planted = (np.arange(teams) % 2 == 0)[:, None]
        return cls(
            mood=mood,
            level=rng.normal(0, 0.3, teams),
            bias=rng.normal(0, 0.3, teams),
            person=rng.normal(0, 0.5, people),
            propensity=rng.beta(8, 2, people),
            csat_z=np.where(planted, 0.6 * mood[:, :weeks] + 0.8 * noise, noise),
        )

    def answers(
        self, rng: np.random.Generator, team_of: np.ndarray, week: int, asked: list[Question]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Who answered in ``week`` (person indexes) and their answers, person × question."""
        who = np.flatnonzero(rng.random(len(team_of)) < self.propensity)
        team = team_of[who]
        mine = self.level[team] + MOOD_SD * self.mood[team, week + LAG] + self.person[who]
        values = []
        for _, driver, kind in asked:
            if kind == "nps10":
                v = np.clip(7.0 + 2 * mine + rng.normal(0, 1.6, len(who)), 0, 10)
            elif driver == "perception":
                felt = 3.6 + self.bias[team] + 0.8 * self.csat_z[team, week]
                v = np.clip(felt + rng.normal(0, 0.7, len(who)), 1, 5)
            else:
                v = np.clip(3.6 + mine + rng.normal(0, 0.8, len(who)), 1, 5)
            values.append(np.rint(v).astype(int))
        return who, np.column_stack(values)

    def cx_rows(self, team_ids: list[int], first: dt.date, rng: np.random.Generator) -> list[CxRow]:
        """Weekly CSAT for every team (a quarter of them on 1–5), NPS for every fifth team."""
        teams, weeks = self.csat_z.shape
        csat = np.clip(78 + 6 * rng.standard_normal((teams, 1)) + 5 * self.csat_z, 0, 100)
        nps = np.clip(np.rint(30 + 15 * rng.standard_normal((teams, weeks))), -100, 100)
        sizes = rng.poisson(120, (teams, weeks)) + 1
        rows = []
        for t, w in np.ndindex(teams, weeks):
            scale = "1-5" if t % 4 in (1, 2) else "0-100"
            raw = round(1 + csat[t, w] / 25, 2) if scale == "1-5" else round(float(csat[t, w]), 1)
            series = [("csat", raw, scale)]
            if t % 5 == 0:
                series.append(("nps", float(nps[t, w]), "-100-100"))
            week = first + dt.timedelta(weeks=w)
            for metric, value, name in series:
                norm, _ = normalise(metric, value, name)
                rows.append(CxRow(team_ids[t], metric, week, norm, value, name, int(sizes[t, w])))
        return rows


def config_for(teams: int) -> AppConfig:
    """The config.toml of the seeded org: departments, teams and their linked metrics."""
    depts = [{"key": f"dept-{d:02d}", "name": f"Department {d}"} for d in departments(teams)]
    leaves = [
        {
            "key": f"team-{t:03d}",
            "name": f"Team {t}",
            "usergroup": f"S{t:06d}",
            "parent": f"dept-{t // PER_DEPARTMENT:02d}",
            "cx_metrics": ["csat", "nps"] if t % 5 == 0 else ["csat"],
        }
        for t in range(teams)
    ]
    return parse_config({"teams": depts + leaves}, source="seed")


def departments(teams: int) -> range:
    """Department numbers: one per PER_DEPARTMENT teams."""
    return range((teams + PER_DEPARTMENT - 1) // PER_DEPARTMENT)


def respondent(person: int, pulse_id: int) -> str:
    """The pseudonymous key, built like storage.pseudonym's (a keyed HMAC of person and pulse)."""
    message = f"{WORKSPACE}\x1fU{person:07d}\x1f{pulse_id}".encode()
    return hmac.new(SECRET, message, hashlib.sha256).hexdigest()
