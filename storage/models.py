"""All tables. Times are stored in UTC and come back timezone-aware.

Privacy by construction: `Response` and `Comment` carry a pseudonymous `respondent` key
(keyed HMACs of person and pulse, a different one for each table), never a Slack user id,
no timestamp, and no column that joins them to `Delivery`. While a pulse is open its answers
wait, encrypted, in `Held`, and reach `Response` and `Comment` at close in random order.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC; refuses naive input so local times can never sneak in."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Workspace(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slack_team_id: str = Field(max_length=32, unique=True)
    name: str = Field(default="", max_length=200)


class Team(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    key: str = Field(max_length=64)
    name: str = Field(max_length=80)
    parent_id: int | None = Field(default=None, foreign_key="team.id")
    usergroup: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=32)
    synced_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Employee(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    slack_user_id: str = Field(max_length=32)
    name: str = Field(default="", max_length=200)
    tz: str = Field(default="UTC", max_length=64)
    is_active: bool = True
    opted_out: bool = False
    paused_until: dt.date | None = None
    locale: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    locale_override: str | None = Field(default=None, max_length=16)  # chosen on the Home tab


class Membership(SQLModel, table=True):
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", primary_key=True, index=True)


class Question(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    driver: str = Field(max_length=40)
    kind: str = Field(max_length=10)
    text: str = Field(max_length=200)
    scale: str = Field(default="", max_length=400)  # "|"-joined labels for likert5
    builtin: bool = True
    active: bool = True  # in the bank (built-in or config) right now
    retired: bool = False  # retired by an HR admin from Slack (`/pulse admin retire`)
    # {"fr": {"text": ..., "scale": [...]}, ...} as JSON: the question in other languages
    translations: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})


class Pulse(SQLModel, table=True):
    """One round of questions for a team; `cycle_date` is set for scheduled pulses.

    Sealed at close (storage.seal): `respondents` and `invited` (with the pulse's
    `response_rollup` rows) are what every figure reads; all three are None until then.
    """

    __table_args__ = (
        UniqueConstraint("team_id", "cycle_date", name="uq_pulse_team_cycle"),
        # what figures.store checks at every report: each week's seals, read off the index
        Index(
            "ix_pulse_week_seals",
            "workspace_id",
            "period_start",
            "sealed_at",
            "closes_at",
            "closed_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    cycle_date: dt.date | None = None
    period_start: dt.date = Field(index=True)  # Monday of the week the pulse belongs to
    opened_at: dt.datetime = Field(sa_type=UTCDateTime)
    closes_at: dt.datetime = Field(sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    sealed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    respondents: int | None = None  # people who answered (distinct respondent keys)
    invited: int | None = None  # DMs posted: deliveries neither failed nor skipped
    purged_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)  # raw rows deleted


class PulseQuestion(SQLModel, table=True):
    pulse_id: int = Field(foreign_key="pulse.id", primary_key=True)
    question_id: int = Field(foreign_key="question.id", primary_key=True)
    position: int


class Delivery(SQLModel, table=True):
    """The outbox: one row per pulse and person, claimed by senders."""

    __table_args__ = (
        UniqueConstraint("pulse_id", "employee_id"),
        Index("ix_delivery_status_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pulse_id: int = Field(foreign_key="pulse.id", index=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    status: str = Field(default="pending", max_length=12)  # pending|claimed|sent|failed|skipped
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=200)
    reminder_checked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


def random_id() -> str:
    """Unordered ids for answers: a sequence would leak the order people answered in."""
    return secrets.token_hex(8)


class Response(SQLModel, table=True):
    # The unique index serves lookups by pulse; the covering one lets aggregates read
    # (pulse, question, value) without touching the table.
    __table_args__ = (
        UniqueConstraint("pulse_id", "question_id", "respondent"),
        Index("ix_response_pulse_question_value", "pulse_id", "question_id", "value"),
    )

    id: str = Field(default_factory=random_id, primary_key=True, max_length=16)
    pulse_id: int = Field(foreign_key="pulse.id")
    question_id: int = Field(foreign_key="question.id")
    respondent: str = Field(max_length=64)
    value: int


class Comment(SQLModel, table=True):
    id: str = Field(default_factory=random_id, primary_key=True, max_length=16)
    pulse_id: int = Field(foreign_key="pulse.id", index=True)
    question_id: int | None = Field(default=None, foreign_key="question.id")
    respondent: str = Field(max_length=64, index=True)
    body: str = Field(sa_type=Text)


class Held(SQLModel, table=True):
    """An answer or text to a pulse that is still open, sealed until the close (storage.held).

    `slot` is a keyed HMAC of person, pulse and question: one row per answer, enforced by the
    primary key. `sealed` is AES-GCM ciphertext, padded to a fixed size per kind, of what the
    row holds and of the key it will carry after close. `kind` is "answer", "text" or
    "person" (one empty row per person who took part, so open pulses can be counted).
    On SQLite the table has no rowid: rows lie in slot order, which is random, not in the
    order they arrived (PostgreSQL's heap keeps arrival order: see the README's Privacy).
    """

    __table_args__ = {"sqlite_with_rowid": False}

    slot: str = Field(primary_key=True, max_length=64)
    pulse_id: int = Field(foreign_key="pulse.id", index=True)
    kind: str = Field(max_length=8)
    sealed: bytes = Field(sa_type=LargeBinary)


class CxMetric(SQLModel, table=True):
    __tablename__ = "cx_metric"
    __table_args__ = (UniqueConstraint("team_id", "metric", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    metric: str = Field(max_length=40)
    period_start: dt.date
    value: float  # normalised 0-100
    raw_value: float
    scale: str = Field(default="", max_length=20)
    sample_size: int | None = None
    cadence: str = Field(default="weekly", max_length=10)  # weekly, monthly or quarterly


class CxResponseSeen(SQLModel, table=True):
    """A raw CX response already counted, known only by a 64-bit hash of its id (or row), so
    overlapping exports count each response once; nothing of the response itself is kept."""

    __tablename__ = "cx_response_seen"
    __table_args__ = {"sqlite_with_rowid": False}

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    source: str = Field(primary_key=True, max_length=63)
    key: int = Field(primary_key=True, sa_type=BigInteger)


class SchedulerState(SQLModel, table=True):
    """When each planning job last ran, so downtime can be caught up exactly once."""

    __tablename__ = "scheduler_state"

    key: str = Field(primary_key=True, max_length=64)
    last_run_at: dt.datetime = Field(sa_type=UTCDateTime)


class Commitment(SQLModel, table=True):
    """A manager's promise to act on a driver: shown with the next pulse, followed up after."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    driver: str = Field(max_length=40)
    text: str = Field(max_length=300)
    created_by: str = Field(max_length=32)  # the manager's Slack id: commitments are public
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    announced_pulse_id: int | None = Field(default=None, foreign_key="pulse.id")
    followup_pulse_id: int | None = Field(default=None, foreign_key="pulse.id")
    followup_question_id: int | None = Field(default=None, foreign_key="question.id")
    celebrated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Cocreated(SQLModel, table=True):
    """A manager's two or three proposed actions for one driver; the team chooses in its next
    pulse (one `choice` question, answered like any question), and at the close the tally is
    sealed here: counts per option, never who chose what. The next pulse after makes the
    winner a `Commitment` (when k or more chose)."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    driver: str = Field(max_length=40)
    options: str = Field(sa_type=Text)  # JSON list of 2-3 action texts, in the proposed order
    created_by: str = Field(max_length=32)  # the manager's Slack id: proposals are public
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    vote_pulse_id: int | None = Field(default=None, foreign_key="pulse.id")
    vote_question_id: int | None = Field(default=None, foreign_key="question.id")
    tally: str | None = Field(default=None, max_length=200)  # JSON counts per option, at close
    commitment_id: int | None = Field(default=None, foreign_key="commitment.id")
    decided: bool = False  # the winner became a commitment, or too few chose


class SentDigest(SQLModel, table=True):
    """The HR digest goes out once per workspace and week, however often the job runs."""

    __tablename__ = "sent_digest"
    __table_args__ = (UniqueConstraint("workspace_id", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    period_start: dt.date
    sent_at: dt.datetime = Field(sa_type=UTCDateTime)


class SentAlert(SQLModel, table=True):
    """A red flag is announced to the team's manager and HR once, not every time it is seen."""

    __tablename__ = "sent_alert"
    __table_args__ = (UniqueConstraint("team_id", "period_start", "kind", "driver"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    period_start: dt.date
    kind: str = Field(max_length=40)
    driver: str = Field(default="", max_length=40)
    sent_at: dt.datetime = Field(sa_type=UTCDateTime)


class ResponseRollup(SQLModel, table=True):
    """A sealed pulse's answers summed per question (storage.seal); figures read only these.

    The raw `response` rows stay until retention deletes them; these sums stay for good.
    """

    __tablename__ = "response_rollup"

    pulse_id: int = Field(foreign_key="pulse.id", primary_key=True)
    question_id: int = Field(foreign_key="question.id", primary_key=True)
    n: int
    total: int
    total_sq: int
    favourable: int  # answers 4-5 (likert)
    promoters: int  # answers 9-10 (0-10 scale)
    detractors: int  # answers 0-6 (0-10 scale)


class ClosedDm(SQLModel, table=True):
    """The outbox of closing DMs: one `chat.update` per sent DM of a closed pulse, ever.

    Keyed by the delivery, so a DM can be queued to show its pulse closed only once.
    """

    __tablename__ = "closed_dm"
    __table_args__ = (Index("ix_closed_dm_status_due", "status", "next_attempt_at"),)

    delivery_id: int = Field(foreign_key="delivery.id", primary_key=True)
    pulse_id: int = Field(foreign_key="pulse.id", index=True)
    status: str = Field(default="pending", max_length=12)  # pending|claimed|done|failed
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=200)


class FigureWeek(SQLModel, table=True):
    """One week of guarded figures kept ready (figures.store), for one basis (tree, k, drivers).

    ``sealed`` and ``last_sealed`` are the week's sealed pulses when the figures were built:
    a reader uses the week only while they still match, so a pulse sealed later makes the
    week's figures stale until the worker builds them again. ``cutoff`` is the red flags'
    bottom-decile cutoff over the week's shown leaf engagement-driver cells (None: no cell).
    """

    __tablename__ = "figure_week"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    basis: str = Field(primary_key=True, max_length=16)
    period: dt.date = Field(primary_key=True)
    sealed: int
    last_sealed: dt.datetime = Field(sa_type=UTCDateTime)
    cutoff: float | None = None


class FigureNode(SQLModel, table=True):
    """A node's (team, department or org) guarded week: figures.pipeline.Figures.scores.

    Figures the one rule hides are stored as NULL, as the pipeline leaves them NaN; ``own``
    says the node's own members answered that week and ``mix`` fingerprints which stored
    teams below it answered (a change is only compared like for like)."""

    __tablename__ = "figure_node"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    basis: str = Field(primary_key=True, max_length=16)
    node: str = Field(primary_key=True, max_length=64)
    period: dt.date = Field(primary_key=True)
    shown: bool
    own: bool
    mix: str = Field(max_length=16)
    respondents: int | None = None
    invited: int | None = None
    participation: float | None = None
    engagement: float | None = None
    engagement_se: float | None = None
    favourable_pct: float | None = None
    enps: float | None = None
    enps_n: int = 0


class FigureDriver(SQLModel, table=True):
    """A node's guarded driver cell of one week: figures.pipeline.Figures.drivers."""

    __tablename__ = "figure_driver"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    basis: str = Field(primary_key=True, max_length=16)
    node: str = Field(primary_key=True, max_length=64)
    period: dt.date = Field(primary_key=True)
    driver: str = Field(primary_key=True, max_length=40)
    shown: bool
    n: int
    score: float | None = None
    se: float | None = None
    favourable_pct: float | None = None


class FigureReport(SQLModel, table=True):
    """A team report's figures worked out ahead (figures.ready), named by the token of what
    they rest on; JSON of figures already guarded, nothing finer than a report shows."""

    __tablename__ = "figure_report"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    token: str = Field(primary_key=True, max_length=32)
    node: str = Field(max_length=64)
    made_at: dt.datetime = Field(sa_type=UTCDateTime)
    body: str = Field(sa_type=Text)


class ConversationMessage(SQLModel, table=True):
    """One message of a conversation about an anonymous comment (storage.conversations).

    No Slack id of the comment's author anywhere: the bot finds the author by recomputing
    the comment's key for each person the pulse was sent to. An author's reply is not here
    until the relay (jobs.relay) moves it from `conversation_held`, stamped with the relay's
    fixed time. On SQLite the table has no rowid: rows lie in the order of their random ids.
    """

    __tablename__ = "conversation_message"
    __table_args__ = (UniqueConstraint("comment_id", "seq"), {"sqlite_with_rowid": False})

    id: str = Field(default_factory=random_id, primary_key=True, max_length=16)
    comment_id: str = Field(max_length=16, index=True)  # no foreign key: see storage.release
    seq: int  # order in the thread: the order messages were written or relayed
    side: str = Field(max_length=8)  # "manager" | "author"
    manager_id: str | None = Field(default=None, max_length=32)  # managers are not anonymous
    revealed_name: str | None = Field(default=None, max_length=200)  # the author chose to sign
    body: str = Field(sa_type=Text)
    at: dt.datetime = Field(sa_type=UTCDateTime)


class ConversationHeld(SQLModel, table=True):
    """An author's reply waiting for the relay: no time, and no place among the thread's
    messages; `turn` only orders one thread's waiting replies (1, 2, … since the last relay).
    Random ids and, on SQLite, no rowid, so rows do not lie in the order they arrived; the
    relay deletes them (see the README's Privacy for PostgreSQL's heap)."""

    __tablename__ = "conversation_held"
    __table_args__ = (UniqueConstraint("comment_id", "turn"), {"sqlite_with_rowid": False})

    id: str = Field(default_factory=random_id, primary_key=True, max_length=16)
    comment_id: str = Field(max_length=16)  # first column of the unique (comment_id, turn)
    turn: int
    revealed_name: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_type=Text)


class InboxState(SQLModel, table=True):
    """What one manager (or HR admin) has read of a comment's thread, and its label."""

    __tablename__ = "inbox_state"

    comment_id: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=32)
    read_seq: int = 0  # the thread's last message when they last opened it


class CommentLabel(SQLModel, table=True):
    """A label a team's managers put on a comment (shared by everyone who may see it)."""

    __tablename__ = "comment_label"

    comment_id: str = Field(primary_key=True, max_length=16)
    label: str = Field(max_length=20)


class PersonSegment(SQLModel, table=True):
    """A person's value of one segment attribute (`pulse people import`), as HR declared it:
    a value of ``[[segments]]`` or, for a banded attribute, the month they started (YYYY-MM).

    Keyed by Slack user id (people may be imported before a team sync finds them). It is HR
    data about a person, never joined to an answer: only the sealed per-pulse sums below are.
    """

    __tablename__ = "person_segment"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    slack_user_id: str = Field(primary_key=True, max_length=32)
    attribute: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=40)


class SegmentSeal(SQLModel, table=True):
    """A sealed pulse's segment sums (storage.segment_seal) were written for this seal and
    this segment config (``spec``); anything else means they are stale and not read.
    ``atoms``: the pulse's respondents counted by their cells of every attribute at once,
    AES-GCM under a key from PULSE_SECRET (a database copy alone shows no joint count).
    ``values_then``: the invited people's values when the pulse was first sealed, encrypted
    alike: a re-seal (new config) cuts the pulse by them, never by later imports."""

    __tablename__ = "segment_seal"

    pulse_id: int = Field(foreign_key="pulse.id", primary_key=True)
    sealed_at: dt.datetime = Field(sa_type=UTCDateTime)
    spec: str = Field(max_length=16)
    atoms: bytes | None = Field(default=None, sa_type=LargeBinary)
    values_then: bytes | None = Field(default=None, sa_type=LargeBinary)


class SegmentCount(SQLModel, table=True):
    """Per sealed pulse, attribute and value: invited people and respondents. A value fewer
    than k of the pulse's invited people share is counted under "other"."""

    __tablename__ = "segment_count"

    pulse_id: int = Field(foreign_key="pulse.id", primary_key=True)
    attribute: str = Field(primary_key=True, max_length=64)
    value: str = Field(primary_key=True, max_length=40)
    invited: int
    respondents: int


class SegmentRollup(SQLModel, table=True):
    """ResponseRollup's sums for one attribute value of a sealed pulse (same columns)."""

    __tablename__ = "segment_rollup"

    pulse_id: int = Field(foreign_key="pulse.id", primary_key=True)
    attribute: str = Field(primary_key=True, max_length=64)
    value: str = Field(primary_key=True, max_length=40)
    question_id: int = Field(foreign_key="question.id", primary_key=True)
    n: int
    total: int
    total_sq: int
    favourable: int
    promoters: int
    detractors: int
