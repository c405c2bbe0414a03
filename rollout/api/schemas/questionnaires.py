"""A questionnaire and its questions."""
from __future__ import annotations

import marshmallow as ma

from ...languages import LANGUAGES
from ...models import QUESTION_KINDS
from .base import Anything, Items, Object, QueryNumber, Schema, Text
from .patterns import OPTION_VALUE, QUESTION_CODE, labels

# versions are 32-bit integers in the database
MAX_VERSION = 2**31 - 1
NUMBER_BOUND = {"type": ["number", "null"], "minimum": -1e9, "maximum": 1e9}


class LabelsSchema(Schema):
    """A text in Swedish and in English."""

    sv = Text()
    en = Text()


class OptionSchema(Schema):
    """An option of a choice: its value and its label in both languages."""

    value = Text()
    sv = Text()
    en = Text()


class QuestionSchema(Schema):
    """A question: its code, kind and prompt, its options or bounds, and whether it must be answered."""

    json_schema = {"required": ["code", "kind", "prompt"], "allOf": [
        {"if": {"required": ["kind"], "properties": {"kind": {"enum": ["choice", "multi"]}}},
         "then": {"required": ["options"], "properties": {"options": {
             "type": "array", "minItems": 2, "items": {
                 "type": "object", "required": ["value", *LANGUAGES], "properties": {
                     "value": {"type": "string", "pattern": OPTION_VALUE}, **labels(200)["properties"]}}}}}},
        {"if": {"required": ["kind"], "properties": {"kind": {"const": "number"}}},
         "then": {"properties": {"min": NUMBER_BOUND, "max": NUMBER_BOUND}}}]}

    code = Text(doc={"type": "string", "pattern": QUESTION_CODE,
                     "description": "stable and unique; a code keeps its kind in every version (a new meaning needs "
                                    "a new code)"})
    kind = Text(doc={"type": "string", "enum": list(QUESTION_KINDS),
                     "description": "rating 1-5, nps 0-10, choice, multi, yes_no, number (min-max), text"})
    prompt = Object(LabelsSchema, doc=labels(500))
    options = Items(OptionSchema, doc={"description": "choice and multi: at least two, each value once; ignored for "
                                                      "the other kinds (which have none)"})
    required = Anything(doc={"type": "boolean", "default": False})
    min = Anything(doc={"description": "number only (ignored for the other kinds)"})
    max = Anything(doc={"description": "number only (ignored for the other kinds); not below min"})


class QuestionnaireSchema(Schema):
    """The questions of a version of the rollout's questionnaire."""

    json_schema = {"required": ["questions"]}

    version = ma.fields.Integer(dump_only=True, metadata={
        "minimum": 1, "description": "a save with other questions makes a new version; the same ones change nothing"})
    questions = Items(QuestionSchema, doc={"type": "array", "minItems": 1, "maxItems": 40,
                                           "items": {"$ref": "#/components/schemas/Question"}})


class VersionQuery(Schema):
    """Which version of the questionnaire."""

    version = QueryNumber(1, MAX_VERSION)
