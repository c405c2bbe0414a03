"""What a personal link opens and takes (answers, problem reports), and the team's problem reports."""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

import marshmallow as ma

from ...languages import LANGUAGES
from ...models import PROBLEM_STATUSES, SEVERITIES, Person, ProblemReport, Wave
from ...services import questionnaires
from ...services.feedback import Visit
from .base import AnyObject, Anything, Derived, Schema, Text
from .patterns import text
from .questionnaires import QuestionnaireSchema

ANSWERS = "#/components/schemas/Answers"
DATE_TIME = {"type": "string", "format": "date-time"}
MAYBE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
CATEGORY = {"type": "string", "description": "a code of the rollout's problem categories"}
ANSWERS_DOC = {
    "type": "object", "description": "question code -> answer: rating and nps a whole number, choice an option "
    "value, multi a list of option values, yes_no \"yes\" or \"no\" (or a boolean), number a number, text at most "
    "2000 characters. Unknown codes are refused.",
    "additionalProperties": {"type": ["integer", "number", "string", "boolean", "array", "null"]}}


class Visited(NamedTuple):
    """A personal link as opened, with the person's own answers so far."""

    visit: Visit
    answers: dict[str, Any]


class ProblemRow(NamedTuple):
    """A problem report with its wave and (in a rollout that is not anonymous) its reporter."""

    report: ProblemReport
    wave: Wave
    reporter: Optional[Person]


def _when(value: Any) -> Optional[str]:
    return value.isoformat() if value else None


class SubmissionSchema(Schema):
    """Answers to the wave's questionnaire."""

    json_schema = {"required": ["answers"]}

    answers = AnyObject(doc={"$ref": ANSWERS})
    language = Text(doc={"type": ["string", "null"], "enum": [*LANGUAGES, None], "default": "sv"})
    share = Anything(doc={"type": ["array", "null"], "items": {"type": "string"}, "description": (
        "the codes of the answers the participant says may be shared with later waves (\"went_well\", "
        "\"celebrate\"); only where the rollout is not anonymous, ignored where it is")})


class ReceiptSchema(Schema):
    """What a participant gets back for their answers (a `feedback.Receipt`)."""

    json_schema = {"required": ["wave", "rollout", "submitted_at", "updated_at", "answers"]}

    wave = Derived(lambda r: r.wave, doc={"type": "integer"})
    rollout = Derived(lambda r: r.rollout, doc={"type": "string"})
    submitted_at = Derived(lambda r: _when(r.submitted_at), doc=DATE_TIME)
    updated_at = Derived(lambda r: _when(r.updated_at), doc=DATE_TIME)
    answers = Derived(lambda r: r.answers, doc={"$ref": ANSWERS})


class CategorySchema(Schema):
    """A problem category: its code and its label in both languages."""

    code = ma.fields.String()
    sv = ma.fields.String()
    en = ma.fields.String()


class FeedbackFormSchema(Schema):
    """What a personal token opens: the wave's questions in both languages, whether they can be answered now,
    and the person's own answers so far. Nothing about anyone else."""

    rollout = Derived(lambda v: v.visit.rollout.key, doc={"type": "string"})
    rollout_name = Derived(lambda v: v.visit.rollout.name, doc={"type": "string"})
    anonymous = Derived(lambda v: v.visit.rollout.anonymous, doc={"type": "boolean"})
    wave = Derived(lambda v: v.visit.wave.number, doc={"type": "integer"})
    wave_name = Derived(lambda v: v.visit.wave.name, doc={"type": "string"})
    state = Derived(lambda v: v.visit.wave.state, doc={"type": "string"})
    can_answer = Derived(lambda v: v.visit.can_answer, doc={"type": "boolean"})
    can_report = Derived(lambda v: v.visit.can_report, doc={"type": "boolean"})
    closes_at = Derived(lambda v: _when(v.visit.wave.feedback_closes_at), doc=MAYBE_DATE_TIME)
    questionnaire = ma.fields.Nested(QuestionnaireSchema, allow_none=True)
    categories = ma.fields.List(ma.fields.Nested(CategorySchema))
    severities = ma.fields.List(ma.fields.String(metadata={"enum": list(SEVERITIES)}))
    answers = Derived(lambda v: v.answers, doc={"$ref": ANSWERS})
    earlier_answers_hidden = Derived(lambda v: v.visit.earlier_answers_hidden, doc={
        "type": "boolean", "description": "a renewed link of an anonymous rollout: answers sent with an earlier link "
        "are not shown, if there are any; new ones replace them"})
    submitted_at = Derived(lambda v: _when(v.visit.response and v.visit.response.submitted_at), doc=MAYBE_DATE_TIME)
    updated_at = Derived(lambda v: _when(v.visit.response and v.visit.response.updated_at), doc=MAYBE_DATE_TIME)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        visit = obj.visit
        if attr == "questionnaire":
            return questionnaires.as_data(visit.questionnaire) if visit.questionnaire else None
        if attr == "categories":
            return questionnaires.categories(visit.rollout)
        if attr == "severities":
            return list(SEVERITIES)
        return super().get_attribute(obj, attr, default)


class NewProblemReportSchema(Schema):
    """A problem a participant reports."""

    json_schema = {"required": ["category", "severity", "description"]}

    category = Text(doc=CATEGORY)
    severity = Text(doc={"type": "string", "enum": list(SEVERITIES)})
    description = Text(doc=text(2000, required=True))


class ProblemReceiptSchema(Schema):
    """What the participant who reported a problem gets back."""

    json_schema = {"required": ["id", "category", "severity", "status", "created_at"]}

    id = ma.fields.Integer()
    category = ma.fields.String()
    severity = ma.fields.String(metadata={"enum": list(SEVERITIES)})
    status = ma.fields.String(metadata={"enum": list(PROBLEM_STATUSES)})
    created_at = ma.fields.DateTime()


class ReporterSchema(Schema):
    """Who reported a problem (never in an anonymous rollout)."""

    external_id = ma.fields.String()
    name = ma.fields.String()
    email = ma.fields.String()


class ProblemReportSchema(Schema):
    """A problem report as the rollout's team sees it (no reporter in an anonymous rollout)."""

    json_schema = {"required": ["category", "severity", "description"]}

    id = Derived(lambda row: row.report.id, doc={"type": "integer", "readOnly": True})
    category = Derived(lambda row: row.report.category, doc=CATEGORY)
    severity = Derived(lambda row: row.report.severity, doc={"type": "string", "enum": list(SEVERITIES)})
    description = Derived(lambda row: row.report.description, doc={
        "type": "string", "maxLength": 2000, "description": "empty once free texts are purged"})
    status = Derived(lambda row: row.report.status, doc={"type": "string", "enum": list(PROBLEM_STATUSES),
                                                         "readOnly": True})
    note = Derived(lambda row: row.report.note or "", doc={"type": "string", "readOnly": True,
                                                           "description": "the team's note (not for the reporter)"})
    wave = Derived(lambda row: row.wave.number, doc={"type": "integer", "readOnly": True})
    reporter = ma.fields.Nested(ReporterSchema, allow_none=True, dump_only=True, metadata={
        "description": "null in an anonymous rollout"})
    created_at = Derived(lambda row: _when(row.report.created_at), doc={**DATE_TIME, "readOnly": True})
    updated_at = Derived(lambda row: _when(row.report.updated_at), doc={**DATE_TIME, "readOnly": True})


class TriageSchema(Schema):
    """The team's status of a problem report and its note."""

    status = Text(doc={"type": "string", "enum": list(PROBLEM_STATUSES)})
    note = Text(doc=text(2000, nullable=True, description="the team's note; null keeps none"))


class ProblemQuery(Schema):
    """Which problem reports to list."""

    wave = Text(doc={"anyOf": [{"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                               {"type": "string", "enum": [""]}],
                     "description": "a wave number of the rollout (422 for another); empty: every wave"})
    status = Text(doc={"type": "string", "enum": ["", *PROBLEM_STATUSES], "description": "empty: every status"})
