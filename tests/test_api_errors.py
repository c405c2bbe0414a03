"""The API's edges: tokens, the JSON error shape, the OpenAPI document against
the routes that really exist, and malformed input that must never be a 500."""
from __future__ import annotations

import re

import pytest

from rollout.extensions import db
from rollout.models import FeedbackLink
from rollout.services import accounts, feedback, rollouts, waves

from . import builders
from .helpers import error_of, ok

KEY = "win11-2027"
SURVEY = "survey-2027"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PUBLIC = {"/api/v1/health", "/api/v1/openapi.json"}
# the participant's personal token in the path is the credential: no bearer token
PERSONAL = {"/api/v1/feedback/<token>", "/api/v1/feedback/<token>/problems", "/api/v1/feedback/<token>/checkin"}
# what anyone may call, no account needed: an idea from the floor, its similar ones, a support
PUBLIC_CALLS = {("POST", "/api/v1/ideas"), ("GET", "/api/v1/ideas/similar"),
                ("POST", "/api/v1/ideas/<int:idea_id>/support")}


def api_routes(app) -> list[tuple[str, str]]:
    """(method, rule) for everything the app routes under /api/v1."""
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
                  for method in rule.methods - IGNORED_METHODS)


def concrete(rule: str) -> str:
    """A real URL for a rule: the rollout KEY and wave 0."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: KEY if m.group(1) == "key" else "0", rule)


@pytest.fixture
def planned(ctx, lead):
    """A rollout the lead leads, with people and a planned pilot."""
    builders.make_people(3)
    rollout = builders.make_rollout(KEY, lead)
    builders.make_wave(rollout, lead, units=["Enhet A"])
    return rollout


# --- health and tokens ------------------------------------------------------

def test_health_needs_no_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_every_route_but_health_openapi_and_personal_links_is_behind_a_token(app):
    protected = [(m, r) for m, r in api_routes(app) if r not in PUBLIC | PERSONAL]
    # the API as of v1: if this shrinks, a route lost its guard or its home
    assert {r for _m, r in protected} >= {"/api/v1/people", "/api/v1/people/import", "/api/v1/rollouts",
                                          "/api/v1/rollouts/<key>", "/api/v1/rollouts/<key>/waves",
                                          "/api/v1/rollouts/<key>/waves/<int:number>/transitions",
                                          "/api/v1/rollouts/<key>/questionnaire", "/api/v1/rollouts/<key>/problems",
                                          "/api/v1/problems/<int:problem_id>"}
    assert {r for _m, r in api_routes(app)} >= PERSONAL


@pytest.mark.parametrize("with_bearer", [False, True], ids=["no bearer", "a lead's bearer token"])
def test_a_personal_route_with_a_token_that_is_no_link_is_404_whatever_the_bearer(app, api, client, planned,
                                                                                    with_bearer):
    """A bearer token neither opens nor is needed for a personal link; a bad link is 404, never 401."""
    headers = api._headers() if with_bearer else {}
    body = {"answers": {"satisfaction": 4}, "category": "login", "severity": "minor", "description": "x"}
    for method, rule in api_routes(app):
        if rule in PERSONAL:
            for token in ("0", "x" * 43, "x" * 500):
                response = client.open(rule.replace("<token>", token), method=method, headers=headers, json=body)
                assert error_of(response, 404)["code"] == "link_not_valid", (method, rule)


def _user_with_revoked_token():
    user = builders.make_user("gone@example.se", "Gone Token")
    builders.make_rollout("gone-2027", user)
    token, plain = accounts.create_token(user, "old")
    accounts.revoke_token(token, user)
    return plain


def _inactive_user_token(admin):
    user = builders.make_user("left@example.se", "Left Already")
    builders.make_rollout("left-2027", user)
    plain = builders.make_token(user)
    accounts.set_user_active(user, False, admin)
    return plain


@pytest.mark.parametrize("make_header", [
    pytest.param(lambda admin: None, id="no header"),
    pytest.param(lambda admin: "", id="empty header"),
    pytest.param(lambda admin: "Bearer", id="bearer without token"),
    pytest.param(lambda admin: "Bearer ro_not-a-real-token", id="wrong token"),
    pytest.param(lambda admin: "Basic bGVhZEBleGFtcGxlLnNlOmNvcnJlY3QgaG9yc2UgYmF0dGVyeQ==", id="basic auth"),
    pytest.param(lambda admin: f"Bearer {_user_with_revoked_token()}", id="revoked token"),
    pytest.param(lambda admin: f"Bearer {_inactive_user_token(admin)}", id="deactivated user"),
])
def test_every_protected_route_answers_401_without_a_valid_token(app, client, planned, admin, make_header):
    header = make_header(admin)
    headers = {"Authorization": header} if header is not None else {}
    routes = [(m, r) for m, r in api_routes(app) if r not in PUBLIC | PERSONAL and (m, r) not in PUBLIC_CALLS]
    for method, rule in routes:
        response = client.open(concrete(rule), method=method, headers=headers,
                               json={"name": "x", "to": "cancelled", "people": builders.person_rows(1)})
        error = error_of(response, 401)
        assert error["code"] == "unauthorized", (method, rule)
    # and nothing happened
    assert planned.waves[0].state == "planned" and len(planned.waves) == 1


def test_a_valid_token_passes(api, planned):
    assert ok(api.get("/rollouts"))["total"] == 1


def test_a_token_of_a_user_who_is_removed_from_the_rollout_sees_404(api, lead, planned, admin):
    rollouts.set_role(planned, admin.email, "lead", admin)
    ok(api.get(f"/rollouts/{KEY}"))
    role = next(r for r in rollouts.team(planned) if r.user_id == lead.id)
    rollouts.remove_role(planned, role.id, admin)
    error_of(api.get(f"/rollouts/{KEY}"), 404)


def test_unknown_paths_and_methods_answer_json_errors(api, client):
    assert error_of(api.get("/no-such-thing"), 404)["code"] == "not_found"
    assert error_of(client.post("/api/v1/health"), 405)["code"] == "method_not_allowed"
    assert error_of(api.get("/rollouts/no-such-rollout/waves/99999999999999999999"), 404)["code"] == "not_found"


def test_a_huge_wave_number_is_404(api, planned):
    for number in (2**31, 2**63, 10**30):
        error_of(api.get(f"/rollouts/{KEY}/waves/{number}"), 404)
        error_of(api.post(f"/rollouts/{KEY}/waves/{number}/transitions", json={"to": "active"}), 404)


@pytest.mark.parametrize("key", ["WIN11", "a%00b", "x" * 300, "%C3%A5%C3%A4%C3%B6", "a b"])
def test_a_key_no_rollout_can_have_is_404(api, planned, key):
    error_of(api.get(f"/rollouts/{key}"), 404)
    error_of(api.get(f"/rollouts/{key}/waves/0"), 404)


# --- OpenAPI ----------------------------------------------------------------

def openapi_path(rule: str) -> str:
    """/api/v1/rollouts/<key>/waves/<int:number> -> /rollouts/{}/waves/{} (parameter names aside)."""
    return re.sub(r"<[^>]+>", "{}", rule[len("/api/v1"):])


def test_openapi_document_is_public_and_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["paths"]["/health"]["get"]["security"] == []
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_openapi_documents_exactly_the_routes_the_app_has(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
                  for path, operations in document["paths"].items() for method in operations
                  if method in {"get", "put", "post", "patch", "delete"}}
    routed = {(method, openapi_path(rule)) for method, rule in api_routes(app)}
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "the OpenAPI document promises routes that do not exist"


def test_openapi_declares_every_path_parameter_and_resolves_every_ref(client):
    document = client.get("/api/v1/openapi.json").get_json()

    def resolve(ref: str):
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        assert resolve(ref) is not None, ref
    for path, operations in document["paths"].items():
        names = set(re.findall(r"\{([^}]+)\}", path))
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path)
            assert operation["responses"], (method, path)


# --- malformed input never answers 500 --------------------------------------

HUGE = "x" * 200_000
NESTED = {"a": [{"b": [{"c": [None, 1, "x", {"d": []}]}]}]}
WRONG_TYPES = [None, 42, 4.2, True, [], ["x"], {}, NESTED, HUGE]

OPTIONS = [{"value": "a", "sv": "A", "en": "A"}, {"value": "b", "sv": "B", "en": "B"}]
QUESTIONS = [
    {"code": "satisfaction", "kind": "rating", "required": True, "prompt": {"sv": "Nöjd?", "en": "Satisfied?"}},
    {"code": "tool", "kind": "choice", "prompt": {"sv": "Verktyg?", "en": "Tool?"}, "options": OPTIONS},
    {"code": "hours", "kind": "number", "prompt": {"sv": "Timmar?", "en": "Hours?"}, "min": 0, "max": 10},
]

# method, path, a valid body, and the fields with values that must all be refused
ENDPOINTS = {
    "upsert people": ("POST", "/people", {"people": [{"external_id": "n1", "name": "N", "email": "n@example.se"}]}),
    "create rollout": ("POST", "/rollouts", {"key": "new-2027", "name": "New"}),
    "update rollout": ("PATCH", f"/rollouts/{KEY}", {"name": "Renamed"}),
    "create wave": ("POST", f"/rollouts/{KEY}/waves", {"name": "Wave", "selection": {"percentage": 10}}),
    "update wave": ("PATCH", f"/rollouts/{KEY}/waves/1", {"name": "Renamed"}),
    "transition": ("POST", f"/rollouts/{KEY}/waves/1/transitions", {"to": "cancelled"}),
    # the pilot has no answers, so the gate says no go or too little evidence: a go needs a reason
    "decision": ("POST", f"/rollouts/{KEY}/waves/0/decision", {"decision": "go", "rationale": "Vi såg det själva"}),
    "save questionnaire": ("PUT", f"/rollouts/{KEY}/questionnaire", {"questions": QUESTIONS}),
    # {token} and {problem} are filled in from the junk_target fixture
    "submit feedback": ("POST", "/feedback/{token}", {"answers": {"satisfaction": 4, "worked_day_one": "yes"}}),
    "report problem": ("POST", "/feedback/{token}/problems",
                       {"category": "login", "severity": "minor", "description": "Inloggningen hänger sig"}),
    "triage problem": ("PATCH", "/problems/{problem}", {"status": "acknowledged", "note": "Vi tittar på det"}),
    "rollout gate": ("PUT", f"/rollouts/{KEY}/gate", {"min_satisfied": 0.7, "min_responses": 8}),
    "wave gate": ("PUT", f"/rollouts/{KEY}/waves/1/gate", {"min_response_rate": 0.4, "max_open_blockers": None}),
}


def _without(values, *keep_out):
    return [v for v in values if not any(v is k or (type(v) is type(k) and v == k) for k in keep_out)]


def _person(**change):
    person = {"external_id": "n1", "name": "N", "email": "n@example.se"}
    person.update(change)
    return {"people": [person]}


def _wave(**change):
    wave = {"name": "Wave", "selection": {"percentage": 10}}
    wave.update(change)
    return wave


def _selection(**change):
    return _wave(selection={"percentage": 10, **change})


BAD_FIELDS: dict[str, list[dict]] = {
    "upsert people": (
        [{"people": v} for v in [None, 42, "x", {}, [], NESTED, HUGE, [None], [42], [[]], ["x"]]]
        + [_person(external_id=v) for v in _without(WRONG_TYPES) + ["", "a b", "x" * 101]]
        + [_person(name=v) for v in WRONG_TYPES + ["", "   "]]
        + [_person(email=v) for v in WRONG_TYPES + ["", "no-at-sign", "a@b@c"]]
        + [_person(unit=v) for v in _without(WRONG_TYPES, None)]
        + [_person(language=v) for v in _without(WRONG_TYPES, None) + ["fr"]]
        + [_person(attributes=v) for v in [42, "x", [], ["x"], True, {"Bad Key": "v"}, {"k": [1]}, {"k": {}},
                                          {"k": HUGE}, {"name": "reserved"}, NESTED]]
    ),
    "create rollout": (
        [{"key": v, "name": "New"} for v in WRONG_TYPES + ["UPPER", "a b", "ö"]]
        + [{"key": "new-2027", "name": v} for v in WRONG_TYPES + [""]]
        + [{"key": "new-2027", "name": "New", "description": v} for v in _without(WRONG_TYPES, None)]
        + [{"key": "new-2027", "name": "New", "anonymous": v} for v in _without(WRONG_TYPES, True) + ["true", 1]]
    ),
    "update rollout": (
        [{"name": v} for v in WRONG_TYPES + [""]]
        + [{"description": v} for v in _without(WRONG_TYPES, None)]
        + [{"anonymous": v} for v in _without(WRONG_TYPES, True) + ["false", 0]]
    ),
    "create wave": (
        [_wave(name=v) for v in WRONG_TYPES + [""]]
        + [_wave(selection=v) for v in WRONG_TYPES]
        + [_selection(percentage=v) for v in _without(WRONG_TYPES, None, 42) + [0, 101, -1, 10**100, "50", "abc"]]
        + [_selection(people=v) for v in _without(WRONG_TYPES, None, [], {}) + [[None], [42], ["nobody"], [HUGE]]]
        + [_selection(units=v) for v in _without(WRONG_TYPES, None, [], {}) + [[None], [42], ["Nowhere"], [HUGE]]]
        + [_selection(attributes=v) for v in [42, "x", ["x"], True, {"site": []}, {"site": {}}, {"site": [None]},
                                              {"site": NESTED}]]
        + [_wave(planned_start=v) for v in _without(WRONG_TYPES, None) + ["tomorrow", "2027-02-30", "2027-13-01"]]
        + [_wave(planned_end=v) for v in ["yesterday", 20270101, "2027-01-01T25:00"]]
        + [_wave(planned_start="2027-05-01", planned_end="2027-04-01")]
        + [_wave(feedback_days=v) for v in _without(WRONG_TYPES, None, 42) + [0, 91, -7, 10**100, "7"]]
        + [_wave(auto_advance=v) for v in _without(WRONG_TYPES, True) + ["true", 1]]
    ),
    "update wave": (
        [{"name": v} for v in WRONG_TYPES + [""]]
        + [{"selection": v} for v in _without(WRONG_TYPES, None)]
        + [{"selection": {"percentage": v}} for v in [0, 101, "abc", True, 4.2]]
        + [{"planned_start": v} for v in ["tomorrow", 42, []]]
        + [{"feedback_days": v} for v in [0, 91, "abc", True, []]]
        + [{"auto_advance": v} for v in ["yes", 1, None]]
    ),
    "transition": (
        [{"to": v} for v in WRONG_TYPES + ["", "sideways", "Active"]]
        + [{"to": "cancelled", "rationale": v} for v in _without(WRONG_TYPES, None, HUGE)]
        + [{"to": "done", "decision": "go", "rationale": HUGE}]
        + [{"to": "done", "decision": v} for v in WRONG_TYPES + ["maybe"]]
    ),
    "decision": (
        [{"decision": v} for v in WRONG_TYPES + ["", "maybe", "GO"]]
        + [{"decision": "go", "rationale": v} for v in _without(WRONG_TYPES, None) + ["r" * 5001]]
    ),
}

def _question(index: int, **change):
    """The valid questions, with question `index` changed."""
    questions = [dict(q) for q in QUESTIONS]
    questions[index].update(change)
    return {"questions": questions}


def _answers(**change):
    answers = {"satisfaction": 4, "worked_day_one": "yes"}
    answers.update(change)
    return {"answers": answers}


def _report(**change):
    report = {"category": "login", "severity": "minor", "description": "Inloggningen hänger sig"}
    report.update(change)
    return report


BAD_FIELDS.update({
    "save questionnaire": (
        [{"questions": v} for v in WRONG_TYPES + [[None], [42], ["x"], [[]], [{}], QUESTIONS * 14]]
        + [_question(0, code=v) for v in WRONG_TYPES + ["", "Upper", "1abc", "a b", "x" * 51, "tool"]]
        + [_question(0, kind="nps")]  # satisfaction was a rating in version 1
        + [_question(1, kind=v) for v in WRONG_TYPES + ["", "slider", "Choice"]]
        + [_question(0, prompt=v) for v in WRONG_TYPES + [{"sv": "Nöjd?"}]]
        + [_question(0, prompt={"sv": v, "en": "E"}) for v in WRONG_TYPES + ["", "  ", "x" * 501, "a\x00b"]]
        + [_question(0, prompt={"sv": "S", "en": v}) for v in _without(WRONG_TYPES, None) + [""]]
        + [_question(0, required=v) for v in _without(WRONG_TYPES, True) + ["true", 1, 0]]
        + [_question(1, options=v) for v in WRONG_TYPES + [OPTIONS[:1], [OPTIONS[0], OPTIONS[0]], [None, *OPTIONS],
                                                          [42, *OPTIONS], [[], *OPTIONS]]]
        + [_question(1, options=[{**OPTIONS[0], "value": v}, OPTIONS[1]]) for v in WRONG_TYPES + ["", "A B"]]
        + [_question(1, options=[{**OPTIONS[0], "sv": v}, OPTIONS[1]]) for v in WRONG_TYPES + ["", "x" * 201]]
        + [_question(1, options=[{**OPTIONS[0], "en": v}, OPTIONS[1]]) for v in _without(WRONG_TYPES, None)]
        + [_question(2, min=v) for v in _without(WRONG_TYPES, None, 42, 4.2) + ["abc", "nan", "inf", "1e400", 10**100]]
        + [_question(2, max=v) for v in [True, [], {}, "abc", -1, -10**100]]
    ),
    "submit feedback": (
        [{"answers": v} for v in WRONG_TYPES + [{"satisfaction": 4}]]
        + [_answers(satisfaction=v) for v in [None, 0, 6, -1, 4.5, "x", "", "4.0", True, False, [], [4], {}, HUGE,
                                              10**100]]
        + [_answers(worked_day_one=v) for v in [None, "maybe", "", 1, 0, [], ["yes"], {}, HUGE]]
        + [_answers(information=v) for v in [0, 6, "x", True, {}, NESTED]]
        + [_answers(hours_lost=v) for v in [-1, 201, 1e300, "NaN", "nan", "inf", "-Infinity", "1e400", "abc", True,
                                            {}, [1], 10**100]]
        + [_answers(went_well=v) for v in [42, 4.2, True, ["x"], {}, NESTED, "x" * 2001, "a\x00b"]]
        + [_answers(nope=1), _answers(**{"": 1}), _answers(**{HUGE: 1})]
        + [{**_answers(), "language": v} for v in _without(WRONG_TYPES, None) + ["fr", "SV", ""]]
    ),
    "report problem": (
        [_report(category=v) for v in WRONG_TYPES + ["", "nope", "Login"]]
        + [_report(severity=v) for v in WRONG_TYPES + ["", "critical", "Minor"]]
        + [_report(description=v) for v in WRONG_TYPES + ["", "   ", "x" * 2001, "a\x00b"]]
    ),
    "rollout gate": (
        [{"min_satisfied": v} for v in [True, "0.7", 70, -0.1, 1.5, [], {}, HUGE]]
        + [{"min_responses": v} for v in [True, 4.5, -1, "5", [], {}, 10**100]]
        + [{"lessons_ready": v} for v in [1, "yes", [], {}]]
        + [{"bogus": 1}]
    ),
    "wave gate": (
        [{"min_response_rate": v} for v in [True, "0.5", 50, -1, [], {}]]
        + [{"max_open_blockers": v} for v in [True, 0.5, -1, "0", []]]
        + [{"": 1}, {HUGE: 1}]
    ),
    "triage problem": (
        [{"status": v} for v in WRONG_TYPES + ["", "closed", "New"]]
        + [{"status": "resolved", "note": v} for v in _without(WRONG_TYPES, None) + ["x" * 2001, "a\x00b"]]
        + [{"note": v} for v in [42, [], {}, HUGE]]
    ),
})

# bodies that are not a JSON object at all: (raw bytes, content type)
NOT_AN_OBJECT = {
    "not json": (b"this is not json", "application/json"),
    "truncated": (b'{"name": ', "application/json"),
    "trailing junk": (b'{"name": "x"} junk', "application/json"),
    "empty": (b"", "application/json"),
    "a list": (b'[{"name": "x"}]', "application/json"),
    "a string": (b'"name"', "application/json"),
    "a number": (b"42", "application/json"),
    "null": (b"null", "application/json"),
    "true": (b"true", "application/json"),
    "NaN": (b'{"name": "x", "feedback_days": NaN, "selection": {"percentage": NaN}}', "application/json"),
    "Infinity": (b'{"name": "x", "feedback_days": Infinity, "selection": {"percentage": -Infinity}}',
                 "application/json"),
    "float overflow": (b'{"name": "x", "feedback_days": 1e400, "selection": {"percentage": 1e400}}',
                       "application/json"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "deep object": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
    "not utf-8": (b'{"name": "\xff\xfe"}', "application/json"),
    "json as text/plain": (b'{"name": "x", "key": "plain-2027", "to": "cancelled"}', "text/plain"),
    "json as a form": (b"name=x&key=form-2027", "application/x-www-form-urlencoded"),
    "no content type": (b'{"name": "x"}', None),
}


@pytest.fixture
def junk_target(ctx, lead) -> dict:
    """The lead's rollout KEY: wave 0 in review (for decisions), wave 1 planned; and the lead's
    rollout SURVEY, its pilot collecting feedback, with a personal token and a problem report.
    Gives what the paths of ENDPOINTS leave open."""
    builders.make_people(4)
    rollout = builders.make_rollout(KEY, lead)
    pilot = builders.make_wave(rollout, lead, people=["p1"])
    builders.make_wave(rollout, lead, units=["Enhet A"])
    for state in ("active", "feedback", "review"):
        waves.transition(pilot, state, lead)
    survey = builders.make_wave(builders.make_rollout(SURVEY, lead), lead, people=["p1"])
    for state in ("active", "feedback"):
        waves.transition(survey, state, lead)
    link = db.session.query(FeedbackLink).filter_by(wave_id=survey.id).one()
    token = feedback.link_url(link).rsplit("/", 1)[1]
    report = feedback.report_problem(token, {"category": "printing", "severity": "major", "description": "Skrivaren"})
    return {"token": token, "problem": report.id}


def _summary(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _refusal_problem(response) -> str | None:
    """Why a response is not a proper refusal (a 4xx JSON error), or None when it is."""
    if not 400 <= response.status_code < 500:
        return f"answered {response.status_code}: {response.get_data(as_text=True)[:200]}"
    body = response.get_json(silent=True)
    if not (isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict)
            and set(body["error"]) == {"code", "message", "details"} and body["error"]["message"]):
        return f"answered {response.status_code} without the JSON error shape: {response.get_data(as_text=True)[:200]}"
    if response.status_code == 422:
        details = body["error"]["details"]
        if not details or not all(isinstance(d.get("field"), str) and d.get("message") for d in details):
            return f"422 without a field and message for each problem: {details}"
    return None


def _state(api, target: dict) -> tuple:
    """What the junk must not change: the rollout, its waves, who sees what, the people; the
    questionnaires, the participant's answers and the problem reports."""
    rollout = ok(api.get(f"/rollouts/{KEY}"))
    waves = ok(api.get(f"/rollouts/{KEY}/waves"))["items"]
    form = ok(api.client.get(f"/api/v1/feedback/{target['token']}"))
    problems = ok(api.get(f"/rollouts/{SURVEY}/problems"))
    return ((rollout["name"], rollout["description"], rollout["anonymous"]),
            [(w["name"], w["state"], w["selection"], w["feedback_days"], w["planned_start"], w["planned_end"],
              w["auto_advance"]) for w in waves],
            ok(api.get("/rollouts"))["total"], ok(api.get("/people"))["total"],
            ok(api.get(f"/rollouts/{KEY}/questionnaire")), ok(api.get(f"/rollouts/{SURVEY}/questionnaire")),
            (form["answers"], form["submitted_at"], form["updated_at"]),
            (problems["total"], [(p["id"], p["status"], p["note"], p["updated_at"]) for p in problems["items"]]))


def _throw(api, subtests, endpoint: str, requests: list[tuple[str, dict]], target: dict,
           status: int | None = None) -> None:
    """Send each (label, request) to the endpoint, one subtest each: every one must be refused
    (with `status`, if given) and change nothing."""
    method, path, _valid = ENDPOINTS[endpoint]
    path = path.format(**target)
    before = _state(api, target)
    for label, kwargs in requests:
        changed = False
        with subtests.test(msg=label):
            response = api.client.open("/api/v1" + path, method=method, **kwargs)
            problem = _refusal_problem(response)
            assert problem is None, problem
            if status is not None:
                assert response.status_code == status
            changed = _state(api, target) != before
            assert not changed, "refused, but changed something"
        if changed:
            break  # the cases after it would not start from the same place


# the retrospective's and the lessons' routes get the same junk in test_api_retro.py and
# test_api_lessons.py, whose fixtures have the cards, themes and lessons to aim it at
JUNK_TESTED_ELSEWHERE = {
    ("POST", "/rollouts/{}/waves/{}/retro/cards"), ("PATCH", "/rollouts/{}/waves/{}/retro/cards/{}"),
    ("POST", "/rollouts/{}/waves/{}/retro/themes"), ("PATCH", "/rollouts/{}/waves/{}/retro/themes/{}"),
    ("POST", "/rollouts/{}/lessons"), ("POST", "/rollouts/{}/lessons/carry"), ("PATCH", "/lessons/{}"),
}
# the check-ins', wins' and ideas' bodies get their junk from schemathesis (test_api_fuzz.py, its
# negative cases: never a 500, always the error envelope) and their own files' bad-input tests
JUNK_TESTED_ELSEWHERE |= {
    ("POST", "/rollouts/{}/waves/{}/checkins"), ("PATCH", "/rollouts/{}/waves/{}/checkins/{}"),
    ("POST", "/feedback/{}/checkin"), ("POST", "/rollouts/{}/wins"), ("POST", "/ideas"),
    ("POST", "/ideas/{}/support"), ("POST", "/ideas/{}/decision"),
}
# a dot vote takes no body, nor does cancelling a job; neither does a DELETE
NO_BODY = {("POST", "/rollouts/{}/waves/{}/retro/cards/{}/votes"), ("POST", "/jobs/{}/cancel")}


def test_the_junk_table_covers_every_post_and_patch_route(app):
    routed = {(m, openapi_path(r)) for m, r in api_routes(app) if m in {"POST", "PATCH", "PUT"}}
    routed -= JUNK_TESTED_ELSEWHERE | NO_BODY
    routed.discard(("POST", "/people/import"))  # CSV, not JSON: its own junk test below
    covered = {(method, re.sub(r"/(win11-2027|\d+|\{[a-z]+\})(?=/|$)", "/{}", path))
               for method, path, _ in ENDPOINTS.values()}
    assert routed == covered


def test_the_valid_bodies_of_the_junk_table_are_valid(api, junk_target):
    """So that each junk case below fails for its junk, not for the rest of its body."""
    for endpoint, (method, path, body) in ENDPOINTS.items():
        response = api.client.open("/api/v1" + path.format(**junk_target), method=method, json=body,
                                   headers=api._headers())
        assert response.status_code in (200, 201), (endpoint, response.get_data(as_text=True))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_body_that_is_not_a_json_object_is_400(api, subtests, junk_target, endpoint):
    requests = [(case, {"data": data, "headers": api._headers({"Content-Type": ctype} if ctype else None)})
                for case, (data, ctype) in NOT_AN_OBJECT.items()]
    _throw(api, subtests, endpoint, requests, junk_target, status=400)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_bad_field_is_refused_with_a_json_error(api, subtests, junk_target, endpoint):
    requests = [(_summary(body), {"json": body, "headers": api._headers()}) for body in BAD_FIELDS[endpoint]]
    _throw(api, subtests, endpoint, requests, junk_target)


CSV_JUNK = {
    "empty": b"",
    "whitespace": b"  \n\n  \n",
    "header only": b"external_id,name,email\n",
    "binary": bytes(range(256)) * 20,
    "json": b'{"people": [{"external_id": "j1", "name": "J", "email": "j@example.se"}]}',
    "open quote": b'external_id,name,email\n"q1,Quinn,q@example.se\n',
    "huge field": b"external_id,name,email\nh1," + b"N" * 200_000 + b",h@example.se\n",
    "huge line count": b"external_id,name,email\n" + b"bad id,X,x@example.se\n" * 5_000,
    "duplicate header": b"external_id,name,email,email\ne1,E,e@example.se,e@example.se\n",
    "bad attribute column": b"external_id,name,email,Site Name\ne1,E,e@example.se,Karlstad\n",
    "utf-16": "external_id,name,email\ne1,Åsa,e@example.se\n".encode("utf-16"),
    "only separators": b",,,\n,,,\n",
}


def test_junk_csv_is_refused_with_a_json_error(app, api, subtests, junk_target):
    app.config["IMPORT_SYNC_MAX_LINES"] = 10_000  # every file here in the request (a job's errors: test_jobs)
    for case, data in CSV_JUNK.items():
        with subtests.test(msg=case):
            response = api.post("/people/import", data=data, headers={"Content-Type": "text/csv"})
            error = error_of(response, 422)
            assert error["details"] and all("line" in d and "message" in d for d in error["details"])
            assert ok(api.get("/people"))["total"] == 4


def test_a_csv_import_reports_at_most_a_bounded_number_of_problems(app, api, junk_target):
    """A file of 5,000 bad lines does not answer with 5,000 details."""
    app.config["IMPORT_SYNC_MAX_LINES"] = 10_000
    response = api.post("/people/import", data=CSV_JUNK["huge line count"], headers={"Content-Type": "text/csv"})
    details = error_of(response, 422)["details"]
    assert 1 <= len(details) <= 1000


def test_a_body_over_the_size_limit_is_413(app, api, junk_target):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = api.post("/rollouts", json={"key": "big-2027", "name": "x" * 2048})
    assert error_of(response, 413)["code"] == "too_large"


# --- text and dates the database cannot store are refused, never a 500 --------

@pytest.mark.parametrize("method, path, body", [
    ("POST", "/rollouts", {"key": "nul-2027", "name": "Win\x00dows"}),
    ("PATCH", f"/rollouts/{KEY}", {"description": "Ny\x00 beskrivning"}),
    ("POST", "/people", {"people": [{"external_id": "z1", "name": "Zl\x00atan", "email": "z@example.se"}]}),
    ("POST", "/people", {"people": [{"external_id": "z1", "name": "Z", "email": "z@example.se", "unit": "A\x00"}]}),
    ("POST", f"/rollouts/{KEY}/waves", {"name": "Pi\x00lot", "selection": {"percentage": 10}}),
    ("POST", f"/rollouts/{KEY}/waves", {"name": "Pilot", "selection": {"attributes": {"site": ["K\x00"]}}}),
    ("POST", "/people/import", "external_id,name,email\nz1,Zl\x00atan,z@example.se\n"),
], ids=["rollout name", "rollout description", "person name", "person unit", "wave name", "selection value", "csv"])
def test_text_with_a_nul_character_is_422(api, junk_target, method, path, body):
    """PostgreSQL refuses NUL in text; the services refuse it first, on every backend."""
    if isinstance(body, str):
        response = api.post(path, data=body.encode(), headers={"Content-Type": "text/csv"})
    else:
        response = api.client.open("/api/v1" + path, method=method, json=body, headers=api._headers())
    assert error_of(response, 422)["details"]
    assert ok(api.get("/people"))["total"] == 4
    assert [w["name"] for w in ok(api.get(f"/rollouts/{KEY}/waves"))["items"]] == ["Wave 0", "Wave 1"]


@pytest.mark.parametrize("param", ["q", "unit"])
def test_searching_for_a_nul_character_finds_nobody(api, junk_target, param):
    assert ok(api.get("/people", query_string={param: "p\x001"}))["total"] == 0


@pytest.mark.parametrize("field, value", [("planned_start", "0001-01-01"),
                                          ("planned_end", "9999-12-31T23:00:00-05:00")])
def test_a_date_out_of_range_is_422(api, junk_target, field, value):
    """Year 1 in Stockholm is year 0 in UTC: not a datetime at all, so it must not reach the database."""
    response = api.post(f"/rollouts/{KEY}/waves", json={"name": "Far", "selection": {"percentage": 10}, field: value})
    assert [d["field"] for d in error_of(response, 422)["details"]] == [field]


@pytest.mark.parametrize("attributes", [{"": ["x"]}, {"site": [HUGE]}], ids=["empty name", "huge value"])
def test_a_selection_attribute_no_person_can_have_is_422(api, junk_target, attributes):
    """People's attribute names are [a-z][a-z0-9_]* and values at most 200 characters."""
    response = api.post(f"/rollouts/{KEY}/waves", json={"name": "W", "selection": {"attributes": attributes}})
    fields = {d["field"] for d in error_of(response, 422)["details"]}
    assert fields and all(f.startswith("selection.attributes.") for f in fields - {"selection"})


def test_a_csv_error_names_its_line(api, junk_target):
    """A line the csv module cannot read (a field over its 131,072-character limit) is named, not line 0."""
    response = api.post("/people/import", data=CSV_JUNK["huge field"], headers={"Content-Type": "text/csv"})
    assert [d["line"] for d in error_of(response, 422)["details"]] == [2]
