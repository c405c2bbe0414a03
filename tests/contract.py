"""Every API response the suite sees, held against the OpenAPI document (a pytest plugin).

Each response of /api/v1 during any test -- its status and, for JSON, its body -- is checked
against what /api/v1/openapi.json declares for that operation: a status the operation does not
declare, or a body its schema does not allow, fails the test that made it. So the document cannot
drift from what the API returns without the suite saying where."""
from __future__ import annotations

import json
import re
from typing import Optional
from urllib.parse import quote, unquote

import jsonschema_rs
import pytest
from flask import request, request_finished

API = "/api/v1"
_DOCUMENT: dict = {}
_VALIDATORS: dict[str, object] = {}
_SEEN: list[str] = []  # what the current test's responses broke


def _document(app) -> dict:
    if not _DOCUMENT:
        with app.test_request_context():
            from rollout.api.spec import document
            _DOCUMENT.update(json.loads(json.dumps(document())))
    return _DOCUMENT


def _resolve(document: dict, schema):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = _at(document, schema["$ref"])
    return schema if isinstance(schema, dict) else {}


def _at(document: dict, pointer: str):
    node = document
    for part in unquote(pointer[2:]).split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _members(document: dict, schema) -> list[dict]:
    """The schema and every schema it is made of (allOf, anyOf, oneOf, if/then/else), resolved."""
    schema = _resolve(document, schema)
    found = [schema]
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found.extend(_members(document, part))
    for key in ("then", "else"):
        if key in schema:
            found.extend(_members(document, schema[key]))
    return found


def undeclared(document: dict, schema, value, where: str = "") -> list[str]:
    """The fields of `value` its schema does not name, where the schema does not allow others: a
    field the API returns and the document leaves out is a drift too."""
    members = _members(document, schema)
    found = []
    if isinstance(value, dict):
        declared: dict[str, list] = {}
        for member in members:
            for name, sub in (member.get("properties") or {}).items():
                declared.setdefault(name, []).append(sub)
        others = [m["additionalProperties"] for m in members if m.get("additionalProperties") not in (None, False)]
        if declared and not others:
            extra = sorted(set(value) - set(declared))
            if extra:
                found.append(f"{', '.join(extra)} not in the document at {where or 'the body'}")
        for name, item in value.items():
            for sub in declared.get(name, []) + others:
                found.extend(undeclared(document, sub, item, f"{where}/{name}"))
    elif isinstance(value, list):
        for member in members:
            if isinstance(member.get("items"), dict):
                for index, item in enumerate(value):
                    found.extend(undeclared(document, member["items"], item, f"{where}/{index}"))
    return list(dict.fromkeys(found))


def _shape(rule: str) -> str:
    """A route with its parameters unnamed: /rollouts/<key>/waves/<int:number> -> /rollouts/{}/waves/{}."""
    return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", rule)


def _pointer(*parts: str) -> str:
    """A JSON pointer as a URI fragment: ~ and / escaped, then { and } percent-encoded."""
    return "#/" + "/".join(quote(part.replace("~", "~0").replace("/", "~1"), safe="~") for part in parts)


def _operation(document: dict, rule: str, method: str) -> Optional[tuple[str, dict]]:
    wanted = _shape(rule[len(API):])
    for path, item in document.get("paths", {}).items():
        if _shape(path) == wanted and method in item:
            return path, item[method]
    return None


def _response_schema(document: dict, path: str, method: str, status: str, operation: dict):
    """The JSON pointer of the body's schema for `status` (None: no body declared), or False when
    the operation does not declare the status at all."""
    responses = operation.get("responses", {})
    key = status if status in responses else ("default" if "default" in responses else None)
    if key is None:
        return False
    response = responses[key]
    where = ("paths", path, method, "responses", key)
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        response, where = document["components"]["responses"][name], ("components", "responses", name)
    if "application/json" not in response.get("content", {}):
        return None
    return _pointer(*where, "content", "application/json", "schema")


def check(app, response) -> list[str]:
    """What is wrong with this response of the API, by the document (empty: nothing)."""
    if not request.path.startswith(API + "/") or request.url_rule is None or request.method in ("HEAD", "OPTIONS"):
        return []
    if request.url_rule.endpoint == "api.openapi_json":
        return []
    document = _document(app)
    method = request.method.lower()
    found = _operation(document, request.url_rule.rule, method)
    if found is None:
        return [f"{request.method} {request.url_rule.rule} is not in the document"]
    path, operation = found
    status = str(response.status_code)
    pointer = _response_schema(document, path, method, status, operation)
    where = f"{request.method} {request.path} -> {status}"
    if pointer is False:
        return [f"{where}: the document declares no {status} for {method.upper()} {path}"]
    if pointer is None or response.status_code == 204:
        return []
    if not response.is_json:
        return [f"{where}: the document promises JSON, the API sent {response.mimetype}"]
    if pointer not in _VALIDATORS:
        _VALIDATORS[pointer] = jsonschema_rs.Draft202012Validator({**document, "$ref": pointer})
    body = response.get_json()
    wrong = [f"{where}: {error.message} at {'/'.join(map(str, error.instance_path)) or 'the body'}"
             for error in list(_VALIDATORS[pointer].iter_errors(body))[:5]]
    return wrong + [f"{where}: {problem}" for problem in undeclared(document, {"$ref": pointer}, body)[:5]]


def _on_response(app, response, **_extra) -> None:
    _SEEN.extend(check(app, response))


request_finished.connect(_on_response, weak=False)


@pytest.fixture(autouse=True)
def responses_keep_to_the_document():
    """Fails a test whose API responses the document does not allow."""
    _SEEN.clear()
    yield
    broken, _SEEN[:] = list(dict.fromkeys(_SEEN)), []
    assert not broken, "responses the OpenAPI document does not allow:\n" + "\n".join(broken[:20])
