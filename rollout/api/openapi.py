"""The OpenAPI 3.1 document of what the API offers, at /api/v1/openapi.json."""
from __future__ import annotations

from flask import jsonify

from ..languages import LANGUAGES
from ..models import CARD_KINDS, DECISIONS, LESSON_STATUSES, PROBLEM_STATUSES, QUESTION_KINDS, SEVERITIES, WAVE_STATES
from . import openapi_parts as parts
from .common import MAX_ID, MAX_PAGE, MAX_PER_PAGE, api
from .openapi_parts import labels, text


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list_of(name: str) -> dict:
    return {"type": "object", "required": ["items", "total"],
            "properties": {"items": {"type": "array", "items": _ref(name)}, "total": {"type": "integer"},
                           "page": {"type": "integer"}, "per_page": {"type": "integer"}}}


ERRORS = {str(code): {"$ref": f"#/components/responses/{name}"} for code, name in
          ((400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (413, "TooLarge"),
           (422, "Invalid"))}
PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
          {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}}]
KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string", "pattern": parts.KEY}}
NUMBER = {"name": "n", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 100},
         "description": "the personal token: the last part of the participant's link /f/<token>"}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
PROBLEM_ID = ID
# a query parameter naming a wave by its number; empty, as a form sends it, for none
WAVE_FILTER = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ID}, {"type": "string", "enum": [""]}]}
NO_CONTENT = {"204": {"description": "Done; no body."}}
CONFLICT = {"409": {"$ref": "#/components/responses/Conflict"}}
# the personal token is the credential: no 401 or 403, and 404 says only that the link does not work
PERSONAL_ERRORS = {"400": ERRORS["400"], "404": {"$ref": "#/components/responses/LinkNotValid"},
                   "409": {"$ref": "#/components/responses/FeedbackClosed"}, "413": ERRORS["413"],
                   "422": ERRORS["422"]}


def document() -> dict:
    rollout_fields, wave_fields = parts.rollout_fields(), parts.wave_fields()
    rollout_fields["language"] = {"type": ["string", "null"], "enum": [*LANGUAGES, None], "default": "sv",
                                  "description": "the language the team writes the rollout's texts in; null: "
                                                 "unchanged (a new rollout's is sv)"}
    feedback_schemas = {
        "Question": {"type": "object", "required": ["code", "kind", "prompt"], "properties": {
            "code": {"type": "string", "pattern": parts.QUESTION_CODE,
                     "description": "stable and unique; a code keeps its kind in every version (a new meaning "
                                    "needs a new code)"},
            "kind": {"type": "string", "enum": list(QUESTION_KINDS),
                     "description": "rating 1-5, nps 0-10, choice, multi, yes_no, number (min-max), text"},
            "prompt": labels(500),
            "options": {"description": "choice and multi: at least two, each value once; ignored for the "
                                       "other kinds (which have none)"},
            "required": {"type": "boolean", "default": False},
            "min": {"description": "number only (ignored for the other kinds)"},
            "max": {"description": "number only (ignored for the other kinds); not below min"}},
            "allOf": [
                {"if": {"required": ["kind"], "properties": {"kind": {"enum": ["choice", "multi"]}}},
                 "then": {"required": ["options"], "properties": {"options": {
                     "type": "array", "minItems": 2, "items": {
                         "type": "object", "required": ["value", "sv", "en"], "properties": {
                             "value": {"type": "string", "pattern": parts.OPTION_VALUE},
                             **labels(200)["properties"]}}}}}},
                {"if": {"required": ["kind"], "properties": {"kind": {"const": "number"}}},
                 "then": {"properties": {"min": {"type": ["number", "null"], "minimum": -1e9, "maximum": 1e9},
                                         "max": {"type": ["number", "null"], "minimum": -1e9, "maximum": 1e9}}}}]},
        "Questionnaire": {"type": "object", "required": ["questions"], "properties": {
            "version": {"type": "integer", "minimum": 1, "readOnly": True,
                        "description": "a save with other questions makes a new version; the same ones change nothing"},
            "questions": {"type": "array", "minItems": 1, "maxItems": 40, "items": _ref("Question")}}},
        "Answers": {"type": "object", "description": "question code -> answer: rating and nps a whole number, "
                    "choice an option value, multi a list of option values, yes_no \"yes\" or \"no\" (or a "
                    "boolean), number a number, text at most 2000 characters. Unknown codes are refused.",
                    "additionalProperties": {"type": ["integer", "number", "string", "boolean", "array", "null"]}},
        "Submission": {"type": "object", "required": ["answers"], "properties": {
            "answers": _ref("Answers"),
            "language": {"type": ["string", "null"], "enum": ["sv", "en", None], "default": "sv"}}},
        "Receipt": {"type": "object", "required": ["wave", "rollout", "submitted_at", "updated_at", "answers"],
                    "properties": {"wave": {"type": "integer"}, "rollout": {"type": "string"},
                                   "submitted_at": {"type": "string", "format": "date-time"},
                                   "updated_at": {"type": "string", "format": "date-time"},
                                   "answers": _ref("Answers")}},
        "FeedbackForm": {"type": "object", "properties": {
            "rollout": {"type": "string"}, "rollout_name": {"type": "string"}, "anonymous": {"type": "boolean"},
            "wave": {"type": "integer"}, "wave_name": {"type": "string"}, "state": {"type": "string"},
            "can_answer": {"type": "boolean"}, "can_report": {"type": "boolean"},
            "earlier_answers_hidden": {"type": "boolean", "description": (
                "a renewed link of an anonymous rollout: answers sent with an earlier link are not shown, "
                "if there are any; new ones replace them")},
            "closes_at": {"type": ["string", "null"], "format": "date-time"},
            "questionnaire": {"oneOf": [_ref("Questionnaire"), {"type": "null"}]},
            "categories": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "sv": {"type": "string"}, "en": {"type": "string"}}}},
            "severities": {"type": "array", "items": {"type": "string", "enum": list(SEVERITIES)}},
            "answers": _ref("Answers"),
            "submitted_at": {"type": ["string", "null"], "format": "date-time"},
            "updated_at": {"type": ["string", "null"], "format": "date-time"}}},
        "NewProblemReport": {"type": "object", "required": ["category", "severity", "description"], "properties": {
            "category": {"type": "string", "description": "a code of the rollout's problem categories"},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "description": text(2000, required=True)}},
        "ProblemReport": {"type": "object", "required": ["category", "severity", "description"], "properties": {
            "id": {"type": "integer", "readOnly": True},
            "category": {"type": "string", "description": "a code of the rollout's problem categories"},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "description": {"type": "string", "maxLength": 2000, "description": "empty once free texts are purged"},
            "status": {"type": "string", "enum": list(PROBLEM_STATUSES), "readOnly": True},
            "note": {"type": "string", "readOnly": True, "description": "the team's note (not for the reporter)"},
            "wave": {"type": "integer", "readOnly": True},
            "reporter": {"type": ["object", "null"], "readOnly": True,
                         "description": "null in an anonymous rollout", "properties": {
                             "external_id": {"type": "string"}, "name": {"type": "string"},
                             "email": {"type": "string"}}},
            "created_at": {"type": "string", "format": "date-time", "readOnly": True},
            "updated_at": {"type": "string", "format": "date-time", "readOnly": True}}},
        "ProblemReceipt": {"type": "object", "required": ["id", "category", "severity", "status", "created_at"],
                           "properties": {"id": {"type": "integer"}, "category": {"type": "string"},
                                          "severity": {"type": "string", "enum": list(SEVERITIES)},
                                          "status": {"type": "string", "enum": list(PROBLEM_STATUSES)},
                                          "created_at": {"type": "string", "format": "date-time"}}},
        "Triage": {"type": "object", "properties": {
            "status": {"type": "string", "enum": list(PROBLEM_STATUSES)},
            "note": text(2000, nullable=True, description="the team's note; null keeps none")}},
    }
    schemas = {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {"type": ["array", "object"]}}}}},
        "Person": {"type": "object", "required": ["external_id", "name", "email"], "properties": {
            "external_id": {"type": "string", "pattern": parts.EXTERNAL_ID},
            "name": text(200, required=True),
            "email": {"type": "string", "format": "email", "maxLength": 254, "not": {"pattern": parts.SPECIAL_USE},
                      "description": "not at a special-use domain such as .test or .local"},
            "unit": text(200, nullable=True, description="the unit's name; created when new"),
            "language": {"type": ["string", "null"], "enum": ["sv", "en", None], "default": "sv"},
            "attributes": {"type": ["object", "null"], "description": "free attributes; null or \"\" removes one",
                           "propertyNames": {"pattern": parts.ATTRIBUTE_NAME,
                                             "not": {"enum": ["external_id", "name", "email", "unit", "language"]}},
                           "additionalProperties": {"anyOf": [text(200, nullable=True), {"type": "number"}]}}}},
        "UpsertResult": {"type": "object", "required": ["created", "updated"],
                         "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"}}},
        "Rollout": {"type": "object", "required": ["key", "name"], "properties": {
            "key": {"type": "string", "pattern": parts.KEY, "description": "unique; never changes"},
            **rollout_fields}},
        "RolloutChange": {"type": "object", "properties": {
            "key": {"type": ["string", "null"], "description": "ignored: a rollout's key never changes"},
            **rollout_fields}},
        "Selection": parts.selection(),
        "NewWave": {"type": "object", "required": ["name", "selection"], "properties": {
            **wave_fields, "selection": _ref("Selection")}},
        "Wave": {"type": "object", "required": ["name", "selection"], "properties": {
            "number": {"type": "integer", "readOnly": True},
            "state": {"type": "string", "readOnly": True, "enum": list(WAVE_STATES)},
            "members_count": {"type": "integer", "readOnly": True}, **wave_fields,
            # as stored: the instant (UTC) the date or time given meant
            **{name: {"type": ["string", "null"], "format": "date-time"} for name in ("planned_start", "planned_end")},
            "selection": _ref("Selection"),
            "pilot": {"type": "boolean", "readOnly": True, "description": "wave 0, the pilot"},
            "paused_from": {"type": ["string", "null"], "enum": [*WAVE_STATES, None], "readOnly": True,
                            "description": "the state a paused wave resumes to"},
            **{name: {"type": ["string", "null"], "format": "date-time", "readOnly": True, "description": what}
               for name, what in (("started_at", "when it started"), ("feedback_opened_at", "when feedback opened"),
                                  ("closed_at", "when feedback closed"), ("done_at", "when it was done"))},
            "decision": {"type": ["string", "null"], "enum": ["go", "no_go", "extend", None], "readOnly": True},
            "decision_rationale": {"type": ["string", "null"], "readOnly": True,
                                   "description": "the latest decision's rationale"}}},
        "WaveChange": {"type": "object", "properties": {
            **wave_fields, "selection": {**_nullable(_ref("Selection")), "description": (
                "null or left out: unchanged; once the wave has started, only the same selection (409 otherwise)")}}},
        "Member": {"type": "object", "required": ["external_id"], "properties": {
            "external_id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
            "unit": {"type": ["string", "null"]}, "bucket": {"type": "integer"}, "explicit": {"type": "boolean"}}},
        "Estimate": {"type": "object", "properties": {
            "value": {"type": ["number", "null"]}, "low": {"type": ["number", "null"]},
            "high": {"type": ["number", "null"]}, "n": {"type": "integer"}},
            "description": "a value with its 95 % interval (Wilson for shares, t for means)"},
        "Results": {"type": "object", "required": ["invited", "responded", "response_rate", "questions", "problems"],
                    "properties": {
                        "wave": {"type": "integer"}, "invited": {"type": "integer"}, "responded": {"type": "integer"},
                        "response_rate": _ref("Estimate"),
                        "questions": {"type": "object", "additionalProperties": {"type": "object"}},
                        "problems": {"type": "object"}, "hours_lost": {"type": ["object", "null"]},
                        "hidden": {"type": "boolean", "description": "an anonymous group smaller than k"}}},
        "Gate": {"type": "object", "required": ["verdict", "criteria"], "properties": {
            "verdict": {"type": "string", "enum": ["go", "no_go", "insufficient_evidence"]},
            "criteria": {"type": "array", "items": {"type": "object", "required": ["name", "passed", "value",
                                                                                    "threshold", "detail"],
                                                     "properties": {
                "name": {"type": "string"}, "passed": {"type": ["boolean", "null"]},
                "value": {"type": ["number", "null"]}, "threshold": {"type": ["number", "null"]},
                "low": {"type": ["number", "null"]}, "high": {"type": ["number", "null"]},
                "detail": {"type": "string"}}}},
            "settings": _ref("GateSettings")}},
        "GateSettings": {"type": "object", "additionalProperties": False,
                         "description": "in a change, null sets a criterion back to the default; other names are "
                                        "refused", "properties": {
            "min_responses": {"type": ["integer", "null"], "minimum": 0, "maximum": 100000},
            "min_response_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "min_satisfied": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "max_open_blockers": {"type": ["integer", "null"], "minimum": 0, "maximum": 100000},
            "lessons_ready": {"type": ["boolean", "null"]}}},
        "Transition": {"type": "object", "required": ["to"], "properties": {
            "to": {"type": "string", "enum": list(WAVE_STATES),
                   "description": "to resume a paused wave, the state it was paused in (paused_from)"},
            "decision": {"type": ["string", "null"], "description": "with to=done: go, no_go or extend"},
            "rationale": {"type": ["string", "null"], "description": "with to=done: why (at most 5000 characters)"}},
            "if": {"required": ["to"], "properties": {"to": {"const": "done"}}},
            "then": {"required": ["decision"], "properties": {"decision": {"enum": list(DECISIONS)},
                                                              "rationale": text(5000, nullable=True)}}},
        "Decision": {"type": "object", "required": ["decision"], "properties": {
            "decision": {"type": "string", "enum": list(DECISIONS)},
            "rationale": text(5000, nullable=True, description="required when the decision goes against the "
                                                               "gate's verdict")}},
        "RecordedDecision": {"type": "object", "required": [
                "decision", "rationale", "verdict", "against_verdict", "decided_by", "decided_at", "snapshot"],
            "properties": {
                "decision": {"type": "string", "enum": list(DECISIONS)}, "rationale": {"type": "string"},
                "verdict": {"type": "string", "enum": ["go", "no_go", "insufficient_evidence"]},
                "against_verdict": {"type": "boolean"},
                "decided_by": {"type": ["string", "null"], "description": "the lead's e-mail address"},
                "decided_at": {"type": "string", "format": "date-time"},
                "snapshot": {"type": "object", "description": "the results, the gate's evaluation and the criteria "
                                                              "as they stood when the decision was made",
                             "properties": {"results": {"type": "object"}, "gate": {"type": "object"},
                                            "criteria": {"type": "object"}}}}},
        **feedback_schemas,
        **retro_schemas(),
        **lesson_schemas(),
    }
    error = {"content": {"application/json": {"schema": _ref("Error")}}}
    responses = {
        "BadRequest": {"description": "The body is not a JSON object or not the right media type.", **error},
        "Unauthorized": {"description": "No valid bearer token.", **error},
        "Forbidden": {"description": "The token's user may not do this.", **error},
        "NotFound": {"description": "No such resource (or not visible to the token's user).", **error},
        "Invalid": {"description": "Validation failed; details lists each problem.", **error},
        "TooLarge": {"description": "The body is larger than the server takes (MAX_CONTENT_LENGTH).", **error},
        "Conflict": {"description": "A guard of the state machine failed; details names it.", **error},
        "LinkNotValid": {"description": "Unknown or revoked personal token (the answer says nothing more).", **error},
        "FeedbackClosed": {"description": "The wave does not take this now (feedback closed or not open yet).",
                           **error},
    }
    wave_path = [KEY, NUMBER]
    paths = {
        "/health": {"get": {"summary": "Liveness and database check", "security": [],
                            "responses": {"200": _json({"type": "object", "properties": {
                                "status": {"type": "string"}, "database": {"type": "string"}}})}}},
        "/people": {
            "post": {"summary": "Create or update people by external_id (all or nothing)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["people"],
                         "properties": {"people": {"type": "array", "minItems": 1, "items": _ref("Person"),
                                                   "description": "each external_id once"},
                                        "rollout": {**FOR_ROLLOUT, "type": ["string", "null"]}}}}}},
                     "responses": {"200": _json(_ref("UpsertResult")), **ERRORS}},
            "get": {"summary": "List and search people",
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}},
                                   {"name": "unit", "in": "query", "schema": {"type": "string"}}, *PAGING],
                    "responses": {"200": _json(_list_of("Person")), **ERRORS}}},
        "/people/import": {"post": {
            "summary": "Import a CSV file of people (all or nothing)",
            "description": "Header external_id,name,email,unit[,language][,attribute...]. On error, details lists "
                           "{line, field, message}; line 1 is the header.",
            "parameters": [{"name": "rollout", "in": "query", "schema": FOR_ROLLOUT}],
            "requestBody": {"required": True, "content": {
                media_type: {"schema": {"type": "string", "description": "UTF-8 (or Windows-1252), commas or "
                                                                          "semicolons; every line is checked"}}
                for media_type in ("text/csv", "application/csv", "text/plain")}},
            "responses": {"200": _json(_ref("UpsertResult")), **ERRORS, "413": {
                "description": "The file is too large (64 MB unless IMPORT_MAX_CONTENT_LENGTH says otherwise).",
                "content": {"application/json": {"schema": _ref("Error")}}}}}},
        **person_data_paths(),
        "/rollouts": {
            "post": {"summary": "Create a rollout (the caller becomes its lead)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Rollout")}}},
                     "responses": {"201": _json(_ref("Rollout"), "Created"), **ERRORS}},
            "get": {"summary": "The rollouts the caller can see", "parameters": PAGING,
                    "responses": {"200": _json(_list_of("Rollout")), **ERRORS}}},
        "/rollouts/{key}": {
            "get": {"summary": "One rollout", "parameters": [KEY], "responses": {"200": _json(_ref("Rollout")), **ERRORS}},
            "patch": {"summary": "Change a rollout's fields (those left out keep their values)", "parameters": [KEY],
                      "requestBody": _body("RolloutChange"),
                      "responses": {"200": _json(_ref("Rollout")), **ERRORS}}},
        "/rollouts/{key}/waves": {
            "post": {"summary": "Plan the next wave (numbered from 0, the pilot)", "parameters": [KEY],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewWave")}}},
                     "responses": {"201": _json(_ref("Wave"), "Created"), **ERRORS}},
            "get": {"summary": "The rollout's waves", "parameters": [KEY, *PAGING],
                    "responses": {"200": _json(_list_of("Wave")), **ERRORS}}},
        "/rollouts/{key}/waves/{n}": {
            "get": {"summary": "One wave", "parameters": wave_path, "responses": {"200": _json(_ref("Wave")), **ERRORS}},
            "patch": {"summary": "Change a wave (the selection only before it starts)", "parameters": wave_path,
                      "requestBody": _body("WaveChange"),
                      "responses": {"200": _json(_ref("Wave")), "409": {"$ref": "#/components/responses/Conflict"},
                                    **ERRORS}}},
        "/rollouts/{key}/waves/{n}/preview": {"get": {
            "summary": "The people the selection would take now", "parameters": [*wave_path, *PAGING],
            "responses": {"200": _json(_list_of("Member")), **ERRORS}}},
        "/rollouts/{key}/waves/{n}/members": {"get": {
            "summary": "The members fixed when the wave started", "parameters": [*wave_path, *PAGING],
            "responses": {"200": _json(_list_of("Member")), **ERRORS}}},
        "/rollouts/{key}/waves/{n}/transitions": {"post": {
            "summary": "Move the wave to another state", "parameters": wave_path,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Transition")}}},
            "responses": {"200": _json(_ref("Wave")), "409": {"$ref": "#/components/responses/Conflict"}, **ERRORS}}},
        "/rollouts/{key}/waves/{n}/decision": {"post": {
            "summary": "Record go / no-go / extend for a wave in review", "parameters": wave_path,
            "requestBody": _body("Decision"),
            "responses": {"200": _json(_ref("Wave")), "409": {"$ref": "#/components/responses/Conflict"}, **ERRORS}}},
        "/rollouts/{key}/waves/{n}/decisions": {"get": {
            "summary": "Every decision on the wave, oldest first, with the snapshot of the evidence it was made on",
            "parameters": wave_path,
            "responses": {"200": _json({"type": "object", "required": ["items", "total"], "properties": {
                "items": {"type": "array", "items": _ref("RecordedDecision")}, "total": {"type": "integer"}}}),
                **ERRORS}}},
        "/rollouts/{key}/results": {"get": {
            "summary": "Every wave's results", "parameters": [KEY],
            "responses": {"200": _json(_list_of("Results")), **ERRORS}}},
        "/rollouts/{key}/waves/{n}/results": {"get": {
            "summary": "A wave's results: invited, responded, response rate, per question, problems, hours lost",
            "parameters": wave_path, "responses": {"200": _json(_ref("Results")), **ERRORS}}},
        "/rollouts/{key}/waves/{n}/gate": {
            "get": {"summary": "The gate's verdict and each criterion with value, interval, threshold and why",
                    "parameters": wave_path, "responses": {"200": _json(_ref("Gate")), **ERRORS}},
            "put": {"summary": "This wave's overrides of the rollout's criteria (null removes one)",
                    "parameters": wave_path,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("GateSettings")}}},
                    "responses": {"200": _json(_ref("GateSettings")), **ERRORS}}},
        "/rollouts/{key}/gate": {"put": {
            "summary": "The rollout's default gate criteria (null sets one back to the default)", "parameters": [KEY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("GateSettings")}}},
            "responses": {"200": _json(_ref("GateSettings")), **ERRORS}}},
        "/rollouts/{key}/questionnaire": {
            "get": {"summary": "The current questionnaire, or an older version", "parameters": [
                        KEY, {"name": "version", "in": "query",
                              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
                    "responses": {"200": _json(_ref("Questionnaire")), **ERRORS}},
            "put": {"summary": "Save the questions as a new version (waves that opened feedback keep theirs)",
                    "parameters": [KEY],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Questionnaire")}}},
                    "responses": {"200": _json(_ref("Questionnaire")), **ERRORS}}},
        "/feedback/{token}": {
            "get": {"summary": "What a personal link opens: the wave's questions, the window, the answers so far",
                    "security": [], "parameters": [TOKEN],
                    "responses": {"200": _json(_ref("FeedbackForm")), "404": PERSONAL_ERRORS["404"]}},
            "post": {"summary": "Answer, or edit the answers (one response per person and wave)",
                     "security": [], "parameters": [TOKEN],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Submission")}}},
                     "responses": {"200": _json(_ref("Receipt")), **PERSONAL_ERRORS}}},
        "/feedback/{token}/problems": {"post": {
            "summary": "Report a problem while the wave is active or collecting feedback", "security": [],
            "parameters": [TOKEN],
            "requestBody": _body("NewProblemReport"),
            "responses": {"201": _json(_ref("ProblemReceipt"), "Created"),
                          **PERSONAL_ERRORS}}},
        "/rollouts/{key}/problems": {"get": {
            "summary": "The rollout's problem reports: open ones first, blockers first", "parameters": [
                KEY, {"name": "wave", "in": "query", "schema": WAVE_FILTER,
                      "description": "a wave number of the rollout (422 for another); empty: every wave"},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["", *PROBLEM_STATUSES]},
                 "description": "empty: every status"},
                *PAGING],
            "responses": {"200": _json(_list_of("ProblemReport")), **ERRORS}}},
        "/problems/{id}": {"patch": {
            "summary": "Triage a problem report (leads)", "parameters": [PROBLEM_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Triage")}}},
            "responses": {"200": _json(_ref("ProblemReport")), **ERRORS}}},
        **retro_paths(),
        **lesson_paths(),
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": _json({"type": "object"})}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rollout API", "version": "1",
                 "description": "Staged pilot rollouts: people, rollouts, waves and who is in each wave; "
                                "questionnaires, participants' feedback and problem reports; each wave's "
                                "retrospective and the lessons carried into the next wave, and the lesson "
                                "library across rollouts."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": schemas, "responses": responses},
        "paths": paths,
    }


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _nullable(schema: dict) -> dict:
    return {"oneOf": [schema, {"type": "null"}]}


def retro_schemas() -> dict:
    kind = {"type": "string", "enum": list(CARD_KINDS),
            "description": "went well, could be better, celebrate, idea"}
    theme = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}
    return {
        "Card": {"type": "object", "required": ["id", "kind", "text", "votes"], "properties": {
            "id": {"type": "integer", "readOnly": True}, "kind": kind,
            "text": {"type": "string", "maxLength": 2000},
            "votes": {"type": "integer", "readOnly": True, "description": "every team member's dots on the card"},
            "theme": {"type": ["integer", "null"],
                      "description": "the theme it is grouped in; set it to move the card, null to take it out"},
            "source": {"type": "string", "enum": ["team", "participant"], "readOnly": True,
                       "description": "written in the retrospective, or copied from a participant's answer"},
            "my_votes": {"type": "integer", "readOnly": True, "description": "the token's user's dots on it"},
            "created_at": {"type": "string", "format": "date-time", "readOnly": True}}},
        "NewCard": {"type": "object", "properties": {
            "kind": {**kind, "type": ["string", "null"], "enum": [*CARD_KINDS, None]},
            "text": {"type": ["string", "null"]},
            "theme": {**theme, "description": "a theme of this retrospective to put it in"},
            "answer": {"type": ["string", "null"], "description": "instead of text: the id (an opaque reference) of "
                       "a participant's free-text answer (GET .../retro, evidence.texts) to copy onto a card, never "
                       "with a name; kind defaults to the one the question suggests; 404 for no such answer"}},
            "description": "kind and text; or answer",
            "anyOf": [{"required": ["kind", "text"], "properties": {
                          "kind": kind, "text": text(2000, required=True), "answer": {"type": "null"}}},
                      {"required": ["answer"], "properties": {"answer": {"type": "string"}}}]},
        "CardChange": {"type": "object", "properties": {
            "kind": kind, "text": text(2000, required=True),
            "theme": {**theme, "description": "move into this theme of the retrospective; null: into no theme"}}},
        "CardVotes": {"allOf": [_ref("Card"), {"type": "object", "required": ["votes_left"], "properties": {
            "votes_left": {"type": "integer", "description": "the token's user's dots left in this retrospective"}}}]},
        "Theme": {"type": "object", "required": ["id", "title", "votes", "cards"], "properties": {
            "id": {"type": "integer", "readOnly": True}, "title": {"type": "string", "maxLength": 200},
            "votes": {"type": "integer", "readOnly": True, "description": "the dots on its cards"},
            "cards": {"type": "array", "items": _ref("Card"), "readOnly": True},
            "lessons": {"type": "array", "items": {"type": "integer"}, "readOnly": True,
                        "description": "ids of the lessons made of it"}}},
        "NewTheme": {"type": "object", "required": ["title"], "properties": {
            "title": text(200, required=True),
            "cards": {"type": ["array", "null"], "maxItems": 1000,
                      "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                      "description": "ids of cards of this retrospective to move into it"}}},
        "ThemeChange": {"type": "object", "properties": {"title": text(200, required=True)}},
        "Comparison": {"type": "object", "properties": {
            "metric": {"type": ["string", "null"], "description": "a question code, or problems:<category>"},
            "label": {"type": ["string", "null"]},
            "measure": {"type": ["string", "null"], "enum": ["share", "mean", None]},
            "higher_is_better": {"type": ["boolean", "null"]},
            "before": _nullable(_ref("Estimate")), "after": _nullable(_ref("Estimate")),
            "change": _nullable(_ref("Estimate")),
            "outcome": {"type": ["string", "null"], "enum": ["better", "worse", "unclear", None],
                        "description": "better or worse only when the change's whole 95 % interval says so"},
            "proposal": {"type": ["string", "null"], "enum": ["effective", "ineffective", "inconclusive", None]}}},
        "TextAnswer": {"type": "object", "properties": {
            "id": {"type": "string", "description": "an opaque reference, not the row id"}, "code": {"type": "string"}, "prompt": {"type": "string"},
            "text": {"type": "string"},
            "respondent": {"type": ["string", "null"], "description": "null in an anonymous rollout"},
            "suggested_kind": kind}},
        "Retro": {"type": "object", "required": ["budget", "votes_left", "themes", "ungrouped", "evidence"],
                  "properties": {
            "wave": {"type": "integer"},
            "open": {"type": "boolean", "description": "cards and votes are taken from the wave's feedback on"},
            "budget": {"type": "integer", "description": "dots per team member"},
            "votes_left": {"type": "integer", "description": "the token's user's dots left"},
            "cards_total": {"type": "integer"},
            "themes": {"type": "array", "items": _ref("Theme"), "description": "most votes first"},
            "ungrouped": {"type": "array", "items": _ref("Card"), "description": "the cards in no theme"},
            "evidence": {"type": "object", "properties": {
                "previous_wave": {"type": ["integer", "null"]},
                "changes": {"type": "array", "items": _ref("Comparison"),
                            "description": "each metric since the previous wave"},
                "problem_categories": {"type": "array", "description": "most reports first", "items": {
                    "type": "object", "properties": {"code": {"type": "string"}, "label": {"type": "string"},
                                                     "count": {"type": "integer"},
                                                     "reporters": {"type": "integer",
                                                                   "description": "members who reported"},
                                                     "per_100": {"type": ["number", "null"],
                                                                 "description": "reporters per 100 members"}}}},
                "serious_problems": {"type": "array", "description": "blockers, then major, newest first", "items": {
                    "type": "object", "properties": {"id": {"type": "integer"}, "category": {"type": "string"},
                                                     "severity": {"type": "string", "enum": list(SEVERITIES)},
                                                     "status": {"type": "string"},
                                                     "description": {"type": "string"},
                                                     "created_at": {"type": "string", "format": "date-time"}}}},
                "lessons": {"type": "array", "description": "the lessons that targeted this wave", "items": {
                    "type": "object", "properties": {"lesson": _ref("Lesson"),
                                                     "verification": _nullable(_ref("Comparison"))}}},
                "texts": {"type": "object", "description": "the participants' free-text answers, paged",
                          "properties": {
                              "items": {"type": "array", "items": _ref("TextAnswer")}, "total": {"type": "integer"},
                              "page": {"type": "integer"}, "per_page": {"type": "integer"},
                              "hidden": {"type": "boolean",
                                         "description": "an anonymous group smaller than k: no texts"},
                              "code": {"type": ["string", "null"]}}}}}}},
    }


def lesson_schemas() -> dict:
    wave_number = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ID,
                   "description": "a wave number of the rollout, not cancelled"}
    fields = {
        "title": text(200, required=True),
        "action": text(5000, nullable=True, description="what to do"),
        "origin_wave": {**wave_number, "description": "the wave it was learnt in"},
        "target_wave": {**wave_number, "description": "the wave it must change, after the origin; defaults to the "
                        "one after the origin; a wave that has not started"},
        "owner": {"type": ["string", "null"], "format": "email",
                  "description": "a user on the rollout's team; e-mailed when they become the owner"},
        "metric": {"type": ["string", "null"], "description": "a question code or problems:<category>"},
        "tags": _ref("Tags")}
    return {
        "Tags": parts.tags(),
        "Lesson": {"type": "object", "required": ["title"], "properties": {
            "id": {"type": "integer", "readOnly": True},
            "rollout": {"type": ["string", "null"], "readOnly": True,
                        "description": "the rollout's key; null in the library for a rollout the caller may not open"},
            **fields,
            "status": {"type": "string", "enum": list(LESSON_STATUSES), "readOnly": True},
            "reason": {"type": "string", "readOnly": True, "description": "why it was deferred or dropped"},
            "theme": {"type": ["integer", "null"], "readOnly": True},
            "source_lesson": {"type": ["integer", "null"], "readOnly": True,
                              "description": "the library lesson it was carried from"},
            "verification": {"type": ["object", "null"], "readOnly": True,
                             "description": "the comparison the team confirmed"},
            "proposal": {"type": ["string", "null"], "enum": ["effective", "ineffective", "inconclusive", None],
                         "readOnly": True, "description": "in the library: what its verification proposed"},
            "created_at": {"type": "string", "format": "date-time", "readOnly": True},
            "updated_at": {"type": "string", "format": "date-time", "readOnly": True}}},
        "NewLesson": {"type": "object", "description": "a title, or a theme to take it from", "properties": {
            **fields, "theme": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID, "description": (
                "a retrospective theme of this rollout: the lesson is made of it (its title and wave by default)")}},
            "anyOf": [{"required": ["title"], "properties": {"title": {"type": "string"}}},
                      {"required": ["theme"], "properties": {"theme": {"type": "integer"}}}]},
        "LessonChange": {"type": "object", "properties": {
            **fields,
            "status": {"type": ["string", "null"], "enum": [*LESSON_STATUSES, None], "description":
                       "open -> planned -> applied -> verified_effective | verified_ineffective; open or planned "
                       "-> deferred | dropped (with a reason); a move the flow does not allow is 409"},
            "reason": text(2000, nullable=True, description="required when the lesson becomes deferred or dropped")}},
        "Verification": {"allOf": [_ref("Comparison"), {"type": "object", "properties": {
            "lesson": {"type": "integer"}, "origin_wave": wave_number, "target_wave": wave_number,
            "confirmed": {"type": ["string", "null"], "enum": ["effective", "ineffective", None]}}}],
            "description": "the comparison's fields are null when the lesson has no metric, origin or target"},
        "Suggestion": {"type": "object", "required": ["lesson", "shared_tags"], "properties": {
            "lesson": _ref("Lesson"), "shared_tags": {"type": "array", "items": {"type": "string"}}}},
    }


FOR_ROLLOUT = {"type": "string", "description": "the key of the rollout the people are imported for: those it "
               "creates are deleted with the rollout's personal data, unless they are in another rollout; "
               "422 for an unknown key"}


def person_data_paths() -> dict:
    person = [{"name": "external_id", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": parts.EXTERNAL_ID}}]
    export = {"type": "object", "description": "everything stored about the person; never a link's token, and "
              "nothing of an anonymous rollout's responses (not linked to the person)", "properties": {
                  name: {"type": "array", "items": {"type": "object"}} for name in (
                      "memberships", "links", "responses", "problem_reports", "emails", "audit_events")}}
    export["properties"].update({"exported_at": {"type": "string", "format": "date-time"}, "profile": {
        "allOf": [_ref("Person"), {"type": "object", "properties": {
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "added_for_rollout": {"type": ["string", "null"]}}}]}})
    return {
        "/people/{external_id}/export": {"get": {
            "summary": "Everything stored about one person (people managers)", "parameters": person,
            "responses": {"200": _json(export), **ERRORS}}},
        "/people/{external_id}": {"delete": {
            "summary": "Erase a person (people managers)", "parameters": person,
            "description": "Deletes the person, their memberships, links and e-mails; their responses and "
                           "problem reports stay for the counts, without the person and without free texts.",
            "responses": {**NO_CONTENT, **ERRORS}}},
    }


def retro_paths() -> dict:
    wave = [KEY, NUMBER]
    card = [KEY, NUMBER, ID]
    return {
        "/rollouts/{key}/waves/{n}/retro": {"get": {
            "summary": "The wave's retrospective: the board, the caller's votes left, and the evidence",
            "description": "page / per_page page the participants' texts (evidence.texts); code keeps the "
                           "answers to one question. Labels follow Accept-Language (sv or en).",
            "parameters": [*wave, {"name": "code", "in": "query", "description": "empty: every question",
                                   "schema": {"type": "string", "pattern": f"^(?:{parts.QUESTION_CODE[1:-1]})?$"}},
                           *PAGING],
            "responses": {"200": _json(_ref("Retro")), **ERRORS}}},
        "/rollouts/{key}/waves/{n}/retro/cards": {
            "get": {"summary": "The retrospective's cards, oldest first", "parameters": [*wave, *PAGING],
                    "responses": {"200": _json(_list_of("Card")), **ERRORS}},
            "post": {"summary": "Add a card (or copy a participant's answer onto one)", "parameters": wave,
                     "description": "409 retro_not_open before the wave collects feedback.",
                     "requestBody": _body("NewCard"),
                     "responses": {"201": _json(_ref("Card"), "Created"), **CONFLICT, **ERRORS}}},
        "/rollouts/{key}/waves/{n}/retro/cards/{id}": {
            "get": {"summary": "One card", "parameters": card,
                    "responses": {"200": _json(_ref("CardVotes")), **ERRORS}},
            "patch": {"summary": "Change a card's kind or text, or move it into a theme (theme: null takes it out)",
                      "parameters": card, "requestBody": _body("CardChange"),
                      "responses": {"200": _json(_ref("CardVotes")), **CONFLICT, **ERRORS}},
            "delete": {"summary": "Remove a card (its votes go back to the voters)", "parameters": card,
                       "responses": {**NO_CONTENT, **CONFLICT, **ERRORS}}},
        "/rollouts/{key}/waves/{n}/retro/cards/{id}/votes": {
            "post": {"summary": "Put one of the caller's dots on the card", "parameters": card,
                     "description": "No body. 409 with guard no_votes_left when the caller's budget is spent.",
                     "responses": {"200": _json(_ref("CardVotes")), **CONFLICT, **ERRORS}},
            "delete": {"summary": "Take one of the caller's dots back from the card", "parameters": card,
                       "description": "409 with guard no_vote when the caller has none on it.",
                       "responses": {"200": _json(_ref("CardVotes")), **CONFLICT, **ERRORS}}},
        "/rollouts/{key}/waves/{n}/retro/themes": {"post": {
            "summary": "Group cards into a new theme", "parameters": wave, "requestBody": _body("NewTheme"),
            "responses": {"201": _json(_ref("Theme"), "Created"), **CONFLICT, **ERRORS}}},
        "/rollouts/{key}/waves/{n}/retro/themes/{id}": {
            "get": {"summary": "One theme with its cards", "parameters": card,
                    "responses": {"200": _json(_ref("Theme")), **ERRORS}},
            "patch": {"summary": "Rename a theme", "parameters": card, "requestBody": _body("ThemeChange"),
                      "responses": {"200": _json(_ref("Theme")), **CONFLICT, **ERRORS}},
            "delete": {"summary": "Remove a theme; its cards stay, in no theme", "parameters": card,
                       "responses": {**NO_CONTENT, **CONFLICT, **ERRORS}}},
    }


def lesson_paths() -> dict:
    one = [ID]
    status = {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["", *LESSON_STATUSES]},
              "description": "empty: every status"}
    return {
        "/rollouts/{key}/lessons": {
            "get": {"summary": "The rollout's lessons", "parameters": [
                        KEY, status, {"name": "target_wave", "in": "query", "schema": WAVE_FILTER},
                        {"name": "origin_wave", "in": "query", "schema": WAVE_FILTER}, *PAGING],
                    "responses": {"200": _json(_list_of("Lesson")), **ERRORS}},
            "post": {"summary": "A new lesson (open), written directly or made of a retrospective theme",
                     "parameters": [KEY],
                     "requestBody": _body("NewLesson"),
                     "responses": {"201": _json(_ref("Lesson"), "Created"), **CONFLICT, **ERRORS}}},
        "/rollouts/{key}/lessons/suggestions": {"get": {
            "summary": "Lessons of other rollouts that share tags with this one (proven ones first)",
            "parameters": [KEY],
            "responses": {"200": _json({"type": "object", "required": ["items", "total"], "properties": {
                "items": {"type": "array", "items": _ref("Suggestion")}, "total": {"type": "integer"}}}),
                **ERRORS}}},
        "/rollouts/{key}/lessons/carry": {"post": {
            "summary": "Carry a library lesson into this rollout (targeted at its first wave not yet started)",
            "parameters": [KEY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["lesson"], "properties": {
                    "lesson": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                               "description": "the library lesson's id"}}}}}},
            "responses": {"201": _json(_ref("Lesson"), "Created"), **CONFLICT, **ERRORS}}},
        "/lessons": {"get": {
            "summary": "The lesson library: every rollout's lessons, best matches first, then newest",
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"},
                            "description": "words of the title, action or tags (each a prefix, all required)"},
                           {"name": "tag", "in": "query", "schema": {"type": "string"}}, status, *PAGING],
            "responses": {"200": _json(_list_of("Lesson")), **ERRORS}}},
        "/lessons/{id}": {
            "get": {"summary": "One lesson", "parameters": one, "responses": {"200": _json(_ref("Lesson")), **ERRORS}},
            "patch": {"summary": "Change a lesson's fields and where it stands", "parameters": one,
                      "description": "409 with guard lesson_status on a move the flow does not allow, "
                                     "target_not_reviewed when verifying before the target wave's review.",
                      "requestBody": _body("LessonChange"),
                      "responses": {"200": _json(_ref("Lesson")), **CONFLICT, **ERRORS}},
            "delete": {"summary": "Delete an open lesson (later ones are dropped with a reason)", "parameters": one,
                       "responses": {**NO_CONTENT, **CONFLICT, **ERRORS}}},
        "/lessons/{id}/verification": {"get": {
            "summary": "The lesson's metric in its origin and target wave, and the proposal",
            "parameters": one, "responses": {"200": _json(_ref("Verification")), **ERRORS}}},
    }


@api.get("/openapi.json")
def openapi_json():
    return jsonify(document())
