"""Runtime settings: the operator contract's environment variables plus config.toml.

`Settings.from_env()` validates everything once at start, so a misconfiguration stops the
process with one sentence naming the variable or key, never a stack trace at first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from insights.questions import QuestionBank, QuestionBankError, load_bank
from settings.config import AppConfig, ConfigError, load_config

SLACK_API_DEFAULT = "https://slack.com/api/"
MIN_SECRET_LENGTH = 16


class SettingsError(ValueError):
    """The environment is unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    config: AppConfig
    config_path: Path
    bank: QuestionBank
    database_url: str
    slack_api_url: str
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    pulse_secret: str | None = None
    cx_api_token: str | None = None
    port: int = 3000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        path = config_path(env)
        try:
            config = load_config(path)
        except ConfigError as exc:
            raise SettingsError(str(exc)) from None
        try:
            bank = load_bank().with_overrides(
                [q.model_dump(exclude_none=True) for q in config.questions.custom],
                list(config.questions.retired),
            )
        except QuestionBankError as exc:
            raise SettingsError(f"{path}: [questions] {exc}") from None
        port_text = env.get("PORT") or "3000"
        if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
            raise SettingsError(f"PORT must be a TCP port number, got {port_text!r}")
        api_url = env.get("SLACK_API_URL") or SLACK_API_DEFAULT
        if not api_url.startswith(("http://", "https://")):
            raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")
        return cls(
            config=config,
            config_path=path,
            bank=bank,
            database_url=normalise_database_url(env.get("DATABASE_URL") or ""),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            pulse_secret=env.get("PULSE_SECRET") or None,
            cx_api_token=env.get("PULSE_CX_TOKEN") or None,
            port=int(port_text),
        )

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    def require_slack(self, *, http: bool) -> None:
        """Fail fast when the process cannot talk to Slack."""
        if not self.slack_bot_token:
            raise SettingsError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)")
        if http and not self.slack_signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set (Basic Information → Signing Secret); "
                "or set SLACK_APP_TOKEN to use Socket Mode"
            )

    def segment_secret(self) -> bytes | None:
        """The key segment figures open their sealed atoms with (figures.segment_audit);
        None when PULSE_SECRET is not set: then no segment cell is shown."""
        return self.secret() if self.pulse_secret else None

    def secret(self) -> bytes:
        """The pseudonymisation key; required wherever answers are written or matched."""
        if not self.pulse_secret:
            raise SettingsError(
                "PULSE_SECRET is not set: generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` and keep it "
                "stable (changing it stops employees editing answers to open pulses)"
            )
        if len(self.pulse_secret) < MIN_SECRET_LENGTH:
            raise SettingsError(f"PULSE_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        return self.pulse_secret.encode()


def config_path(env: Mapping[str, str]) -> Path:
    """PULSE_CONFIG, else config.toml in the working directory."""
    return Path(env.get("PULSE_CONFIG") or "config.toml")


def normalise_database_url(url: str) -> str:
    """Accept URLs as hosting providers hand them out; default to ./pulse.db (SQLite)."""
    if not url:
        return "sqlite:///" + str(Path("pulse.db").resolve())
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+", "sqlite:")):
        return url
    raise SettingsError(
        f"DATABASE_URL must be a postgres:// or sqlite:/// URL, got {url.split(':', 1)[0]}://..."
    )
