"""The feedback part of the JSON API as a client sees it: the questionnaire and its
versions, a participant's answers and problem reports through the personal token,
and the leads' list and triage of problem reports. Malformed bodies of every route
are in test_api_errors.py."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import FeedbackLink, Notification, Person, ProblemReport, Response
from rollout.services import feedback, rollouts, waves

from . import builders
from .conftest import make_app
from .helpers import error_of, fields_of, ok

KEY = "win11-2027"

OPTIONS = {
    "tool": [{"value": "outlook", "sv": "Outlook", "en": "Outlook"}, {"value": "teams", "sv": "Teams", "en": "Teams"}],
    "features": [{"value": "chat", "sv": "Chatt", "en": "Chat"}, {"value": "calendar", "sv": "Kalender", "en": "Calendar"},
                 {"value": "files", "sv": "Filer", "en": "Files"}],
}
EVERY_KIND = [
    {"code": "satisfaction", "kind": "rating", "required": True,
     "prompt": {"sv": "Hur nöjd är du?", "en": "How satisfied are you?"}},
    {"code": "recommend", "kind": "nps", "prompt": {"sv": "Skulle du rekommendera?", "en": "Would you recommend?"}},
    {"code": "tool", "kind": "choice", "prompt": {"sv": "Vilket verktyg?", "en": "Which tool?"},
     "options": OPTIONS["tool"]},
    {"code": "features", "kind": "multi", "prompt": {"sv": "Vad använder du?", "en": "What do you use?"},
     "options": OPTIONS["features"]},
    {"code": "worked_day_one", "kind": "yes_no", "required": True,
     "prompt": {"sv": "Fungerade det första dagen?", "en": "Did it work on day one?"}},
    {"code": "hours_lost", "kind": "number", "min": 0, "max": 40,
     "prompt": {"sv": "Förlorade timmar?", "en": "Hours lost?"}},
    {"code": "went_well", "kind": "text", "prompt": {"sv": "Vad gick bra?", "en": "What went well?"}},
]
GOOD = {"satisfaction": 4, "recommend": 9, "tool": "teams", "features": ["chat", "files"], "worked_day_one": "yes",
        "hours_lost": 1.5, "went_well": "Snabb inloggning"}


def put_questionnaire(api, questions, key=KEY):
    return api.client.put(f"/api/v1/rollouts/{key}/questionnaire", json={"questions": questions},
                          headers=api._headers())


def tokens(wave) -> dict[str, str]:
    """external id -> personal token (the last part of the link)"""
    return {link.person.external_id: feedback.link_url(link).rsplit("/", 1)[1]
            for link in db.session.scalars(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id))}


def open_feedback(rollout, lead):
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    return wave


def responses_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


def comparable(answers: dict) -> dict:
    """Answers with a multi question's choices as a set (their order is not promised)."""
    return {code: set(value) if isinstance(value, list) else value for code, value in answers.items()}


def form(client, token):
    return ok(client.get(f"/api/v1/feedback/{token}"))


def answer(client, token, answers, **extra):
    return client.post(f"/api/v1/feedback/{token}", json={"answers": answers, **extra})


@pytest.fixture
def survey(ctx, lead, api):
    """KEY, led by the token's user, with a question of every kind; its pilot of three collects feedback."""
    builders.make_people(3)
    rollout = builders.make_rollout(KEY, lead=lead)
    ok(put_questionnaire(api, EVERY_KIND))
    wave = open_feedback(rollout, lead)
    return SimpleNamespace(rollout=rollout, wave=wave, tokens=tokens(wave), token=tokens(wave)["p1"])


@pytest.fixture
def other_lead(ctx):
    return builders.make_user("other@example.se", "Olle Other")


@pytest.fixture
def shared(ctx, lead, other_lead):
    """A rollout the other lead leads and the token's user only reviews, collecting feedback."""
    builders.make_people(2, prefix="s")
    rollout = builders.make_rollout("shared-2027", other_lead)
    rollouts.set_role(rollout, lead.email, "reviewer", other_lead)
    wave = open_feedback(rollout, other_lead)
    return SimpleNamespace(rollout=rollout, wave=wave, token=tokens(wave)["s1"])


# --- the questionnaire --------------------------------------------------------

def test_a_new_rollout_answers_the_default_questionnaire_in_both_languages(api, lead):
    builders.make_rollout(KEY, lead=lead)
    data = ok(api.get(f"/rollouts/{KEY}/questionnaire"))
    assert data["version"] == 1
    kinds = {q["code"]: q["kind"] for q in data["questions"]}
    assert kinds["satisfaction"] == "rating" and kinds["worked_day_one"] == "yes_no"
    assert kinds["hours_lost"] == "number"
    for question in data["questions"]:
        assert set(question) >= {"code", "kind", "prompt", "options", "required"}
        assert question["prompt"]["sv"] and question["prompt"]["en"]
    hours = next(q for q in data["questions"] if q["code"] == "hours_lost")
    assert hours["min"] == 0 and hours["max"] == 200


def test_saving_makes_a_new_version_and_a_wave_keeps_the_one_it_opened_with(api, client, lead):
    builders.make_people(2)
    rollout = builders.make_rollout(KEY, lead=lead)
    first = ok(api.get(f"/rollouts/{KEY}/questionnaire"))
    pilot = open_feedback(rollout, lead)
    token = tokens(pilot)["p1"]

    printer = {"code": "printer", "kind": "choice", "required": False,
               "prompt": {"sv": "Fungerar skrivaren?", "en": "Does the printer work?"},
               "options": [{"value": "ok", "sv": "Ja", "en": "Yes"}, {"value": "broken", "sv": "Nej", "en": "No"}]}
    second = ok(put_questionnaire(api, first["questions"] + [printer]))
    assert second["version"] == 2
    assert second["questions"][-1] == printer
    assert ok(api.get(f"/rollouts/{KEY}/questionnaire")) == second
    # the same questions again change nothing
    assert ok(put_questionnaire(api, second["questions"]))["version"] == 2

    # the old version stays readable, unchanged
    assert ok(api.get(f"/rollouts/{KEY}/questionnaire", query_string={"version": 1})) == first
    assert ok(api.get(f"/rollouts/{KEY}/questionnaire", query_string={"version": 2})) == second

    # the open wave still asks version 1: the new question is not one of its questions
    opened = form(client, token)["questionnaire"]
    assert opened == first
    error = error_of(answer(client, token, {"satisfaction": 4, "worked_day_one": "yes", "printer": "ok"}), 422)
    assert fields_of(error) == {"printer"}

    # a wave that opens feedback after the save gets version 2
    builders.make_people(2, start=3)
    later = builders.make_wave(rollout, lead, percentage=100)
    waves.transition(pilot, "review", lead)
    waves.decide(pilot, "go", "Piloten gick bra", lead)
    waves.transition(later, "active", lead)
    waves.transition(later, "feedback", lead)
    assert form(client, tokens(later)["p3"])["questionnaire"]["version"] == 2


@pytest.mark.parametrize("version, status", [(3, 404), (2**31 - 1, 404), (2**31, 422), (10**30, 422),
                                             (0, 422), (-1, 422), ("abc", 422), ("1.5", 422), ("", 422)])
def test_a_version_that_does_not_exist_is_404_and_one_that_cannot_is_422(api, lead, version, status):
    builders.make_rollout(KEY, lead=lead)
    ok(put_questionnaire(api, EVERY_KIND))
    error = error_of(api.get(f"/rollouts/{KEY}/questionnaire", query_string={"version": version}), status)
    if status == 422:
        assert fields_of(error) == {"version"}


def test_a_code_cannot_take_another_kind_of_question(api, lead):
    builders.make_rollout(KEY, lead=lead)
    original = ok(api.get(f"/rollouts/{KEY}/questionnaire"))["questions"]
    as_nps = [{**original[0], "kind": "nps"}, *original[1:]]  # satisfaction was a rating
    error = error_of(put_questionnaire(api, as_nps), 422)
    assert error["code"] == "validation_failed"
    assert fields_of(error) == {"questions.0.code"}
    # also once the code has left the questionnaire: it meant a rating in version 1
    assert ok(put_questionnaire(api, original[1:]))["version"] == 2
    error = error_of(put_questionnaire(api, as_nps), 422)
    assert fields_of(error) == {"questions.0.code"}
    assert ok(api.get(f"/rollouts/{KEY}/questionnaire"))["version"] == 2
    # a new meaning under a new code is fine
    assert ok(put_questionnaire(api, [{**as_nps[0], "code": "recommend"}, *original[1:]]))["version"] == 3


def test_a_bad_questionnaire_names_each_problem_and_saves_nothing(api, lead):
    builders.make_rollout(KEY, lead=lead)
    bad = [dict(q) for q in EVERY_KIND]
    bad[2] = {**bad[2], "options": bad[2]["options"][:1]}
    bad[5] = {**bad[5], "min": 50}
    bad[6] = {**bad[6], "prompt": {"sv": "Vad gick bra?", "en": ""}}
    bad.append({**bad[0]})
    error = error_of(put_questionnaire(api, bad), 422)
    assert fields_of(error) == {"questions.2.options", "questions.5.max", "questions.6.prompt.en", "questions.7.code"}
    assert ok(api.get(f"/rollouts/{KEY}/questionnaire"))["version"] == 1


def test_a_reviewer_reads_the_questionnaire_but_cannot_save_one(api, shared):
    before = ok(api.get("/rollouts/shared-2027/questionnaire"))
    assert before["version"] == 1
    assert error_of(put_questionnaire(api, EVERY_KIND, "shared-2027"), 403)["code"] == "forbidden"
    # a reviewer's junk is refused for who they are, not for the junk
    error_of(put_questionnaire(api, "junk", "shared-2027"), 403)
    assert ok(api.get("/rollouts/shared-2027/questionnaire")) == before


def test_the_questionnaire_of_a_rollout_one_cannot_see_is_404(api, other_lead):
    builders.make_rollout("secret-2027", other_lead)
    for response in (api.get("/rollouts/secret-2027/questionnaire"),
                     put_questionnaire(api, EVERY_KIND, "secret-2027"),
                     api.get("/rollouts/no-such-rollout/questionnaire")):
        assert error_of(response, 404)["code"] == "not_found"


# --- answering with the personal token ----------------------------------------

def test_the_personal_token_opens_the_waves_form(client, survey):
    data = form(client, survey.token)
    assert data["rollout"] == KEY and data["wave"] == 0
    assert data["can_answer"] is True and data["can_report"] is True and data["state"] == "feedback"
    assert data["closes_at"] and data["answers"] == {} and data["submitted_at"] is None
    assert data["questionnaire"]["version"] == 2
    assert [q["code"] for q in data["questionnaire"]["questions"]] == [q["code"] for q in EVERY_KIND]
    tool = data["questionnaire"]["questions"][2]
    assert tool["prompt"] == {"sv": "Vilket verktyg?", "en": "Which tool?"} and tool["options"] == OPTIONS["tool"]
    assert "login" in {c["code"] for c in data["categories"]}
    assert data["severities"] == ["blocker", "major", "minor"]
    # one person's form: nothing about who else is in the wave
    assert "p2" not in str(data) and "Person p1" not in str(data)


def test_answering_stores_one_response_and_answering_again_edits_it(client, survey):
    receipt = ok(answer(client, survey.token, GOOD, language="en"))
    assert receipt["wave"] == 0 and receipt["rollout"] == KEY
    assert comparable(receipt["answers"]) == comparable(GOOD)
    assert receipt["submitted_at"] == receipt["updated_at"]
    assert responses_stored() == 1
    assert db.session.scalar(select(Response.language)) == "en"

    changed = {**GOOD, "satisfaction": "2", "features": ["calendar"], "worked_day_one": False, "hours_lost": 3,
               "went_well": ""}
    again = ok(answer(client, survey.token, changed))
    assert again["answers"] == {"satisfaction": 2, "recommend": 9, "tool": "teams", "features": ["calendar"],
                                "worked_day_one": "no", "hours_lost": 3}
    assert again["submitted_at"] == receipt["submitted_at"] and again["updated_at"] >= receipt["updated_at"]
    assert responses_stored() == 1
    assert form(client, survey.token)["answers"] == again["answers"]

    # another member's token is another response
    ok(answer(client, survey.tokens["p2"], {"satisfaction": 5, "worked_day_one": "yes"}))
    assert responses_stored() == 2
    assert form(client, survey.token)["answers"] == again["answers"]


@pytest.mark.parametrize("code, value", [
    ("satisfaction", 0), ("satisfaction", 6), ("satisfaction", "x"), ("satisfaction", 4.5), ("satisfaction", True),
    ("recommend", 11), ("recommend", -1),
    ("tool", "fax"), ("tool", ["teams"]),
    ("features", ["chat", "fax"]), ("features", [["chat"]]),
    ("worked_day_one", "maybe"), ("worked_day_one", 1),
    ("hours_lost", 41), ("hours_lost", -1), ("hours_lost", "NaN"), ("hours_lost", "Infinity"), ("hours_lost", "abc"),
    ("went_well", "x" * 2001), ("went_well", 42), ("went_well", "nul\x00"),
    ("nope", 1),
])
def test_a_bad_answer_is_422_on_its_question_and_stores_nothing(client, survey, code, value):
    error = error_of(answer(client, survey.token, {**GOOD, code: value}), 422)
    assert error["code"] == "validation_failed"
    assert fields_of(error) == {code}
    assert all(d["message"] for d in error["details"])
    assert responses_stored() == 0
    assert form(client, survey.token)["answers"] == {}


@pytest.mark.parametrize("missing", ["satisfaction", "worked_day_one"])
def test_a_required_question_left_out_or_empty_is_422(client, survey, missing):
    for answers in ({k: v for k, v in GOOD.items() if k != missing}, {**GOOD, missing: ""},
                    {**GOOD, missing: None}, {**GOOD, missing: "   "}):
        assert fields_of(error_of(answer(client, survey.token, answers), 422)) == {missing}
    assert responses_stored() == 0


def test_a_bad_edit_keeps_the_answers_given_before(client, survey):
    ok(answer(client, survey.token, GOOD))
    error_of(answer(client, survey.token, {**GOOD, "recommend": 11, "hours_lost": 99}), 422)
    assert comparable(form(client, survey.token)["answers"]) == comparable(GOOD)
    assert responses_stored() == 1


@pytest.mark.parametrize("body, field", [({"answers": GOOD, "language": "fr"}, "language"),
                                         ({"answers": GOOD, "language": 1}, "language"),
                                         ({"answers": [GOOD]}, "answers"), ({}, "answers")])
def test_a_body_of_the_wrong_shape_is_422(client, survey, body, field):
    response = client.post(f"/api/v1/feedback/{survey.token}", json=body)
    assert field in fields_of(error_of(response, 422))
    assert responses_stored() == 0


@pytest.mark.parametrize("to", ["review", "paused"])
def test_answering_when_the_wave_is_not_collecting_feedback_is_409(client, lead, survey, to):
    ok(answer(client, survey.token, GOOD))
    waves.transition(survey.wave, to, lead)
    error = error_of(answer(client, survey.token, {**GOOD, "satisfaction": 1}), 409)
    assert error["code"] == "feedback_closed"
    data = form(client, survey.token)
    assert data["can_answer"] is False and comparable(data["answers"]) == comparable(GOOD)
    # whoever had not answered cannot start now
    error_of(answer(client, survey.tokens["p2"], GOOD), 409)
    assert responses_stored() == 1


def test_a_token_that_is_no_link_reveals_nothing(client, lead, survey):
    revoked = survey.tokens["p2"]
    feedback.revoke_link(survey.wave, db.session.scalar(select(Person).where(Person.external_id == "p2")), lead)
    unknown = "A" * 43
    errors = []
    for token in (unknown, revoked, "x" * 101):
        for response in (client.get(f"/api/v1/feedback/{token}"), answer(client, token, GOOD),
                         client.post(f"/api/v1/feedback/{token}/problems",
                                     json={"category": "login", "severity": "minor", "description": "x"})):
            error = error_of(response, 404)
            assert error["code"] == "link_not_valid"
            errors.append(error)
    assert all(e == errors[0] for e in errors)
    assert KEY not in str(errors[0]) and "Wave" not in str(errors[0])
    assert responses_stored() == 0
    # and a cancelled wave's links stop working the same way
    waves.transition(survey.wave, "cancelled", lead)
    assert error_of(client.get(f"/api/v1/feedback/{survey.token}"), 404) == errors[0]


def test_the_personal_routes_need_no_csrf_token_even_when_forms_do(database_url, tmp_path, app, survey):
    strict = make_app(database_url, WTF_CSRF_ENABLED=True, SECRET_KEY="test-secret")
    strict.instance_path = str(tmp_path)
    client = strict.test_client()
    assert client.post("/login", data={"email": "a@example.se", "password": "x"}).status_code == 400
    ok(client.post(f"/api/v1/feedback/{survey.token}", json={"answers": GOOD}))
    ok(client.post(f"/api/v1/feedback/{survey.token}/problems",
                   json={"category": "login", "severity": "minor", "description": "Tar tid"}), 201)
    assert responses_stored() == 1


# --- problem reports ----------------------------------------------------------

def report(client, token, **change):
    body = {"category": "printing", "severity": "major", "description": "Skrivaren på plan 3 syns inte"}
    body.update(change)
    return client.post(f"/api/v1/feedback/{token}/problems", json=body)


def test_a_participant_reports_a_problem_and_the_team_sees_and_triages_it(api, client, survey):
    receipt = ok(report(client, survey.token), 201)
    assert set(receipt) == {"id", "category", "severity", "status", "created_at"}
    assert receipt["category"] == "printing" and receipt["severity"] == "major" and receipt["status"] == "new"
    ok(report(client, survey.tokens["p2"], severity="minor", category="software", description="Långsam start"), 201)

    listed = ok(api.get(f"/rollouts/{KEY}/problems"))
    assert listed["total"] == 2
    first = listed["items"][0]  # the major one comes first
    assert first["id"] == receipt["id"] and first["wave"] == 0 and first["status"] == "new"
    assert first["description"] == "Skrivaren på plan 3 syns inte" and first["note"] == ""
    assert first["reporter"]["external_id"] == "p1"

    triaged = ok(api.patch(f"/problems/{receipt['id']}", json={"status": "acknowledged", "note": "Ny drivrutin"}))
    assert triaged["status"] == "acknowledged" and triaged["note"] == "Ny drivrutin" and triaged["id"] == receipt["id"]
    # a note alone keeps the status; a status alone keeps the note
    assert ok(api.patch(f"/problems/{receipt['id']}", json={"note": "Utrullad fredag"}))["status"] == "acknowledged"
    resolved = ok(api.patch(f"/problems/{receipt['id']}", json={"status": "resolved"}))
    assert resolved["status"] == "resolved" and resolved["note"] == "Utrullad fredag"

    assert [p["id"] for p in ok(api.get(f"/rollouts/{KEY}/problems", query_string={"status": "resolved"}))["items"]] \
        == [receipt["id"]]
    assert ok(api.get(f"/rollouts/{KEY}/problems", query_string={"status": "new"}))["total"] == 1
    assert ok(api.get(f"/rollouts/{KEY}/problems", query_string={"wave": 0}))["total"] == 2
    paged = ok(api.get(f"/rollouts/{KEY}/problems", query_string={"per_page": 1, "page": 2}))
    assert paged["total"] == 2 and len(paged["items"]) == 1


def test_problem_filters_of_other_waves_and_statuses(api, client, lead, survey):
    ok(report(client, survey.token), 201)
    assert ok(api.get(f"/rollouts/{KEY}/problems", query_string={"wave": 0, "status": "acknowledged"}))["total"] == 0
    for query, field in (({"wave": 7}, "wave"), ({"wave": "x"}, "wave"), ({"wave": 2**40}, "wave"),
                         ({"status": "closed"}, "status"), ({"status": "new\x00"}, "status"),
                         ({"page": 0}, "page")):
        assert fields_of(error_of(api.get(f"/rollouts/{KEY}/problems", query_string=query), 422)) == {field}


def test_a_bad_problem_report_is_422_and_reports_nothing(api, client, survey):
    error = error_of(report(client, survey.token, category="nope", severity="critical", description=" "), 422)
    assert fields_of(error) == {"category", "severity", "description"}
    error = error_of(report(client, survey.token, description="x" * 2001), 422)
    assert fields_of(error) == {"description"}
    assert ok(api.get(f"/rollouts/{KEY}/problems"))["total"] == 0


def test_a_bad_triage_is_422_and_changes_nothing(api, client, survey):
    problem = ok(report(client, survey.token), 201)["id"]
    for body, field in (({"status": "closed"}, "status"), ({"status": "resolved", "note": "x" * 2001}, "note"),
                        ({"status": None}, "status"), ({"note": ["x"]}, "note")):
        assert fields_of(error_of(api.patch(f"/problems/{problem}", json=body), 422)) == {field}
    item = ok(api.get(f"/rollouts/{KEY}/problems"))["items"][0]
    assert item["status"] == "new" and item["note"] == ""


@pytest.mark.parametrize("to", ["review", "paused"])
def test_problems_are_reported_while_paused_and_in_review(api, client, lead, survey, to):
    waves.transition(survey.wave, to, lead)
    assert form(client, survey.token)["can_report"] is True
    ok(report(client, survey.token), 201)
    assert ok(api.get(f"/rollouts/{KEY}/problems"))["total"] == 1


def test_reporting_once_the_team_has_decided_is_409(api, client, lead, survey):
    waves.transition(survey.wave, "review", lead)
    waves.decide(survey.wave, "go", "Good enough", lead)
    assert error_of(report(client, survey.token), 409)["code"] == "feedback_closed"
    assert form(client, survey.token)["can_report"] is False
    assert ok(api.get(f"/rollouts/{KEY}/problems"))["total"] == 0


def test_a_blocker_goes_to_the_leads_at_once(client, lead, survey):
    ok(report(client, survey.token, severity="blocker"), 201)
    sent = db.session.scalars(select(Notification).where(Notification.kind == "blocker")).all()
    assert [n.to_address for n in sent] == [lead.email]


def test_an_anonymous_rollout_does_not_name_the_reporter(api, client, lead):
    builders.make_people(2)
    rollout = builders.make_rollout("anon-2027", lead=lead, anonymous=True)
    token = tokens(open_feedback(rollout, lead))["p1"]
    ok(report(client, token), 201)
    item = ok(api.get("/rollouts/anon-2027/problems"))["items"][0]
    assert item["reporter"] is None
    assert db.session.scalar(select(ProblemReport.person_id)) is None


def test_a_reviewer_sees_the_problems_but_cannot_triage(api, client, shared):
    problem = ok(report(client, shared.token), 201)["id"]
    assert [p["id"] for p in ok(api.get("/rollouts/shared-2027/problems"))["items"]] == [problem]
    assert error_of(api.patch(f"/problems/{problem}", json={"status": "resolved"}), 403)["code"] == "forbidden"
    error_of(api.patch(f"/problems/{problem}", json={"status": 42}), 403)
    assert ok(api.get("/rollouts/shared-2027/problems"))["items"][0]["status"] == "new"


def test_the_problems_of_a_rollout_one_cannot_see_are_404(api, client, ctx, other_lead):
    builders.make_people(2, prefix="h")
    hidden = builders.make_rollout("secret-2027", other_lead)
    problem = ok(report(client, tokens(open_feedback(hidden, other_lead))["h1"]), 201)["id"]
    patched = api.patch(f"/problems/{problem}", json={"status": "resolved"})
    missing = api.patch(f"/problems/{problem + 1000}", json={"status": "resolved"})
    assert error_of(patched, 404) == error_of(missing, 404)
    error_of(api.patch(f"/problems/{2**40}", json={"status": "resolved"}), 404)
    assert error_of(api.get("/rollouts/secret-2027/problems"), 404)["code"] == "not_found"
    assert db.session.scalar(select(ProblemReport.status)) == "new"


def test_the_leads_routes_need_a_bearer_token(client, survey):
    problem = ok(report(client, survey.token), 201)["id"]
    for response in (client.get(f"/api/v1/rollouts/{KEY}/problems"),
                     client.patch(f"/api/v1/problems/{problem}", json={"status": "resolved"}),
                     client.get(f"/api/v1/rollouts/{KEY}/questionnaire"),
                     client.put(f"/api/v1/rollouts/{KEY}/questionnaire", json={"questions": EVERY_KIND})):
        assert error_of(response, 401)["code"] == "unauthorized"


# --- the service below the API refuses bad shapes on its own ---------------

@pytest.mark.parametrize("code", [["satisfaction"], {"a": 1}], ids=["list", "object"])
def test_the_service_refuses_a_code_that_is_not_text(ctx, lead, code):
    from rollout.services import questionnaires
    from rollout.services.errors import ValidationFailed

    rollout = builders.make_rollout(KEY, lead=lead)
    with pytest.raises(ValidationFailed):
        questionnaires.save(rollout, [{**EVERY_KIND[0], "code": code}], lead)


def test_reminder_days_and_anonymity_k_through_the_api(api, ctx, lead):
    builders.make_rollout("set-2027", lead=lead)
    response = api.patch("/rollouts/set-2027", json={"reminder_days": 4, "anonymity_k": 7})
    assert response.status_code == 200
    assert (response.get_json()["reminder_days"], response.get_json()["anonymity_k"]) == (4, 7)
    assert api.patch("/rollouts/set-2027", json={"reminder_days": 99}).status_code == 422
    assert api.get("/rollouts/set-2027").get_json()["reminder_days"] == 4


def test_results_and_gate_through_the_api(api, ctx, lead):
    from rollout.services import feedback as feedback_service
    from rollout.services import waves as wave_service
    builders.make_people(6, prefix="g")
    rollout = builders.make_rollout("gate-2027", lead=lead)
    wave = builders.make_wave(rollout, lead, percentage=100)
    wave_service.transition(wave, "active", lead)
    wave_service.transition(wave, "feedback", lead)
    from rollout.models import FeedbackLink
    for link in FeedbackLink.query.filter_by(wave_id=wave.id).limit(5):
        feedback_service.submit(feedback_service.link_url(link).rsplit("/", 1)[1],
                                {"satisfaction": 5, "worked_day_one": "yes"})
    results = api.get("/rollouts/gate-2027/waves/0/results").get_json()
    assert (results["invited"], results["responded"]) == (6, 5)
    assert set(results["response_rate"]) >= {"value", "low", "high"}
    assert results["questions"]["satisfaction"]["satisfied"]["value"] == 1.0
    gate = api.get("/rollouts/gate-2027/waves/0/gate").get_json()
    assert gate["verdict"] == "insufficient_evidence"
    assert {c["name"] for c in gate["criteria"]} >= {"min_responses", "min_response_rate", "min_satisfied",
                                                     "max_open_blockers"}
    assert all({"name", "passed", "value", "threshold", "detail"} <= set(c) for c in gate["criteria"])
    assert api.put("/rollouts/gate-2027/gate", json={"min_satisfied": 0.5, "min_response_rate": 0.4}).status_code == 200
    assert api.get("/rollouts/gate-2027/waves/0/gate").get_json()["verdict"] == "go"
    assert api.put("/rollouts/gate-2027/waves/0/gate", json={"min_satisfied": 0.99}).get_json()["min_satisfied"] == 0.99
    assert api.get("/rollouts/gate-2027/waves/0/gate").get_json()["verdict"] == "insufficient_evidence"
    assert api.put("/rollouts/gate-2027/gate", json={"min_satisfied": 60}).status_code == 422
    assert api.get("/rollouts/gate-2027/results").get_json()["total"] == 1


def test_problem_categories_through_the_api(api, ctx, lead):
    builders.make_rollout("cats-2027", lead=lead)
    assert len(api.get("/rollouts/cats-2027").get_json()["problem_categories"]) == 7
    response = api.patch("/rollouts/cats-2027", json={"problem_categories": [
        {"code": "vpn", "sv": "Fjärranslutning", "en": "Remote access"}]})
    assert response.status_code == 200 and response.get_json()["problem_categories"][0]["code"] == "vpn"
    bad = api.patch("/rollouts/cats-2027", json={"problem_categories": [{"code": "Bad Code", "sv": "x", "en": "y"}]})
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "problem_categories.0.code"
    assert api.patch("/rollouts/cats-2027", json={"problem_categories": []}).status_code == 422
