"""A wave's results, the gate and its criteria, and the comparison of a metric between two waves."""
from __future__ import annotations

import marshmallow as ma

from .base import Anything, Schema, WholeNumber

VERDICTS = ["go", "no_go", "insufficient_evidence"]
NUMBER = {"type": ["number", "null"]}


def nullable(schema: type[Schema]) -> ma.fields.Nested:
    """A nested schema, or null."""
    return ma.fields.Nested(schema, allow_none=True)


class EstimateSchema(Schema):
    """A value with its 95 % interval (Wilson for shares, t for means)."""

    value = ma.fields.Float(allow_none=True)
    low = ma.fields.Float(allow_none=True)
    high = ma.fields.Float(allow_none=True)
    n = ma.fields.Integer()


class ComparisonSchema(Schema):
    """A metric in two waves: before, after, the change, and what it says."""

    metric = ma.fields.String(allow_none=True, metadata={"description": "a question code, or problems:<category>"})
    label = ma.fields.String(allow_none=True)
    measure = ma.fields.String(allow_none=True, metadata={"enum": ["share", "mean", None]})
    higher_is_better = ma.fields.Boolean(allow_none=True)
    before = nullable(EstimateSchema)
    after = nullable(EstimateSchema)
    change = nullable(EstimateSchema)
    outcome = ma.fields.String(allow_none=True, metadata={
        "enum": ["better", "worse", "unclear", None],
        "description": "better or worse only when the change's whole 95 % interval says so"})
    proposal = ma.fields.String(allow_none=True, metadata={"enum": ["effective", "ineffective", "inconclusive", None]})


class ResultsSchema(Schema):
    """A wave's results: invited, responded, response rate, per question, problems, hours lost."""

    json_schema = {"required": ["invited", "responded", "response_rate", "questions", "problems"]}

    wave = ma.fields.Integer()
    invited = ma.fields.Integer()
    responded = ma.fields.Integer()
    response_rate = ma.fields.Nested(EstimateSchema)
    questions = ma.fields.Dict(metadata={"additionalProperties": {"type": "object"}})
    problems = ma.fields.Dict()
    hours_lost = ma.fields.Dict(allow_none=True)
    hidden = ma.fields.Boolean(metadata={"description": "an anonymous group smaller than k"})


class GateSettingsSchema(Schema):
    """The gate's criteria; in a change, null sets a criterion back to the default, and other names are refused."""

    json_schema = {"additionalProperties": False}

    class Meta:
        unknown = ma.INCLUDE  # other names reach the service, which refuses them by name

    min_responses = WholeNumber(doc={"type": ["integer", "null"], "minimum": 0, "maximum": 100000})
    min_response_rate = Anything(doc={"type": ["number", "null"], "minimum": 0, "maximum": 1})
    min_satisfied = Anything(doc={"type": ["number", "null"], "minimum": 0, "maximum": 1})
    max_open_blockers = WholeNumber(doc={"type": ["integer", "null"], "minimum": 0, "maximum": 100000})
    lessons_ready = Anything(doc={"type": ["boolean", "null"]})


class CriterionSchema(Schema):
    """One criterion of the gate: its value, interval and threshold, and why it passed or not."""

    json_schema = {"required": ["name", "passed", "value", "threshold", "detail"]}

    name = ma.fields.String()
    passed = ma.fields.Boolean(allow_none=True)
    value = ma.fields.Float(allow_none=True)
    threshold = ma.fields.Float(allow_none=True)
    low = ma.fields.Float(allow_none=True)
    high = ma.fields.Float(allow_none=True)
    detail = ma.fields.String()


class GateSchema(Schema):
    """The gate's verdict and each criterion, with the settings it was evaluated with."""

    json_schema = {"required": ["verdict", "criteria"]}

    verdict = ma.fields.String(metadata={"enum": VERDICTS})
    criteria = ma.fields.List(ma.fields.Nested(CriterionSchema))
    settings = ma.fields.Nested(GateSettingsSchema)
