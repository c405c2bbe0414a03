"""An idea from the floor as anyone sends it (and the receipt they get), a support, the council's
view of an idea, and a decision on it. The ideas service checks every field; these declare them."""
from __future__ import annotations

import marshmallow as ma

from ...languages import LANGUAGES
from ...models.vocabularies import IdeaReach, IdeaState
from ...services.ideas import DECISIONS
from ...services.ideas.submitting import MAX_NAME, MAX_TEXT, MAX_UNIT
from ...services.ideas.triage import MAX_LESSON_TITLE, MAX_REASON
from ...services.validation import MAX_ID
from .base import Schema, Text, WholeNumber
from .patterns import KEY, SPECIAL_USE, text

EMAIL = {"type": "string", "format": "email", "maxLength": 254, "not": {"pattern": SPECIAL_USE},
         "description": "where the council's decisions are e-mailed"}
LANGUAGE = {"type": ["string", "null"], "enum": [*LANGUAGES, None], "default": "sv",
            "description": "of the e-mails; sv by default"}
STATES = [str(state) for state in IdeaState]
MAX_QUERY = 2000


class NewIdeaSchema(Schema):
    """An idea: who sends it, the problem, the idea and how many it affects."""

    json_schema = {"required": ["name", "email", "unit", "problem", "idea", "reach"]}

    name = Text(doc=text(MAX_NAME, required=True))
    email = Text(doc=EMAIL)
    unit = Text(doc=text(MAX_UNIT, required=True, description="the unit the proposer works in"))
    language = Text(doc=LANGUAGE)
    problem = Text(doc=text(MAX_TEXT, required=True))
    idea = Text(doc=text(MAX_TEXT, required=True))
    reach = Text(doc={"type": "string", "enum": [str(reach) for reach in IdeaReach],
                      "description": "how many people the problem affects"})


class SupportSchema(Schema):
    """Someone who supports an idea instead of sending their own (counted once per e-mail address)."""

    json_schema = {"required": ["name", "email"]}

    name = Text(doc=text(MAX_NAME, required=True))
    email = Text(doc=EMAIL)
    unit = Text(doc=text(MAX_UNIT, nullable=True))
    language = Text(doc=LANGUAGE)


class PublicIdeaSchema(Schema):
    """What anyone sees of an idea: no names, no addresses."""

    json_schema = {"required": ["id", "state", "problem", "idea", "supporters", "created_at"]}

    id = ma.fields.Integer()
    state = ma.fields.String(metadata={"enum": STATES})
    problem = ma.fields.String()
    idea = ma.fields.String()
    supporters = ma.fields.Integer()
    created_at = ma.fields.DateTime()


class SupportReceiptSchema(Schema):
    """The idea supported (a merged idea's target) and whether the support was new."""

    json_schema = {"required": ["idea", "added"]}

    idea = ma.fields.Nested(PublicIdeaSchema)
    added = ma.fields.Boolean()


class SimilarLessonSchema(Schema):
    json_schema = {"required": ["title", "action"]}

    title = ma.fields.String()
    action = ma.fields.String()


class SimilarSchema(Schema):
    """Ideas others may still support and lessons of the library that share words with the text."""

    json_schema = {"required": ["ideas", "lessons"]}

    ideas = ma.fields.List(ma.fields.Nested(PublicIdeaSchema))
    lessons = ma.fields.List(ma.fields.Nested(SimilarLessonSchema))


class SimilarQuery(Schema):
    q = Text(doc={"type": "string", "maxLength": MAX_QUERY, "description": "the problem and the idea as typed"})


class IdeaSchema(Schema):
    """An idea as the council reads it."""

    json_schema = {"required": ["id", "state", "name", "email", "unit", "problem", "idea", "reach", "supporters"]}

    id = ma.fields.Integer()
    state = ma.fields.String(metadata={"enum": STATES})
    name = ma.fields.String(metadata={"description": "empty once erased"})
    email = ma.fields.String(metadata={"description": "empty once erased"})
    language = ma.fields.String(metadata={"enum": list(LANGUAGES)})
    unit = ma.fields.String()
    problem = ma.fields.String()
    idea = ma.fields.String()
    reach = ma.fields.String(metadata={"enum": [str(reach) for reach in IdeaReach]})
    supporters = ma.fields.Integer()
    reason = ma.fields.String()
    merged_into = ma.fields.Integer(allow_none=True)
    rollout = ma.fields.String(allow_none=True, metadata={"description": "the key of the rollout it became"})
    lesson = ma.fields.Integer(allow_none=True, metadata={"description": "the id of the lesson it became"})
    created_at = ma.fields.DateTime()
    decided_at = ma.fields.DateTime(allow_none=True)


class IdeaQuery(Schema):
    state = Text(doc={"type": "string", "enum": ["", *STATES], "description": "empty: every state"})


class IdeaDecisionSchema(Schema):
    """A decision of the council: review; accept_rollout (key, name); accept_lesson (rollout, title);
    decline (reason); merge (into)."""

    json_schema = {"required": ["decision"]}

    decision = Text(doc={"type": "string", "enum": list(DECISIONS)})
    key = Text(doc={"type": "string", "pattern": KEY, "description": "accept_rollout: the new rollout's key"})
    name = Text(doc=text(200, description="accept_rollout: the new rollout's name"))
    rollout = Text(doc={"type": "string", "maxLength": 64, "description": "accept_lesson: the rollout's key"})
    title = Text(doc=text(MAX_LESSON_TITLE, description="accept_lesson: the lesson's title (the idea's first words "
                                                        "when empty)"))
    reason = Text(doc=text(MAX_REASON, description="decline: why (the proposer reads it)"))
    into = WholeNumber(doc={"type": "integer", "minimum": 1, "maximum": MAX_ID,
                            "description": "merge: the idea to merge into"})
