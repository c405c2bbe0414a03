"""A lesson (as the rollout's team and as the library show it), a new one, a change of one, carrying
one over, its verification and a suggestion from a similar rollout.

A lesson is served as the lessons service gives it (`lessons.as_dict`, and `lessons.library_dicts`,
which leaves out what a reader who may not open the rollout must not see): the JSON export gives the
same lesson, and the library's rule stays in one place."""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

import marshmallow as ma

from ...models import LESSON_STATUSES, Lesson
from ...services.compare import Comparison
from ...services.validation import MAX_ID
from .base import Anything, Schema, Text, WholeNumber
from .patterns import text
from .results import ComparisonSchema

TAGS = {"$ref": "#/components/schemas/Tags"}
PROPOSALS = ["effective", "ineffective", "inconclusive", None]
STATUS = {"type": "string", "enum": ["", *LESSON_STATUSES], "description": "empty: every status"}
# a query parameter naming a wave by its number; empty, as a form sends it, for none
WAVE_FILTER = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ID}, {"type": "string", "enum": [""]}]}
WAVE_NUMBER = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ID,
               "description": "a wave number of the rollout, not cancelled"}
# what a lesson's fields may be, the same in a lesson, a new one and a change
FIELDS = {
    "title": text(200, required=True),
    "action": text(5000, nullable=True, description="what to do"),
    "origin_wave": {**WAVE_NUMBER, "description": "the wave it was learnt in"},
    "target_wave": {**WAVE_NUMBER, "description": "the wave it must change, after the origin; defaults to the one "
                                                  "after the origin; a wave that has not started"},
    "owner": {"type": ["string", "null"], "format": "email",
              "description": "a user on the rollout's team; e-mailed when they become the owner"},
    "metric": {"type": ["string", "null"], "description": "a question code or problems:<category>"},
    "tags": TAGS,
}


def _served(doc: dict[str, Any]) -> Anything:
    """A field of the lesson as the lessons service gives it (`lessons.as_dict`), served as it is."""
    return Anything(doc=doc, dump_only=True)


class LessonSchema(Schema):
    """A lesson: what was learnt, what to do, its waves, owner and metric, where it stands."""

    json_schema = {"required": ["title"]}

    id = _served({"type": "integer", "readOnly": True})
    rollout = _served({"type": ["string", "null"], "readOnly": True, "description": (
        "the rollout's key; null in the library for a rollout the caller may not open")})
    title = _served(FIELDS["title"])
    action = _served(FIELDS["action"])
    origin_wave = _served(FIELDS["origin_wave"])
    target_wave = _served(FIELDS["target_wave"])
    owner = _served(FIELDS["owner"])
    metric = _served(FIELDS["metric"])
    tags = _served(FIELDS["tags"])
    status = _served({"type": "string", "enum": list(LESSON_STATUSES), "readOnly": True})
    reason = _served({"type": "string", "readOnly": True, "description": "why it was deferred or dropped"})
    theme = _served({"type": ["integer", "null"], "readOnly": True})
    source_lesson = _served({"type": ["integer", "null"], "readOnly": True,
                                              "description": "the library lesson it was carried from"})
    verification = _served({"type": ["object", "null"], "readOnly": True,
                                            "description": "the comparison the team confirmed"})
    proposal = _served({"type": ["string", "null"], "enum": PROPOSALS, "readOnly": True,
                                    "description": "in the library: what its verification proposed"})
    created_at = _served({"type": "string", "format": "date-time", "readOnly": True})
    updated_at = _served({"type": "string", "format": "date-time", "readOnly": True})


class _LessonFields(Schema):
    """What a new lesson and a change of one both take."""

    title = Text(doc=FIELDS["title"])
    action = Text(doc=FIELDS["action"])
    origin_wave = WholeNumber(doc=FIELDS["origin_wave"])
    target_wave = WholeNumber(doc=FIELDS["target_wave"])
    owner = Text(doc=FIELDS["owner"])
    metric = Text(doc=FIELDS["metric"])
    tags = Anything(doc=FIELDS["tags"])


class NewLessonSchema(_LessonFields):
    """A new lesson: a title, or a retrospective theme to take it from."""

    json_schema = {"description": "a title, or a theme to take it from",
                   "anyOf": [{"required": ["title"], "properties": {"title": {"type": "string"}}},
                             {"required": ["theme"], "properties": {"theme": {"type": "integer"}}}]}

    theme = WholeNumber(doc={"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID, "description": (
        "a retrospective theme of this rollout: the lesson is made of it (its title and wave by default)")})


class LessonChangeSchema(_LessonFields):
    """A change of a lesson's fields and, with `status` (and `reason`), of where it stands."""

    status = Text(doc={"type": ["string", "null"], "enum": [*LESSON_STATUSES, None], "description": (
        "open -> planned -> applied -> verified_effective | verified_ineffective; open or planned -> deferred | "
        "dropped (with a reason); a move the flow does not allow is 409")})
    reason = Text(doc=text(2000, nullable=True, description="required when the lesson becomes deferred or dropped"))


class CarrySchema(Schema):
    """The library lesson to carry into a rollout."""

    json_schema = {"required": ["lesson"]}

    lesson = WholeNumber(doc={"type": "integer", "minimum": 1, "maximum": MAX_ID,
                              "description": "the library lesson's id"})


class Checked(NamedTuple):
    """A lesson with the comparison of its metric between its origin and target wave (None: nothing to
    compare, for want of a metric, an origin or a target)."""

    lesson: Lesson
    comparison: Optional[Comparison]


class VerificationSchema(ComparisonSchema):
    """The lesson's metric in its origin and target wave, what that proposes, and what the team confirmed."""

    json_schema = {"description": "the comparison's fields are null when the lesson has no metric, origin or target"}

    lesson = ma.fields.Integer()
    origin_wave = Anything(doc=WAVE_NUMBER)
    target_wave = Anything(doc=WAVE_NUMBER)
    confirmed = ma.fields.String(allow_none=True, metadata={"enum": ["effective", "ineffective", None]})

    def get_attribute(self, obj: Checked, attr: str, default: Any) -> Any:
        lesson = obj.lesson
        if attr == "lesson":
            return lesson.id
        if attr in ("origin_wave", "target_wave"):
            wave = getattr(lesson, attr)
            return wave.number if wave else None
        if attr == "confirmed":
            return (lesson.verification or {}).get("confirmed")
        if obj.comparison is None:
            return lesson.metric if attr == "metric" else None
        return super().get_attribute(obj.comparison, attr, default)


class SuggestionSchema(Schema):
    """A lesson of another rollout, with the tags it shares with this one."""

    json_schema = {"required": ["lesson", "shared_tags"]}

    lesson = ma.fields.Nested(LessonSchema)
    shared_tags = ma.fields.List(ma.fields.String())


class LessonQuery(Schema):
    """Which of a rollout's lessons to list."""

    status = Text(doc=STATUS)
    target_wave = Text(doc=WAVE_FILTER)
    origin_wave = Text(doc=WAVE_FILTER)


class LibraryQuery(Schema):
    """The search of the lesson library."""

    q = Text(doc={"type": "string", "description": "words of the title, action or tags (each a prefix, all "
                                                   "required)"})
    tag = Text(doc={"type": "string"})
    status = Text(doc=STATUS)
