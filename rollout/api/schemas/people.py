"""A person of the directory, an upsert of many, a CSV import's result, and a person's data."""
from __future__ import annotations

import marshmallow as ma

from ...languages import LANGUAGES
from .base import AnyObject, Anything, Items, Schema, Text
from .patterns import ATTRIBUTE_NAME, EXTERNAL_ID, SPECIAL_USE, text

PERSON = "#/components/schemas/Person"
FOR_ROLLOUT = {"type": "string", "description": "the key of the rollout the people are imported for: those it "
               "creates are deleted with the rollout's personal data, unless they are in another rollout; "
               "422 for an unknown key"}


class PersonSchema(Schema):
    """A person: who they are, their unit and language, and free attributes."""

    json_schema = {"required": ["external_id", "name", "email"]}

    external_id = Text(doc={"type": "string", "pattern": EXTERNAL_ID})
    name = Text(doc=text(200, required=True))
    email = Text(doc={"type": "string", "format": "email", "maxLength": 254, "not": {"pattern": SPECIAL_USE},
                      "description": "not at a special-use domain such as .test or .local"})
    unit = Text(source=lambda person: person.unit_name or None,
                doc=text(200, nullable=True, description="the unit's name; created when new"))
    language = Text(doc={"type": ["string", "null"], "enum": [*LANGUAGES, None], "default": "sv"})
    attributes = AnyObject(source=lambda person: person.attributes or {}, doc={
        "type": ["object", "null"], "description": "free attributes; null or \"\" removes one",
        "propertyNames": {"pattern": ATTRIBUTE_NAME,
                          "not": {"enum": ["external_id", "name", "email", "unit", "language"]}},
        "additionalProperties": {"anyOf": [text(200, nullable=True), {"type": "number"}]}})


class UpsertSchema(Schema):
    """People to create or update by external_id, all or nothing."""

    json_schema = {"required": ["people"]}

    people = Items(PersonSchema, indexed=True, doc={"type": "array", "minItems": 1, "items": {"$ref": PERSON},
                                                     "description": "each external_id once"})
    rollout = Text(doc={**FOR_ROLLOUT, "type": ["string", "null"]})


class UpsertResultSchema(Schema):
    """How many people were created and how many changed."""

    json_schema = {"required": ["created", "updated"]}

    created = ma.fields.Integer()
    updated = ma.fields.Integer()


class PeopleQuery(Schema):
    """The search of the directory."""

    q = ma.fields.String()
    unit = ma.fields.String()


class ImportQuery(Schema):
    """For which rollout a CSV file is imported."""

    rollout = Text(doc=FOR_ROLLOUT)


class PersonExportSchema(Schema):
    """Everything stored about the person; never a link's token, and nothing of an anonymous rollout's
    responses (not linked to the person)."""

    exported_at = ma.fields.String(metadata={"format": "date-time"})
    profile = Anything(doc={"allOf": [{"$ref": PERSON}, {"type": "object", "properties": {
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "added_for_rollout": {"type": ["string", "null"]}}}]})
    memberships = ma.fields.List(ma.fields.Dict())
    links = ma.fields.List(ma.fields.Dict())
    responses = ma.fields.List(ma.fields.Dict())
    checkin_answers = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "the person's answers to check-ins (not in anonymous rollouts)"})
    problem_reports = ma.fields.List(ma.fields.Dict())
    emails = ma.fields.List(ma.fields.Dict())
    ideas = ma.fields.List(ma.fields.Dict(), metadata={"description": "the ideas sent from the person's address"})
    supports = ma.fields.List(ma.fields.Dict(), metadata={"description": "the ideas the person's address supports"})
    audit_events = ma.fields.List(ma.fields.Dict())
