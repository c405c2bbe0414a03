"""Schemathesis over /api/v1/openapi.json: every operation of the API, in-process (WSGI), with
a lead's bearer token, against a fresh rollout for each operation.

Both directions of the contract are checked: what the document calls valid must be accepted
(positive_data_acceptance, but for the rules of BEYOND_THE_SCHEMA) and what it calls invalid must
be refused (negative_data_rejection); no answer is a server error, and every answer has a
documented status, media type and shape.

Bounded and deterministic: a fixed seed, derandomised, no example database; the coverage phase's
boundary cases plus MAX_EXAMPLES generated cases per operation. Each operation's test prints
"fuzzed <operation>: <n> cases (...)" (see it with -rP) and records the count as a property.
Measured on the document flask-smorest derives from the schemas (-n 2 on the 2-core machine): 52
operations (every documented one but GET /openapi.json, which schemathesis leaves out as the document
itself), 4,109 cases (coverage 3,088, fuzzing 1,021), the same on both databases.
"""
from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass, field

import hypothesis
import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from rollout import create_app
from rollout.extensions import db
from rollout.services import feedback, ideas, imports, lessons, retro, waves

from . import builders

# the CSV import takes these too (rollout.api.people); schemathesis sends them as it sends text/plain
schemathesis.serializer.alias("application/csv", "text/plain")

KEY = "win11-2027"
MAX_EXAMPLES = 20

CONFIG = schemathesis.Config.from_dict({
    "seed": 20240607,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "mode": "all",
                   # unknown query parameters are ignored, as everywhere on the web: not worth a case
                   "allow-extra-parameters": False,
                   # the bearer token is the test's own (a lead's), not a generated one
                   "with-security-parameters": False},
    # the cases depend on the seed only, never on earlier answers, so both databases see the same ones
    "phases": {"stateful": {"enabled": False},
               "fuzzing": {"extra-data-sources": {"responses": False}, "error-feedback": {"enabled": False}}},
})

# The rules JSON Schema cannot state, per operation: a 422 for a request the document calls valid
# is accepted when every problem it names is one of these fields (fnmatch patterns). Each depends
# on what is stored (a wave, person, user, theme or question that exists; a key not taken), on the
# state of a resource, or on another field of the body.
BEYOND_THE_SCHEMA = {
    ("POST", "/people"): {"rollout", "external_id"},  # a rollout's key; each external id once
    ("POST", "/people/import"): {"*"},  # a CSV file, checked line by line
    ("POST", "/rollouts"): {"key", "text_retention_days", "problem_categories.*.code"},  # not taken; each once
    ("PATCH", "/rollouts/{key}"): {"anonymous", "anonymity_k", "text_retention_days", "problem_categories.*.code"},
    ("POST", "/rollouts/{key}/waves"): {"selection.people", "selection.units", "planned_start", "planned_end"},
    ("PATCH", "/rollouts/{key}/waves/{n}"): {"selection.people", "selection.units", "planned_start", "planned_end"},
    ("POST", "/rollouts/{key}/waves/{n}/transitions"): {"rationale"},  # against the gate's verdict
    ("POST", "/rollouts/{key}/waves/{n}/decision"): {"rationale"},
    ("PUT", "/rollouts/{key}/questionnaire"): {"questions.*.code", "questions.*.max", "questions.*.options.*.value"},
    ("POST", "/feedback/{token}"): {"*"},  # the answers follow the wave's questionnaire
    ("POST", "/feedback/{token}/problems"): {"category"},  # one of the rollout's categories
    ("GET", "/rollouts/{key}/problems"): {"wave"},
    ("POST", "/rollouts/{key}/waves/{n}/retro/cards"): {"theme"},
    ("PATCH", "/rollouts/{key}/waves/{n}/retro/cards/{id}"): {"theme"},
    ("POST", "/rollouts/{key}/waves/{n}/retro/themes"): {"cards"},
    ("GET", "/rollouts/{key}/lessons"): {"target_wave", "origin_wave"},
    ("POST", "/rollouts/{key}/lessons"): {"owner", "origin_wave", "target_wave", "metric", "theme"},
    ("PATCH", "/lessons/{id}"): {"owner", "origin_wave", "target_wave", "metric", "reason"},
    ("POST", "/rollouts/{key}/lessons/carry"): {"lesson"},
    # a day not taken by another check-in of the wave; the questions as the questionnaire's
    ("POST", "/rollouts/{key}/waves/{n}/checkins"): {"day", "questions.*.code", "questions.*.max",
                                                     "questions.*.options.*.value"},
    ("PATCH", "/rollouts/{key}/waves/{n}/checkins/{id}"): {"day", "questions.*.code", "questions.*.max",
                                                           "questions.*.options.*.value"},
    ("POST", "/feedback/{token}/checkin"): {"*"},  # the answers follow the open check-in's questions
    ("POST", "/ideas"): {"email"},  # email_validator's rules go beyond the format's
    ("POST", "/ideas/{id}/support"): {"email"},
}


def _beyond_the_schema(case, response) -> bool:
    allowed = BEYOND_THE_SCHEMA.get((case.operation.method.upper(), case.operation.path), set())
    try:
        details = response.json()["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(details) and all(
        any(fnmatch.fnmatchcase(str(item.get("field", "")), pattern) for pattern in allowed) for item in details)


def positive_data_acceptance_within_the_schema(ctx, response, case):
    """positive_data_acceptance, but for a 422 about the rules of BEYOND_THE_SCHEMA."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422 and _beyond_the_schema(case, response):
            return None
        raise


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          positive_data_acceptance_within_the_schema, negative_data_rejection]


def _load_schema():
    # the document does not touch the database: an app of its own serves it for collection
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)


schema = _load_schema()


@dataclass
class World:
    """What the operations' path parameters name: a lead's rollout whose pilot collects feedback,
    with answers, a problem report, retrospective cards and a theme, and a lesson for wave 1."""

    app: Flask
    bearer: str
    card: int
    theme: int
    lesson: int
    problem: int
    link: str
    person: str
    job: int
    idea: int
    operation: str = ""
    cases: Counter = field(default_factory=Counter)  # phase -> cases run

    def path_parameters(self, path: str, generated: dict) -> dict:
        """Real values for the generated ones; the generated wave number picks the pilot or wave 1."""
        ids = {"/retro/cards/{id}": self.card, "/retro/themes/{id}": self.theme, "/lessons/{id}": self.lesson,
               "/problems/{id}": self.problem, "/jobs/{id}": self.job,
               "/ideas/{id}": self.idea}
        real = {"key": KEY, "token": self.link, "external_id": self.person,
                "id": next((value for fragment, value in ids.items() if fragment in path), None)}
        if "n" in generated:
            real["n"] = int(generated["n"]) % 2 if str(generated["n"]).isdigit() else 0
        return {name: value if real.get(name) is None else real[name] for name, value in generated.items()}


def pytest_generate_tests(metafunc):
    # whose bearer token the cases carry; as a parameter it also gives each operation's test its own
    # node id (schemathesis 4.32 names them all test_api under pytest 9, which xdist and -k cannot tell apart)
    if "world" in metafunc.fixturenames:
        metafunc.parametrize("world", ["lead"], indirect=True)


@pytest.fixture
def world(app, request, record_property):
    """A fresh world for each operation (the app fixture wipes the database after each test): the
    writes of one operation's cases never reach another's, and each runs in the same order every time."""
    assert request.param == "lead"
    with app.test_request_context():
        lead = builders.make_user("lead@example.se", "Lena Lead", creator=True, people_manager=True)
        bearer = builders.make_token(lead)
        builders.make_people(4, unit="Pilot", prefix="pil")
        builders.make_people(3, unit="Rest", prefix="r")
        rollout = builders.make_rollout(KEY, lead)
        pilot = builders.make_wave(rollout, lead, name="Pilot", units=["Pilot"])
        builders.make_wave(rollout, lead, name="Wave 1", units=["Rest"])
        waves.transition(pilot, "active", lead)
        waves.transition(pilot, "feedback", lead)
        builders.answer_wave(pilot, [5, 3], texts={"went_well": ["Quick install", ""]})
        link = builders.wave_tokens(pilot)["pil3"]
        problem = feedback.report_problem(link, {"category": "other", "severity": "minor",
                                                 "description": "The printer"})
        card = retro.add_card(pilot, {"kind": "went_well", "text": "Smooth"}, lead)
        grouped = retro.add_card(pilot, {"kind": "better", "text": "Slow login"}, lead)
        theme = retro.create_theme(pilot, {"title": "Login", "cards": [grouped.id]}, lead)
        lesson = lessons.create_lesson(rollout, {"title": "Warn about login", "origin_wave": 0}, lead)
        job = imports.start_import(b"external_id,name,email\nj1,J,j1@example.se\n", lead, source="api")
        app.config["IDEAS_PER_HOUR"] = 10**9  # the cases come from one address: the limit is tested elsewhere
        idea = ideas.submit({"name": "Siv", "email": "siv@example.se", "unit": "Pilot", "problem": "Printers",
                             "idea": "Shared printers", "reach": "up_to_10"}, "10.0.0.1")
        found = World(app, bearer, card.id, theme.id, lesson.id, problem.id, link, "pil4", job.id, idea.id)
        db.session.remove()  # the requests open their own sessions
    yield found
    phases = ", ".join(f"{name} {count}" for name, count in sorted(found.cases.items()))
    print(f"fuzzed {found.operation}: {sum(found.cases.values())} cases ({phases})")
    record_property("cases", sum(found.cases.values()))


@schema.parametrize()
@hypothesis.settings(suppress_health_check=[
    # the world is made once per operation on purpose, not once per case
    hypothesis.HealthCheck.function_scoped_fixture,
    # a case is a request that writes to the database; and the patterns and lengths of the
    # document's texts make generation filter
    hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.filter_too_much, hypothesis.HealthCheck.data_too_large,
    hypothesis.HealthCheck.large_base_example])
def test_api(case, world):
    if case.path_parameters and not (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        case.path_parameters = world.path_parameters(case.operation.path, case.path_parameters)
    world.operation = case.operation.label
    world.cases[case.meta.phase.name.value if case.meta else "explicit"] += 1
    case.call_and_validate(app=world.app, headers={"Authorization": f"Bearer {world.bearer}"}, checks=CHECKS)


def test_codes_end_at_the_end_of_the_text(api):
    """The document's patterns for codes end at the end of the text; Python's $ also matches
    before a final line break, which once let "a\\n" through as a question code."""
    api.post("/rollouts", json={"key": KEY, "name": "Windows 11"})
    choice = {"code": "a\n", "kind": "choice", "prompt": {"sv": "Fråga", "en": "Question"},
              "options": [{"value": "p\n", "sv": "Ett", "en": "One"}, {"value": "q", "sv": "Två", "en": "Two"}]}
    response = api.put(f"/rollouts/{KEY}/questionnaire", json={"questions": [choice]})
    assert response.status_code == 422
    assert {d["field"] for d in response.get_json()["error"]["details"]} == {
        "questions.0.code", "questions.0.options.0.value"}
    response = api.patch(f"/rollouts/{KEY}", json={"problem_categories": [{"code": "c\n", "sv": "A", "en": "B"}]})
    assert response.status_code == 422
    assert {d["field"] for d in response.get_json()["error"]["details"]} == {"problem_categories.0.code"}
