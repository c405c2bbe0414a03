"""The OpenAPI 3.1 document at /api/v1/openapi.json, derived by flask-smorest (apispec) from the
schemas and the routes: nothing of it is written twice. This module wires the extension in: the
document's frame, the error responses every operation refers to, and `operation(...)`, the summary
and the error statuses of one operation."""
from __future__ import annotations

from typing import Any, Callable

from apispec import BasePlugin
from flask import Flask, Response, current_app, jsonify
from flask_smorest import Api
from flask_smorest.spec.plugins import FlaskPlugin
from werkzeug.routing import Rule

from .common import API_PREFIX, MAX_ID, api
from .schemas.base import field_doc
from .schemas.feedback import ANSWERS_DOC
from .schemas.patterns import KEY as rollout_key
from .schemas.patterns import tags

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "details"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "details": {"type": ["array", "object"]}}}}}
RESPONSES = {
    "BadRequest": "The body is not a JSON object or not the right media type.",
    "Unauthorized": "No valid bearer token.",
    "Forbidden": "The token's user may not do this.",
    "NotFound": "No such resource (or not visible to the token's user).",
    "Invalid": "Validation failed; details lists each problem.",
    "TooLarge": "The body is larger than the server takes (MAX_CONTENT_LENGTH).",
    "Conflict": "A guard of the state machine failed; details names it.",
    "LinkNotValid": "Unknown or revoked personal token (the answer says nothing more).",
    "FeedbackClosed": "The wave does not take this now (feedback closed or not open yet).",
    "TooMany": "Too many ideas or supports from this client or e-mail address in an hour; try again later.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


ERRORS = {str(code): _ref(name) for code, name in ((400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"),
                                                   (404, "NotFound"), (413, "TooLarge"), (422, "Invalid"))}
CONFLICT = {"409": _ref("Conflict")}
# the personal token is the credential: no 401 or 403, and 404 says only that the link does not work
PERSONAL_ERRORS = {"400": ERRORS["400"], "404": _ref("LinkNotValid"), "409": _ref("FeedbackClosed"),
                   "413": ERRORS["413"], "422": ERRORS["422"]}

KEY_PARAMETER = {"name": "key", "in": "path", "schema": {"type": "string", "pattern": rollout_key}}
NUMBER_PARAMETER = {"name": "number", "in": "path", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    "description": "the wave's number: 0 is the pilot"}
ID_PARAMETER = {"name": "id", "in": "path", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
TOKEN_PARAMETER = {"name": "token", "in": "path", "schema": {"type": "string", "maxLength": 100},
                   "description": "the personal token: the last part of the participant's link /f/<token>"}
WAVE_PARAMETERS = [KEY_PARAMETER, NUMBER_PARAMETER]
# the public idea form's calls: no token, and a rate limit
PUBLIC_ERRORS = {"400": ERRORS["400"], "413": ERRORS["413"], "422": ERRORS["422"], "429": _ref("TooMany")}

DESCRIPTION = ("Staged pilot rollouts: people, rollouts, waves and who is in each wave; questionnaires, "
               "participants' feedback and problem reports; each wave's retrospective and the lessons carried "
               "into the next wave, and the lesson library across rollouts.")


def operation(summary: str, *, errors: dict[str, Any] | None = None, conflict: bool = False,
              personal: bool = False, **doc: Any) -> Callable:
    """The summary and the error statuses of an operation (by default those of a bearer-token call);
    `personal`: answered through a participant's personal link, without a bearer token."""
    responses = dict((PERSONAL_ERRORS if personal else ERRORS) if errors is None else errors)
    if conflict:
        responses.update(CONFLICT)
    if personal:
        doc["security"] = []

    def documented(view: Callable) -> Callable:
        # tagged with its resource: the module of the API that serves it
        return api.doc(summary=summary, responses=responses, tags=[view.__module__.rsplit(".", 1)[-1]], **doc)(view)
    return documented


def query(*schemas: type) -> Callable:
    """Document the query parameters the schemas declare."""
    return api.doc(parameters=[{"in": "query", "schema": schema} for schema in schemas])


def body(schema: Any, media_type: str = "application/json") -> Callable:
    """Document the request body `schema` declares (the view loads it, after its checks)."""
    return api.doc(requestBody={"required": True, "content": {media_type: {"schema": schema}}})


# The document's names of path parameters, as they have been since the first version of the API
# (a client never sends the names, but generated clients and the document's readers see them).
DOCUMENTED_NAMES = {"number": "n", "card_id": "id", "theme_id": "id", "lesson_id": "id", "problem_id": "id",
                    "checkin_id": "id", "job_id": "id", "win_id": "id", "idea_id": "id"}


class RelativePaths(FlaskPlugin):
    """Paths relative to the server URL /api/v1, as clients join them, with the documented names."""

    def path_helper(self, rule: Rule, operations: Any, parameters: Any, **kwargs: Any) -> str:
        path = super().path_helper(rule, operations, parameters, **kwargs).removeprefix(API_PREFIX)
        for parameter in parameters:
            if parameter.get("in") == "path":
                parameter["name"] = DOCUMENTED_NAMES.get(parameter["name"], parameter["name"])
        for operation in operations.values():  # each operation names its own (as clients read them)
            if parameters or operation.get("parameters"):
                operation["parameters"] = [*parameters, *operation.get("parameters", [])]
        parameters.clear()
        for name, documented in DOCUMENTED_NAMES.items():
            path = path.replace("{%s}" % name, "{%s}" % documented)
        return path


class SchemaExtras(BasePlugin):
    """A schema's `json_schema` (required names, anyOf, if/then) joins its part of the document."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        extras = getattr(schema, "json_schema", None)
        return {**definition, **extras} if extras else None


class RestApi(Api):
    """flask-smorest for the document and the serialisation; the app's own error handlers answer
    every error (in the envelope and language the API has always used)."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        pass

    def _register_responses(self) -> None:
        for name, description in RESPONSES.items():
            self.spec.components.response(name, {"description": description, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Rollout API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION}, "servers": [{"url": API_PREFIX}], "security": [{"bearer": []}]})
    rest = RestApi(spec_kwargs={"flask_plugin": RelativePaths(), "extra_plugins": [SchemaExtras()]})
    rest.init_app(app)
    rest.ma_plugin.converter.add_attribute_function(field_doc)
    rest.spec.components.schema("Error", ERROR)
    rest.spec.components.schema("Tags", tags())
    rest.spec.components.schema("Answers", ANSWERS_DOC)
    rest.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    rest.register_blueprint(api)


def document() -> dict[str, Any]:
    """The document of the current app."""
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


@api.get("/openapi.json")
@operation("This document", security=[],
           errors={"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}})
def openapi_json() -> Response:
    return jsonify(document())
