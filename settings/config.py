"""The `config.toml` schema: what HR and the operator configure, validated at start.

Every key is declared here; an unknown key, a wrong type or an inconsistent team tree
stops the start with a `ConfigError` that names the key and what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from settings.i18n import DEFAULT, LANGUAGES

USER_ID = r"^[UW][A-Z0-9]{2,}$"
CHANNEL_ID = r"^[CG][A-Z0-9]{2,}$"
USERGROUP_ID = r"^S[A-Z0-9]{2,}$"
TEAM_KEY = r"^[a-z0-9][a-z0-9_-]{0,62}$"
METRIC = r"^[a-z][a-z0-9_]{0,39}$"


class ConfigError(ValueError):
    """config.toml is unusable; the message names the key and what was expected."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PrivacyConfig(_Strict):
    min_group_size: Annotated[int, Field(ge=3, le=1000)] = 5
    # Fold raw answers into per-question sums this many days after a pulse closes, then
    # delete them and its comments; None keeps raw answers (people can still erase theirs).
    retention_days: Annotated[int, Field(ge=14, le=3650)] | None = None


Cadence = Literal["weekly", "biweekly", "monthly"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri"]


def _check_clock(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError('expected a 24-hour time like "10:00"')
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("expected a time zone name from the tz database") from None
    return value


def _check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"expected one of the languages {', '.join(LANGUAGES)}")
    return value


class HRConfig(_Strict):
    admins: list[Annotated[str, Field(pattern=USER_ID)]] = []
    digest_channel: Annotated[str, Field(pattern=CHANNEL_ID)] | None = None
    digest_day: Weekday = "mon"  # the weekly digest goes out on this day ...
    digest_time: str = "09:00"  # ... at this local time ...
    digest_timezone: str = "UTC"  # ... in this IANA time zone
    alerts: bool = True  # DM red flags to the team's managers and HR, once per flag
    locale: str = DEFAULT  # the language of the digest and alerts: one of settings.i18n's

    _clock = field_validator("digest_time")(_check_clock)
    _zone = field_validator("digest_timezone")(_check_timezone)
    _locale = field_validator("locale")(_check_language)


class ScheduleOverride(_Strict):
    """A team's own schedule; unset keys fall back to [pulse]."""

    cadence: Cadence | None = None
    weekday: Weekday | None = None
    local_time: str | None = None
    open_hours: Annotated[int, Field(ge=1, le=24 * 14)] | None = None
    reminder_hours: Annotated[int, Field(ge=0, le=24 * 13)] | None = None

    _clock = field_validator("local_time")(_check_clock)


class PulseConfig(_Strict):
    """How each team's pulse runs (defaults for every team)."""

    cadence: Cadence = "weekly"
    weekday: Weekday = "tue"
    local_time: str = "10:00"
    open_hours: Annotated[int, Field(ge=1, le=24 * 14)] = 72
    reminder_hours: Annotated[int, Field(ge=0, le=24 * 13)] = 24
    holidays: list[dt.date] = []
    questions_per_pulse: Annotated[int, Field(ge=3, le=5)] = 4
    enps_every: Annotated[int, Field(ge=0, le=52)] = 4

    _clock = field_validator("local_time")(_check_clock)


class DeliveryConfig(_Strict):
    """The DM sender: stay at, not above, the workspace's Slack rate ceiling."""

    rate_per_second: Annotated[float, Field(gt=0, le=1000)] = 20.0
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4


class QuestionTranslation(_Strict):
    """A custom question in another language: its text, and its scale when it has its own."""

    text: Annotated[str, Field(min_length=3, max_length=150)]
    scale: list[str] | None = None


class CustomQuestion(_Strict):
    key: str
    driver: str
    text: Annotated[str, Field(min_length=3, max_length=150)]
    kind: Literal["likert5", "nps10", "text"] = "likert5"
    scale: list[str] | None = None
    # [questions.custom.translations.fr] text = "..."; a language left out reads English
    translations: dict[str, QuestionTranslation] = {}

    @field_validator("translations")
    @classmethod
    def _languages(cls, value: dict[str, QuestionTranslation]) -> dict[str, QuestionTranslation]:
        for lang in value:
            if lang == DEFAULT:
                raise ValueError("the question's own text is its English text")
            _check_language(lang)
        return value


class QuestionsConfig(_Strict):
    custom: list[CustomQuestion] = []
    retired: list[str] = []


class TeamConfig(_Strict):
    key: Annotated[str, Field(pattern=TEAM_KEY)]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    usergroup: Annotated[str, Field(pattern=USERGROUP_ID)] | None = None
    channel: Annotated[str, Field(pattern=CHANNEL_ID)] | None = None
    managers: list[Annotated[str, Field(pattern=USER_ID)]] = []
    parent: str | None = None
    cx_metrics: list[Annotated[str, Field(pattern=METRIC)]] = []
    schedule: ScheduleOverride | None = None
    celebrate: bool = False  # post a short celebration to `channel` when a commitment is kept


Period = Literal["weekly", "monthly", "quarterly"]
CxWeekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Preset = Literal["ticket_satisfaction", "nps_survey", "csat_survey"]
PRESET_METRIC = {"ticket_satisfaction": "csat", "nps_survey": "nps", "csat_survey": "csat"}


class CxMetricConfig(_Strict):
    """How one CX metric's series is cut: weekly (weeks starting ``week_starts``), monthly or
    quarterly. A metric not declared is weekly from Monday, as before periods existed."""

    period: Period = "weekly"
    week_starts: CxWeekday = "mon"


class CxSourceConfig(_Strict):
    """A CX tool's per-response export, aggregated on import (``pulse cx import --responses``).

    ``preset`` fixes how a score is read (cx.responses.PRESETS); the columns name the file's
    header cells; ``teams`` maps the team column's values (a queue, group, region) to team keys.
    """

    name: Annotated[str, Field(pattern=TEAM_KEY)]
    preset: Preset
    metric: Annotated[str, Field(pattern=METRIC)] | None = None  # default: the preset's
    date_column: Annotated[str, Field(min_length=1)]
    date_format: str | None = None  # strptime format; default ISO 8601 (date or timestamp)
    timezone: str = "UTC"  # naive timestamps are read in it, and days are cut in it
    score_column: Annotated[str, Field(min_length=1)]
    id_column: str | None = None  # without it, a response is known by a hash of its row
    team_column: Annotated[str, Field(min_length=1)]
    teams: dict[str, Annotated[str, Field(pattern=TEAM_KEY)]]
    unmapped: Literal["refuse", "skip"] = "refuse"  # rows of a group not in ``teams``

    _zone = field_validator("timezone")(_check_timezone)

    @property
    def metric_name(self) -> str:
        return self.metric or PRESET_METRIC[self.preset]


class CxConfig(_Strict):
    metrics: dict[Annotated[str, Field(pattern=METRIC)], CxMetricConfig] = {}
    sources: list[CxSourceConfig] = []

    def period_of(self, metric: str) -> CxMetricConfig:
        return self.metrics.get(metric, CxMetricConfig())

    def source(self, name: str) -> CxSourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)


SEGMENT_VALUE = r"^[a-z0-9][a-z0-9_-]{0,39}$"
OTHER = "other"  # a value fewer than k of a pulse's invited people share is sealed as this


class SegmentConfig(_Strict):
    """An attribute of people that figures may be cut by (`[[segments]]`), e.g. the layer by
    proximity to the customer. Either ``values`` (what `pulse people import` accepts) or
    ``bands`` (months since a start date: ``[6, 12, 36]`` gives 0-6, 6-12, 12-36, 36+)."""

    key: Annotated[str, Field(pattern=TEAM_KEY)]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    values: list[Annotated[str, Field(pattern=SEGMENT_VALUE)]] = []
    bands: list[Annotated[int, Field(ge=1, le=1200)]] = []
    link: bool = False  # the digest's EX↔CX link cut by this attribute's values (the layer)
    # a Slack profile custom field (users.profile.get) read at team sync, e.g. "Xf01LAYER"
    slack_field: Annotated[str, Field(pattern=r"^Xf[A-Z0-9]{2,}$")] | None = None

    def labels(self) -> list[str]:
        """Every value a sealed cut may carry, in report order (``other`` last)."""
        if not self.bands:
            return [*self.values, OTHER]
        edges = [0, *self.bands]
        spans = [f"{lo}-{hi}m" for lo, hi in pairwise(edges)]
        return [*spans, f"{edges[-1]}m+", OTHER]

    def parse(self, text: str, today: dt.date) -> tuple[str | None, str]:
        """What to store for ``text`` (None clears it) and, when it cannot be, why not:
        one of ``values`` (any case), or for bands a start date (YYYY-MM-DD or YYYY-MM),
        kept as its month."""
        text = text.strip()
        if not text:
            return None, ""
        if self.bands:
            match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
            try:
                start = dt.date(int(match[1]), int(match[2]), int(match[3] or 1)) if match else None
            except ValueError:
                start = None
            if start is None:
                return None, f"{text!r} is not a start date (YYYY-MM-DD or YYYY-MM)"
            if start > today:
                return None, f"{text!r} is in the future"
            return f"{start:%Y-%m}", ""
        if text.lower() in self.values:
            return text.lower(), ""
        return None, f"{text!r} is not a value of {self.key} ({', '.join(self.values)})"

    def band(self, start: dt.date, on: dt.date) -> str:
        """The tenure band of someone who started on ``start``, on day ``on``."""
        months = (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)
        labels = self.labels()
        for i, edge in enumerate(self.bands):
            if months < edge:
                return labels[i]
        return labels[len(self.bands)]


_TEAM_INDEX = "_team_index"  # AppConfig.team's key -> team, in the instance's __dict__


class AppConfig(_Strict):
    privacy: PrivacyConfig = PrivacyConfig()
    hr: HRConfig = HRConfig()
    pulse: PulseConfig = PulseConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    questions: QuestionsConfig = QuestionsConfig()
    teams: list[TeamConfig] = []
    cx: CxConfig = CxConfig()
    segments: list[SegmentConfig] = []

    def segment(self, key: str) -> SegmentConfig | None:
        return next((s for s in self.segments if s.key == key), None)

    def team(self, key: str) -> TeamConfig | None:
        """The team with this key: a dict lookup (config.toml may list thousands of teams).

        The index is built on first use and kept in the instance's ``__dict__`` beside the
        ``teams`` list it indexes (not a field: equality, dumps and hashing ignore it); a
        model_copy that replaces ``teams`` carries a new list, so its index is rebuilt."""
        index = self.__dict__.get(_TEAM_INDEX)
        if index is None or index[0] is not self.teams:
            by_key: dict[str, TeamConfig] = {}
            for team in self.teams:
                by_key.setdefault(team.key, team)  # the first, as a scan would find
            index = self.__dict__[_TEAM_INDEX] = (self.teams, by_key)
        found: TeamConfig | None = index[1].get(key)
        return found

    def ancestors(self, key: str) -> list[str]:
        """Keys of the team's parents, nearest first."""
        chain: list[str] = []
        team = self.team(key)
        while team is not None and team.parent is not None and team.parent not in chain:
            chain.append(team.parent)
            team = self.team(team.parent)
        return chain


def parse_config(data: dict[str, Any], *, source: str = "config.toml") -> AppConfig:
    """Validate a parsed TOML document; raise ConfigError naming the first bad key."""
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, source)) from None
    _check_team_tree(config, source)
    _check_reminders(config, source)
    _check_cx_sources(config, source)
    _check_segments(config, source)
    return config


def load_config(path: Path) -> AppConfig:
    if not path.exists():
        raise ConfigError(f"{path}: file not found (set PULSE_CONFIG or create it)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, source=str(path))


def _describe(exc: ValidationError, data: dict[str, Any], source: str) -> str:
    err = exc.errors()[0]
    loc = err["loc"]
    name = _loc_name(loc, data)
    if err["type"] == "extra_forbidden":
        parent = loc[:-1]
        model = _model_at(parent)
        known = ", ".join(model.model_fields) if model else ""
        return f"{source}: unknown key '{name}'" + (f" (known keys here: {known})" if known else "")
    if err["type"] == "missing":
        return f"{source}: '{name}' is required"
    got = err.get("input")
    shown = f" (got {got!r})" if not isinstance(got, dict | list) else ""
    return f"{source}: '{name}': {err['msg'].lower()}{shown}"


def _loc_name(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            label = f"[{part}]"
            if loc[:i] == ("teams",):
                teams = data.get("teams") or []
                if part < len(teams) and isinstance(teams[part], dict) and "key" in teams[part]:
                    label = f"[{part}] ({teams[part]['key']!r})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = AppConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model


def _check_team_tree(config: AppConfig, source: str) -> None:
    """Keys unique, parents exist without cycles, every leaf team has a member source."""
    seen: set[str] = set()
    for i, team in enumerate(config.teams):
        if team.key in seen:
            raise ConfigError(f"{source}: 'teams[{i}].key': duplicate team key {team.key!r}")
        seen.add(team.key)
    for i, team in enumerate(config.teams):
        where = f"{source}: 'teams[{i}] ({team.key!r}).parent'"
        if team.parent is not None and team.parent not in seen:
            raise ConfigError(f"{where}: no team has key {team.parent!r}")
        if team.parent is not None and team.key in config.ancestors(team.key):
            raise ConfigError(f"{where}: parents form a cycle")
    parents = {t.parent for t in config.teams if t.parent is not None}
    for i, team in enumerate(config.teams):
        where = f"{source}: 'teams[{i}] ({team.key!r})"
        if team.usergroup is None and team.channel is None and team.key not in parents:
            raise ConfigError(
                f"{where}': no member source; set 'usergroup' (a Slack user group id like "
                "S0SUPPORT) or 'channel' (a channel id like C0SUPPORT); only a parent team "
                "may have neither"
            )
        if team.usergroup is not None and team.channel is not None:
            raise ConfigError(f"{where}': set either 'usergroup' or 'channel', not both")
        if team.celebrate and team.channel is None:
            raise ConfigError(
                f"{where}.celebrate': celebrations are posted to the team's 'channel', and "
                "this team has none (a user-group or parent team): leave 'celebrate' off; "
                "its kept commitments are still listed in the HR digest's wins"
            )


def _check_reminders(config: AppConfig, source: str) -> None:
    for i, team in enumerate(config.teams):
        over = team.schedule
        open_hours = (
            over.open_hours if over and over.open_hours else None
        ) or config.pulse.open_hours
        reminder = over.reminder_hours if over and over.reminder_hours is not None else None
        reminder = config.pulse.reminder_hours if reminder is None else reminder
        if reminder >= open_hours:
            raise ConfigError(
                f"{source}: 'teams[{i}] ({team.key!r})': reminder_hours ({reminder}) must be "
                f"less than open_hours ({open_hours}), or 0 for no reminder"
            )


def _check_cx_sources(config: AppConfig, source: str) -> None:
    """Source names unique; every mapped team exists and is linked to the source's metric."""
    names: set[str] = set()
    for i, cx_source in enumerate(config.cx.sources):
        where = f"{source}: 'cx.sources[{i}] ({cx_source.name!r})"
        if cx_source.name in names:
            raise ConfigError(f"{where}.name': duplicate source name")
        names.add(cx_source.name)
        if not cx_source.teams:
            raise ConfigError(f"{where}.teams': map at least one value to a team key")
        metric = cx_source.metric_name
        for value, key in cx_source.teams.items():
            team = config.team(key)
            if team is None:
                raise ConfigError(f"{where}.teams.{value}': no team has key {key!r}")
            if metric not in team.cx_metrics:
                raise ConfigError(
                    f"{where}.teams.{value}': team {key!r} is not linked to {metric!r} "
                    "(add it to the team's cx_metrics)"
                )


def _check_segments(config: AppConfig, source: str) -> None:
    """Keys unique; each attribute has values (unique, not "other") or rising bands."""
    seen: set[str] = set()
    for i, seg in enumerate(config.segments):
        where = f"{source}: 'segments[{i}] ({seg.key!r})"
        if seg.key in seen:
            raise ConfigError(f"{where}.key': duplicate segment key")
        seen.add(seg.key)
        if bool(seg.values) == bool(seg.bands):
            raise ConfigError(
                f'{where}\': set either \'values\' (e.g. ["frontline", "support"]) or '
                "'bands' (months since a start date, e.g. [6, 12, 36]), not both or neither"
            )
        if OTHER in seg.values:
            raise ConfigError(f"{where}.values': {OTHER!r} is kept for small groups")
        if len(set(seg.values)) != len(seg.values):
            raise ConfigError(f"{where}.values': a value is listed twice")
        if seg.bands and seg.bands != sorted(set(seg.bands)):
            raise ConfigError(f"{where}.bands': months must rise, e.g. [6, 12, 36]")
