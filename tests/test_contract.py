"""The check that holds every API response of the suite against the OpenAPI document
(tests/contract.py): it passes what the document allows and names what it does not."""
from __future__ import annotations

from flask import jsonify

from . import builders
from .contract import check


def _checked(app, path: str, body, status: int = 200, method: str = "GET") -> list[str]:
    with app.test_request_context(path, method=method):
        from flask import request
        request.url_rule = app.url_map.bind("localhost").match(path, method=method, return_rule=True)[0]
        response = jsonify(body)
        response.status_code = status
        return check(app, response)


def test_a_response_as_documented_passes_and_a_drifted_one_is_named(app, ctx, lead):
    builders.make_people(2)
    wave = builders.make_wave(builders.make_rollout(lead=lead), lead, name="Pilot", units=["Enhet A"])
    from rollout.api.schemas.waves import WaveSchema
    good = WaveSchema().dump(wave)
    path = "/api/v1/rollouts/win11-2027/waves/0"
    assert _checked(app, path, good) == []
    # a field the document does not name, a field of the wrong type, a status it does not declare
    assert _checked(app, path, {**good, "secret": 1}) == [
        f"GET {path} -> 200: secret not in the document at the body"]
    wrong = _checked(app, path, {**good, "members_count": "many"})
    assert len(wrong) == 1 and "members_count" in wrong[0] and '"many" is not of type "integer"' in wrong[0]
    assert _checked(app, path, good, status=418) == [
        f"GET {path} -> 418: the document declares no 418 for GET /rollouts/{{key}}/waves/{{n}}"]
    # errors are held against the error envelope
    assert _checked(app, path, {"error": {"code": "not_found", "message": "No such wave.", "details": []}},
                    status=404) == []
    assert _checked(app, path, {"message": "No such wave."}, status=404) != []


def test_a_route_the_document_leaves_out_is_named(app, ctx):
    app.add_url_rule("/api/v1/undocumented-probe", "api.undocumented_probe", lambda: {})
    assert _checked(app, "/api/v1/undocumented-probe", {}) == [
        "GET /api/v1/undocumented-probe is not in the document"]
