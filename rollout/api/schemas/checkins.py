"""A wave's check-ins: what the lead plans (day and questions), each with its state and figures,
the wave's list with the lead's flag, and a participant's open check-in and receipt."""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

import marshmallow as ma

from ...models import Wave
from ...services import checkins
from .base import AnyObject, Anything, Derived, Items, Schema, WholeNumber
from .feedback import ANSWERS, DATE_TIME, MAYBE_DATE_TIME
from .questionnaires import QuestionSchema

QUESTIONS_DOC = {"type": ["array", "null"], "minItems": 1, "maxItems": checkins.MAX_QUESTIONS,
                 "items": {"$ref": "#/components/schemas/Question"},
                 "description": "1-3 questions of the questionnaire's kinds; left out: \"How is it going?\" (rating, "
                                "code going, required) and \"What is in your way?\" (text, code in_the_way)"}
DAY_DOC = {"type": "integer", "minimum": 0, "maximum": checkins.MAX_DAY,
           "description": "days from the wave's start (0: the day it starts); one check-in per day"}
ESTIMATE = {"type": ["object", "null"], "properties": {
    "value": {"type": ["number", "null"]}, "low": {"type": ["number", "null"]}, "high": {"type": ["number", "null"]},
    "n": {"type": "integer"}}}
QUESTION_FIGURES = {"type": "object", "required": ["code", "kind", "prompt", "answered"], "properties": {
    "code": {"type": "string"}, "kind": {"type": "string"},
    "prompt": {"type": "object", "properties": {"sv": {"type": "string"}, "en": {"type": "string"}}},
    "answered": {"type": "integer"}, "mean": ESTIMATE,
    "distribution": {"type": "object", "additionalProperties": {"type": "integer"}},
    "texts": {"type": "array", "items": {"type": "string"}}}}
TREND_DOC = {"type": "object", "required": ["responses", "hidden", "questions"], "properties": {
    "responses": {"type": "integer"},
    "hidden": {"type": "boolean", "description": "an anonymous rollout with fewer answers than k: the count only"},
    "questions": {"type": "array", "items": QUESTION_FIGURES}},
    "description": "per question the mean with its 95 % interval (rating, nps, number), the distribution and "
                   "the free texts"}
FLAG_DOC = {"type": "object", "required": ["open_blockers", "falling"], "properties": {
    "open_blockers": {"type": "integer"},
    "falling": {"type": "boolean", "description": "the latest check-in's mean of the trended question is below the "
                                                  "previous one's, their 95 % intervals apart"},
    "previous_day": {"type": ["integer", "null"]}, "latest_day": {"type": ["integer", "null"]}}}


class CheckInRow(NamedTuple):
    """A check-in with its wave and figures, as the API serves it."""

    item: checkins.CheckInTrend
    wave: Wave


class OpenState(NamedTuple):
    """What a personal link's check-in side shows: the open check-in, or None."""

    current: Optional[checkins.OpenCheckIn]


def _when(value: Any) -> Optional[str]:
    return value.isoformat() if value else None


class NewCheckInSchema(Schema):
    """A new check-in: its day and (or the defaults) its questions."""

    json_schema = {"required": ["day"]}

    day = WholeNumber(doc=DAY_DOC)
    questions = Items(QuestionSchema, doc=QUESTIONS_DOC)


class CheckInChangeSchema(Schema):
    """What to change of a check-in not yet sent; what is left out stays."""

    day = WholeNumber(doc=DAY_DOC)
    questions = Items(QuestionSchema, doc=QUESTIONS_DOC)


class CheckInSchema(Schema):
    """A check-in of a wave: its day, questions and state, when it goes or went out, and its figures."""

    json_schema = {"required": ["id", "wave", "day", "state", "questions", "sent_at", "send_at", "trend"]}

    id = Derived(lambda r: r.item.checkin.id, doc={"type": "integer", "readOnly": True})
    wave = Derived(lambda r: r.wave.number, doc={"type": "integer", "readOnly": True})
    day = Derived(lambda r: r.item.checkin.day, doc=DAY_DOC)
    state = Derived(lambda r: r.item.state, doc={"type": "string", "enum": list(checkins.STATE_LABELS),
                                                 "readOnly": True})
    questions = Derived(lambda r: list(r.item.checkin.questions),
                        doc={"type": "array", "items": {"$ref": "#/components/schemas/Question"}})
    sent_at = Derived(lambda r: _when(r.item.checkin.sent_at), doc=MAYBE_DATE_TIME)
    send_at = Derived(lambda r: _when(checkins.send_at(r.item.checkin, r.wave)), doc={
        **MAYBE_DATE_TIME, "description": "when the tick sends it; null until the wave has started"})
    trend = Derived(lambda r: r.item.as_dict(), doc=TREND_DOC)


class CheckInListSchema(Schema):
    """The wave's check-ins in day order, the trended question and the lead's flag."""

    json_schema = {"required": ["items", "total", "trended", "flag"]}

    items = Items(CheckInSchema, doc={"type": "array", "items": {"$ref": "#/components/schemas/CheckIn"}})
    total = ma.fields.Integer()
    trended = Anything(doc={"type": ["string", "null"], "description": "the code of the question the trend follows"})
    flag = Anything(doc=FLAG_DOC)


class CheckInAnswersSchema(Schema):
    """Answers to the open check-in."""

    json_schema = {"required": ["answers"]}

    checkin = WholeNumber(doc={"type": ["integer", "null"], "description": (
        "the check-in answered (as read); refused with 409 once it has closed. Left out: the open one")})
    answers = AnyObject(doc={"$ref": ANSWERS})


class OpenCheckInSchema(Schema):
    """The check-in a personal link takes answers to now, with the person's own answers; open false when none."""

    json_schema = {"required": ["open"]}

    open = Derived(lambda s: s.current is not None, doc={"type": "boolean"})
    checkin = Derived(lambda s: s.current.id if s.current else None, doc={"type": ["integer", "null"]})
    day = Derived(lambda s: s.current.checkin.day if s.current else None, doc={"type": ["integer", "null"]})
    questions = Derived(lambda s: list(s.current.checkin.questions) if s.current else [],
                        doc={"type": "array", "items": {"$ref": "#/components/schemas/Question"}})
    answers = Derived(lambda s: s.current.answers if s.current else {}, doc={"$ref": ANSWERS})
    answered_at = Derived(lambda s: _when(s.current.answered_at) if s.current else None, doc=MAYBE_DATE_TIME)


class CheckInReceiptSchema(Schema):
    """What a participant gets back for their answers to a check-in."""

    json_schema = {"required": ["checkin", "day", "answers", "updated_at"]}

    checkin = Derived(lambda r: r.checkin, doc={"type": "integer"})
    day = Derived(lambda r: r.day, doc={"type": "integer"})
    answers = Derived(lambda r: r.answers, doc={"$ref": ANSWERS})
    updated_at = Derived(lambda r: _when(r.updated_at), doc=DATE_TIME)
