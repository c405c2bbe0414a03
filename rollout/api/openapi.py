"""The OpenAPI 3.1 document of what the API offers, at /api/v1/openapi.json."""
from __future__ import annotations

from flask import jsonify

from . import MAX_PAGE, MAX_PER_PAGE, api


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list_of(name: str) -> dict:
    return {"type": "object", "required": ["items", "total"],
            "properties": {"items": {"type": "array", "items": _ref(name)}, "total": {"type": "integer"},
                           "page": {"type": "integer"}, "per_page": {"type": "integer"}}}


ERRORS = {str(code): {"$ref": f"#/components/responses/{name}"} for code, name in
          ((400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (422, "Invalid"))}
PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
          {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}}]
KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
NUMBER = {"name": "n", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}


def document() -> dict:
    selection = {"type": "object", "properties": {
        "people": {"type": "array", "items": {"type": "string"}, "description": "external ids, always included"},
        "units": {"type": "array", "items": {"type": "string"}},
        "attributes": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "percentage": {"type": ["integer", "null"], "minimum": 1, "maximum": 100,
                       "description": "cumulative; Unleash bucket of '<rollout key>:<external id>'"}}}
    schemas = {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {"type": ["array", "object"]}}}}},
        "Person": {"type": "object", "required": ["external_id", "name", "email"], "properties": {
            "external_id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string", "format": "email"},
            "unit": {"type": ["string", "null"]}, "language": {"type": "string", "enum": ["sv", "en"]},
            "attributes": {"type": "object", "additionalProperties": {"type": ["string", "number", "null"]}}}},
        "UpsertResult": {"type": "object", "required": ["created", "updated"],
                         "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"}}},
        "Rollout": {"type": "object", "required": ["key", "name"], "properties": {
            "key": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"},
            "name": {"type": "string"}, "description": {"type": "string"}, "anonymous": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time", "readOnly": True},
            "waves": {"type": "integer", "readOnly": True}}},
        "Selection": selection,
        "Wave": {"type": "object", "required": ["name", "selection"], "properties": {
            "number": {"type": "integer", "readOnly": True}, "name": {"type": "string"},
            "state": {"type": "string", "readOnly": True,
                      "enum": ["planned", "active", "feedback", "review", "done", "paused", "cancelled"]},
            "selection": _ref("Selection"), "members_count": {"type": "integer", "readOnly": True},
            "planned_start": {"type": ["string", "null"], "format": "date-time"},
            "planned_end": {"type": ["string", "null"], "format": "date-time"},
            "feedback_days": {"type": "integer", "minimum": 1, "maximum": 90},
            "auto_advance": {"type": "boolean"},
            "decision": {"type": ["string", "null"], "enum": ["go", "no_go", "extend", None], "readOnly": True}}},
        "Member": {"type": "object", "required": ["external_id"], "properties": {
            "external_id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
            "unit": {"type": ["string", "null"]}, "bucket": {"type": "integer"}, "explicit": {"type": "boolean"}}},
        "Transition": {"type": "object", "required": ["to"], "properties": {
            "to": {"type": "string", "enum": ["active", "feedback", "review", "done", "paused", "cancelled", "planned"],
                   "description": "to resume a paused wave, the state it was paused in (paused_from)"},
            "decision": {"type": "string", "enum": ["go", "no_go", "extend"], "description": "with to=done"},
            "rationale": {"type": "string"}}},
    }
    error = {"content": {"application/json": {"schema": _ref("Error")}}}
    responses = {
        "BadRequest": {"description": "The body is not a JSON object or not the right media type.", **error},
        "Unauthorized": {"description": "No valid bearer token.", **error},
        "Forbidden": {"description": "The token's user may not do this.", **error},
        "NotFound": {"description": "No such resource (or not visible to the token's user).", **error},
        "Invalid": {"description": "Validation failed; details lists each problem.", **error},
        "Conflict": {"description": "A guard of the state machine failed; details names it.", **error},
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
                         "properties": {"people": {"type": "array", "items": _ref("Person")}}}}}},
                     "responses": {"200": _json(_ref("UpsertResult")), **ERRORS}},
            "get": {"summary": "List and search people",
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}},
                                   {"name": "unit", "in": "query", "schema": {"type": "string"}}, *PAGING],
                    "responses": {"200": _json(_list_of("Person")), **ERRORS}}},
        "/people/import": {"post": {
            "summary": "Import a CSV file of people (all or nothing)",
            "description": "Header external_id,name,email,unit[,language][,attribute...]. On error, details lists "
                           "{line, field, message}; line 1 is the header.",
            "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
            "responses": {"200": _json(_ref("UpsertResult")), **ERRORS}}},
        "/rollouts": {
            "post": {"summary": "Create a rollout (the caller becomes its lead)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Rollout")}}},
                     "responses": {"201": _json(_ref("Rollout"), "Created"), **ERRORS}},
            "get": {"summary": "The rollouts the caller can see", "parameters": PAGING,
                    "responses": {"200": _json(_list_of("Rollout")), **ERRORS}}},
        "/rollouts/{key}": {
            "get": {"summary": "One rollout", "parameters": [KEY], "responses": {"200": _json(_ref("Rollout")), **ERRORS}},
            "patch": {"summary": "Change name, description or anonymity", "parameters": [KEY],
                      "requestBody": {"content": {"application/json": {"schema": _ref("Rollout")}}},
                      "responses": {"200": _json(_ref("Rollout")), **ERRORS}}},
        "/rollouts/{key}/waves": {
            "post": {"summary": "Plan the next wave (numbered from 0, the pilot)", "parameters": [KEY],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Wave")}}},
                     "responses": {"201": _json(_ref("Wave"), "Created"), **ERRORS}},
            "get": {"summary": "The rollout's waves", "parameters": [KEY, *PAGING],
                    "responses": {"200": _json(_list_of("Wave")), **ERRORS}}},
        "/rollouts/{key}/waves/{n}": {
            "get": {"summary": "One wave", "parameters": wave_path, "responses": {"200": _json(_ref("Wave")), **ERRORS}},
            "patch": {"summary": "Change a wave (the selection only before it starts)", "parameters": wave_path,
                      "requestBody": {"content": {"application/json": {"schema": _ref("Wave")}}},
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
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["decision"], "properties": {
                    "decision": {"type": "string", "enum": ["go", "no_go", "extend"]},
                    "rationale": {"type": "string"}}}}}},
            "responses": {"200": _json(_ref("Wave")), "409": {"$ref": "#/components/responses/Conflict"}, **ERRORS}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": _json({"type": "object"})}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rollout API", "version": "1",
                 "description": "Staged pilot rollouts: people, rollouts, waves and who is in each wave."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": schemas, "responses": responses},
        "paths": paths,
    }


@api.get("/openapi.json")
def openapi_json():
    return jsonify(document())
