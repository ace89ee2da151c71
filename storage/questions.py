"""The question table mirrors the bank (built-in plus config), keeping ids stable by key."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Protocol

from sqlmodel import Session, col, select

from storage.models import Pulse, PulseQuestion, Question


class QuestionLike(Protocol):
    """What the table needs of a question (insights.questions.QuestionSpec has it)."""

    @property
    def key(self) -> str: ...
    @property
    def driver(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def scale(self) -> tuple[str, ...]: ...
    @property
    def builtin(self) -> bool: ...
    @property
    def translations(self) -> Mapping[str, tuple[str, tuple[str, ...]]]: ...


def sync_questions(session: Session, specs: Iterable[QuestionLike]) -> dict[str, Question]:
    """Upsert every active spec; deactivate rows no longer in the bank (answers keep them)."""
    rows = {q.key: q for q in session.exec(select(Question))}
    active: set[str] = set()
    for spec in specs:
        row = rows.get(spec.key) or Question(
            key=spec.key, driver=spec.driver, kind=spec.kind, text=spec.text
        )
        row.driver, row.kind, row.text = spec.driver, spec.kind, spec.text
        row.scale, row.builtin, row.active = "|".join(spec.scale), spec.builtin, True
        row.translations = _dump_translations(spec.translations)
        session.add(row)
        rows[spec.key] = row
        active.add(spec.key)
    for key, row in rows.items():
        if key not in active and row.active:
            row.active = False
            session.add(row)
    session.flush()
    return {k: r for k, r in rows.items() if k in active}


def asked_history(session: Session, *, team_id: int) -> list[list[str]]:
    """Question keys asked in each of the team's pulses, oldest first (feeds rotation)."""
    rows = session.exec(
        select(PulseQuestion.pulse_id, Question.key)
        .join(Question, col(Question.id) == PulseQuestion.question_id)
        .join(Pulse, col(Pulse.id) == PulseQuestion.pulse_id)
        .where(Pulse.team_id == team_id)
        .order_by(col(PulseQuestion.pulse_id), col(PulseQuestion.position))
    ).all()
    history: dict[int, list[str]] = {}
    for pulse_id, key in rows:
        history.setdefault(pulse_id, []).append(key)
    return list(history.values())


def retired_keys(session: Session) -> set[str]:
    return set(session.exec(select(Question.key).where(col(Question.retired))))


def set_retired(session: Session, *, key: str, retired: bool) -> bool:
    """Retire or restore a question by key; False when no such question exists."""
    row = session.exec(select(Question).where(Question.key == key)).first()
    if row is None:
        return False
    row.retired = retired
    session.add(row)
    return True


def _dump_translations(translations: Mapping[str, tuple[str, tuple[str, ...]]]) -> str:
    texts = {
        lang: {"text": text, "scale": list(scale)} for lang, (text, scale) in translations.items()
    }
    return json.dumps(texts, ensure_ascii=False, sort_keys=True) if texts else ""


def localized(question: Question, lang: str) -> tuple[str, tuple[str, ...]]:
    """The question's text and scale labels in ``lang``; English (as stored) when it has no
    text in that language, and the English scale when its translation has none."""
    scale = tuple(question.scale.split("|")) if question.scale else ()
    if not question.translations:
        return question.text, scale
    stored = json.loads(question.translations)
    entry = stored.get(lang) or {}
    text = entry.get("text") or question.text
    if "_options" in stored:  # a co-created choice (storage.cocreate): the manager's words
        return text, tuple(stored["_options"])
    labels = tuple(entry.get("scale") or ())
    return text, labels if len(labels) == len(scale) else scale
