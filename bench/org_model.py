"""The seeded org (config, planted truth), shipped in cli.org_model with `pulse seed`."""

from __future__ import annotations

from cli.org_model import (
    LAG,
    MOOD_SD,
    PER_DEPARTMENT,
    SECRET,
    WORKSPACE,
    Question,
    Truth,
    config_for,
    departments,
    respondent,
)

__all__ = [
    "LAG",
    "MOOD_SD",
    "PER_DEPARTMENT",
    "SECRET",
    "WORKSPACE",
    "Question",
    "Truth",
    "config_for",
    "departments",
    "respondent",
]
