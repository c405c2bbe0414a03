"""A wave, its selection, who is in it, its transitions and decisions."""
from __future__ import annotations

import marshmallow as ma

from ...models import DECISIONS, WAVE_STATES, Wave
from .base import Anything, Derived, Object, Schema, Text, WholeNumber
from .patterns import selection, text, wave_fields

FIELDS = wave_fields()
SELECTION = selection()
VERDICTS = ["go", "no_go", "insufficient_evidence"]


class SelectionSchema(Schema):
    """Who a wave takes: at least one person, unit, attribute value or a percentage."""

    json_schema = {key: value for key, value in SELECTION.items() if key not in ("properties", "type")}

    people = Anything(doc=SELECTION["properties"]["people"])
    units = Anything(doc=SELECTION["properties"]["units"])
    attributes = Anything(doc=SELECTION["properties"]["attributes"])
    percentage = WholeNumber(doc=SELECTION["properties"]["percentage"])


def _selection(wave: Wave) -> dict:
    return {**(wave.selection or {}), "percentage": wave.percentage}


class NewWaveSchema(Schema):
    """A wave to plan: its name and selection, its dates and feedback window."""

    json_schema = {"required": ["name", "selection"]}

    name = Text(doc=FIELDS["name"])
    selection = Object(SelectionSchema, doc={"$ref": "#/components/schemas/Selection"})
    planned_start = Text(doc=FIELDS["planned_start"])
    planned_end = Text(doc=FIELDS["planned_end"])
    feedback_days = WholeNumber(doc=FIELDS["feedback_days"])
    auto_advance = Anything(doc=FIELDS["auto_advance"])


class WaveChangeSchema(NewWaveSchema):
    """A change of a wave: the fields left out keep their values."""

    json_schema = {}

    selection = Object(SelectionSchema, doc={
        "oneOf": [{"$ref": "#/components/schemas/Selection"}, {"type": "null"}],
        "description": "null or left out: unchanged; once the wave has started, only the same selection (409 "
                       "otherwise)"})


def _stamp(description: str) -> ma.fields.DateTime:
    return ma.fields.DateTime(allow_none=True, dump_only=True, metadata={"description": description})


class WaveSchema(Schema):
    """A wave as it stands: its state, members, dates and latest decision."""

    json_schema = {"required": ["name", "selection"]}

    number = ma.fields.Integer(dump_only=True)
    name = Text(doc=FIELDS["name"])
    state = ma.fields.String(dump_only=True, metadata={"enum": list(WAVE_STATES)})
    paused_from = ma.fields.String(allow_none=True, dump_only=True, metadata={
        "enum": [*WAVE_STATES, None], "description": "the state a paused wave resumes to"})
    pilot = ma.fields.Boolean(attribute="is_pilot", dump_only=True, metadata={"description": "wave 0, the pilot"})
    selection = Derived(_selection, doc={"$ref": "#/components/schemas/Selection"})
    members_count = ma.fields.Integer(dump_only=True)
    # as stored: the instant (UTC) the date or time given meant
    planned_start = ma.fields.DateTime(allow_none=True)
    planned_end = ma.fields.DateTime(allow_none=True)
    feedback_days = WholeNumber(doc=FIELDS["feedback_days"])
    auto_advance = ma.fields.Boolean()
    started_at = _stamp("when it started")
    feedback_opened_at = _stamp("when feedback opened")
    closed_at = _stamp("when feedback closed")
    done_at = _stamp("when it was done")
    decision = ma.fields.String(allow_none=True, dump_only=True, metadata={"enum": [*DECISIONS, None]})
    decision_rationale = Derived(lambda wave: wave.decision_rationale or None, dump_only=True, doc={
        "type": ["string", "null"], "readOnly": True, "description": "the latest decision's rationale"})


class MemberSchema(Schema):
    """A person a wave takes (or would take), with their bucket."""

    json_schema = {"required": ["external_id"]}

    external_id = ma.fields.String()
    name = ma.fields.String()
    email = ma.fields.String()
    unit = Derived(lambda candidate: candidate.unit or None, doc={"type": ["string", "null"]})
    bucket = ma.fields.Integer()
    explicit = ma.fields.Boolean()


class TransitionSchema(Schema):
    """A move of a wave to another state (with the decision, when it is done)."""

    json_schema = {"required": ["to"],
                   "if": {"required": ["to"], "properties": {"to": {"const": "done"}}},
                   "then": {"required": ["decision"], "properties": {"decision": {"enum": list(DECISIONS)},
                                                                     "rationale": text(5000, nullable=True)}}}

    to = Text(doc={"type": "string", "enum": list(WAVE_STATES),
                   "description": "to resume a paused wave, the state it was paused in (paused_from)"})
    decision = Text(doc={"type": ["string", "null"], "description": "with to=done: go, no_go or extend"})
    rationale = Text(doc={"type": ["string", "null"], "description": "with to=done: why (at most 5000 characters)"})


class DecisionSchema(Schema):
    """Go, no-go or extend for a wave in review."""

    json_schema = {"required": ["decision"]}

    decision = Text(doc={"type": "string", "enum": list(DECISIONS)})
    rationale = Text(doc=text(5000, nullable=True, description="required when the decision goes against the "
                                                                "gate's verdict"))


class RecordedDecisionSchema(Schema):
    """A decision as it was made, with the evidence it was made on."""

    json_schema = {"required": ["decision", "rationale", "verdict", "against_verdict", "decided_by", "decided_at",
                                "snapshot"]}

    decision = ma.fields.String(metadata={"enum": list(DECISIONS)})
    rationale = ma.fields.String()
    verdict = ma.fields.String(metadata={"enum": VERDICTS})
    against_verdict = ma.fields.Boolean()
    decided_by = ma.fields.String(allow_none=True, metadata={"description": "the lead's e-mail address"})
    decided_at = ma.fields.String(metadata={"format": "date-time"})
    snapshot = ma.fields.Dict(metadata={
        "description": "the results, the gate's evaluation and the criteria as they stood when the decision was made",
        "properties": {"results": {"type": "object"}, "gate": {"type": "object"}, "criteria": {"type": "object"}}})
