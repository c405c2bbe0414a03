"""Questionnaire versions kept in memory, per app: a saved version never changes (a change of
questions is a new version) and nothing deletes one, so the questions of a wave are read from
the database once per process, not on every submit, form and results page.

What is kept is a copy that belongs to no session: plain objects to read (never to add to a
session or attach to another object), the same for every request and thread."""
from __future__ import annotations

from typing import Optional

from flask import current_app

from ..extensions import db
from ..models import Question, Questionnaire

_KEY = "rollout.frozen_questionnaires"
LIMIT = 500  # versions kept; past it the cache starts again (each is a few kB)
_QUESTION_FIELDS = ("id", "questionnaire_id", "code", "kind", "prompt_sv", "prompt_en", "options", "required",
                    "position", "min_value", "max_value")


def _copy(stored: Questionnaire) -> Questionnaire:
    questions = [Question(**{name: getattr(q, name) for name in _QUESTION_FIELDS}) for q in stored.questions]
    for question in questions:
        question.options = [dict(option) for option in question.options or []]
    return Questionnaire(id=stored.id, rollout_id=stored.rollout_id, version=stored.version,
                         created_at=stored.created_at, created_by_id=stored.created_by_id, questions=questions)


def frozen_questionnaire(questionnaire_id: int) -> Optional[Questionnaire]:
    """The questionnaire version with its questions, from memory after the first time (two queries then)."""
    cache: dict[int, Questionnaire] = current_app.extensions.setdefault(_KEY, {})
    found = cache.get(questionnaire_id)
    if found is None:
        stored = db.session.get(Questionnaire, questionnaire_id)
        if stored is None:
            return None
        found = _copy(stored)
        if len(cache) >= LIMIT:
            cache.clear()
        cache[questionnaire_id] = found
    return found
