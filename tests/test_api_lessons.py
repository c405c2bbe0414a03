"""Lessons through the JSON API: created (from a theme or directly) with an owner and a
target wave, moved through their statuses, guarding the next wave's start, verified;
the library across rollouts, suggestions and carrying a lesson over; rollout tags;
who may; and malformed bodies that change nothing."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from rollout.extensions import db
from rollout.services import lessons, rollouts, waves

from . import builders
from .conftest import Api
from .helpers import error_of, fields_of, ok
from .test_api_errors import HUGE, NESTED, NOT_AN_OBJECT, WRONG_TYPES, _refusal_problem, _summary, _without

KEY = "win11-2027"


def delete(api, path):
    return api.client.delete("/api/v1" + path, headers=api._headers())


def new_lesson(api, key=KEY, **fields):
    body = {"title": "Fix the printer driver", "origin_wave": 0, **fields}
    return ok(api.post(f"/rollouts/{key}/lessons", json=body), 201)


def move(api, lesson, status, **extra):
    return api.patch(f"/lessons/{lesson['id']}", json={"status": status, **extra})


@pytest.fixture
def reviewer(ctx):
    return builders.make_user("rita@example.se", "Rita Reviewer")


@pytest.fixture
def pilot(ctx, lead, reviewer):
    """KEY: its pilot answered and in review, wave 1 planned; the token's user leads it, Rita reviews it."""
    rollout, wave0, wave1 = builders.pilot_in_review(lead)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    return SimpleNamespace(rollout=rollout, wave0=wave0, wave1=wave1)


@pytest.fixture
def rita(client, reviewer):
    return Api(client, builders.make_token(reviewer))


@pytest.fixture
def stranger(client, ctx):
    """A token of a user with no role on any rollout."""
    return Api(client, builders.make_token(builders.make_user("sam@example.se", "Sam Stranger")))


# --- creating --------------------------------------------------------------------

def test_a_lesson_targets_the_next_wave_by_default_and_its_owner_gets_one_email(api, pilot, reviewer, mailbox):
    lesson = new_lesson(api, action="Ship the new driver before wave 1", owner="RITA@example.se",
                        metric="problems:printing", tags=["Printing", "drivers", "printing"])
    assert {k: lesson[k] for k in ("title", "action", "origin_wave", "target_wave", "owner", "metric", "status",
                                   "tags", "rollout")} == {
        "title": "Fix the printer driver", "action": "Ship the new driver before wave 1", "origin_wave": 0,
        "target_wave": 1, "owner": reviewer.email, "metric": "problems:printing", "status": "open",
        "tags": ["drivers", "printing"], "rollout": KEY}
    [message] = mailbox.to(reviewer.email)
    assert "Fix the printer driver" in mailbox.text(message)
    ok(api.patch(f"/lessons/{lesson['id']}", json={"title": "Fix the printer driver now"}))
    assert len(mailbox.to(reviewer.email)) == 1  # the same owner is told once
    assert ok(api.get(f"/lessons/{lesson['id']}"))["title"] == "Fix the printer driver now"


def test_the_owner_writing_it_gets_no_email(api, lead, pilot, mailbox):
    new_lesson(api, owner=lead.email)
    assert mailbox.to(lead.email) == []


def test_bad_fields_are_422_with_details_and_save_nothing(api, pilot):
    builders.make_user("out@example.se", "Out Sider")
    error = error_of(api.post(f"/rollouts/{KEY}/lessons", json={
        "title": "", "owner": "out@example.se", "target_wave": 7, "metric": "nope", "origin_wave": 0}), 422)
    assert fields_of(error) == {"title", "owner", "target_wave", "metric"}
    assert fields_of(error_of(api.post(f"/rollouts/{KEY}/lessons", json={"title": "x", "origin_wave": "zero"}),
                              422)) == {"origin_wave"}
    assert fields_of(error_of(api.post(f"/rollouts/{KEY}/lessons", json={
        "title": "x", "origin_wave": 1, "target_wave": 0}), 422)) == {"target_wave"}
    assert ok(api.get(f"/rollouts/{KEY}/lessons"))["total"] == 0


def test_a_theme_of_the_retrospective_becomes_a_lesson(api, pilot):
    retro = f"/rollouts/{KEY}/waves/0/retro"
    card = ok(api.post(f"{retro}/cards", json={"kind": "better", "text": "The printer"}), 201)
    theme = ok(api.post(f"{retro}/themes", json={"title": "Printing", "cards": [card["id"]]}), 201)
    lesson = ok(api.post(f"/rollouts/{KEY}/lessons", json={"theme": theme["id"], "action": "New driver"}), 201)
    assert (lesson["title"], lesson["origin_wave"], lesson["target_wave"], lesson["theme"]) == (
        "Printing", 0, 1, theme["id"])
    assert ok(api.get(retro))["themes"][0]["lessons"] == [lesson["id"]]
    for bad in (999_999, 2**31, -1):
        assert fields_of(error_of(api.post(f"/rollouts/{KEY}/lessons", json={"theme": bad}), 422)) == {"theme"}
    assert ok(api.get(f"/rollouts/{KEY}/lessons"))["total"] == 1


def test_a_theme_of_another_rollout_is_refused(api, lead, pilot):
    builders.make_people(1, unit="Other", prefix="o")
    wave = builders.make_wave(builders.make_rollout("other-2027", lead), lead, units=["Other"])
    for state in ("active", "feedback"):
        waves.transition(wave, state, lead)
    theirs = ok(api.post("/rollouts/other-2027/waves/0/retro/themes", json={"title": "Theirs"}), 201)
    assert fields_of(error_of(api.post(f"/rollouts/{KEY}/lessons", json={"theme": theirs["id"]}), 422)) == {"theme"}


# --- listing ---------------------------------------------------------------------

def test_a_rollouts_lessons_are_listed_filtered_and_paged(api, pilot):
    first = new_lesson(api, title="One")
    new_lesson(api, title="Two")
    ok(move(api, first, "planned"))
    everything = ok(api.get(f"/rollouts/{KEY}/lessons", query_string={"per_page": 1}))
    assert everything["total"] == 2 and [x["title"] for x in everything["items"]] == ["One"]

    def titles(**query):
        return [x["title"] for x in ok(api.get(f"/rollouts/{KEY}/lessons", query_string=query))["items"]]

    assert titles(status="planned") == ["One"] and titles(status="open") == ["Two"]
    assert titles(target_wave=1) == ["One", "Two"] and titles(origin_wave=0) == ["One", "Two"]
    assert titles(origin_wave=1) == []
    for query in ({"status": "bogus"}, {"target_wave": 9}, {"origin_wave": "x"}, {"target_wave": 2**31}):
        assert fields_of(error_of(api.get(f"/rollouts/{KEY}/lessons", query_string=query), 422)) == set(query)


# --- status ----------------------------------------------------------------------

def test_status_moves_follow_the_flow(api, pilot):
    lesson = new_lesson(api)
    assert ok(move(api, lesson, "planned"))["status"] == "planned"
    assert ok(move(api, lesson, "applied"))["status"] == "applied"
    error = error_of(move(api, lesson, "deferred", reason="later"), 409)
    assert error["details"]["guard"] == "lesson_status"
    error = error_of(move(api, lesson, "verified_effective"), 409)  # wave 1 has not run yet
    assert error["details"]["guard"] == "target_not_reviewed"
    assert fields_of(error_of(move(api, lesson, "finished"), 422)) == {"status"}
    assert ok(api.get(f"/lessons/{lesson['id']}"))["status"] == "applied"


def test_deferring_or_dropping_needs_a_reason(api, pilot):
    lesson = new_lesson(api)
    assert fields_of(error_of(move(api, lesson, "deferred"), 422)) == {"reason"}
    assert fields_of(error_of(move(api, lesson, "dropped", reason="   "), 422)) == {"reason"}
    assert ok(api.get(f"/lessons/{lesson['id']}"))["status"] == "open"
    deferred = ok(move(api, lesson, "deferred", reason="Waits for the new intranet"))
    assert (deferred["status"], deferred["reason"]) == ("deferred", "Waits for the new intranet")


def test_only_an_open_lesson_is_deleted(api, pilot):
    kept, gone = new_lesson(api, title="Kept"), new_lesson(api, title="Gone")
    ok(move(api, kept, "planned"))
    assert error_of(delete(api, f"/lessons/{kept['id']}"), 409)["details"]["guard"] == "lesson_not_open"
    assert delete(api, f"/lessons/{gone['id']}").status_code == 204
    error_of(api.get(f"/lessons/{gone['id']}"), 404)
    assert [x["title"] for x in ok(api.get(f"/rollouts/{KEY}/lessons"))["items"]] == ["Kept"]


def test_the_next_wave_starts_only_once_its_lessons_are_applied(api, pilot):
    lesson = new_lesson(api, title="Brief the service desk")
    decided = ok(api.post(f"/rollouts/{KEY}/waves/0/decision",
                          json={"decision": "go", "rationale": "Good enough once the desk is briefed"}))
    assert decided["decision"] == "go"
    error = error_of(api.post(f"/rollouts/{KEY}/waves/1/transitions", json={"to": "active"}), 409)
    assert error["details"]["guard"] == "lessons_not_applied" and "Brief the service desk" in error["message"]
    ok(move(api, lesson, "planned"))
    assert error_of(api.post(f"/rollouts/{KEY}/waves/1/transitions", json={"to": "active"}),
                    409)["details"]["guard"] == "lessons_not_applied"
    assert ok(api.get(f"/rollouts/{KEY}/waves/1"))["state"] == "planned"
    ok(move(api, lesson, "applied"))
    assert ok(api.post(f"/rollouts/{KEY}/waves/1/transitions", json={"to": "active"}))["state"] == "active"
    # a lesson cannot be retargeted at a wave that has started
    other = new_lesson(api, title="Later", target_wave=None)
    assert fields_of(error_of(api.patch(f"/lessons/{other['id']}", json={"target_wave": 1}), 422)) == {"target_wave"}


# --- verification ----------------------------------------------------------------

def test_verification_compares_the_metric_in_the_origin_and_the_target_wave(api, lead, ctx):
    rollout, pilot, wave1 = builders.pilot_in_review(lead, ratings=(1, 2, 2, 1, 3, 2), rest=30)
    lesson = new_lesson(api, title="Better information", metric="satisfaction")
    without_metric = new_lesson(api, title="No metric")
    none = ok(api.get(f"/lessons/{without_metric['id']}/verification"))
    assert none["metric"] is None and none["outcome"] is None and none["before"] is None
    assert (none["origin_wave"], none["target_wave"], none["confirmed"]) == (0, 1, None)

    ok(move(api, lesson, "applied"))
    ok(move(api, without_metric, "dropped", reason="not needed"))
    ok(api.post(f"/rollouts/{KEY}/waves/0/decision", json={"decision": "go", "rationale": "Information fixed"}))
    for state in ("active", "feedback"):
        ok(api.post(f"/rollouts/{KEY}/waves/1/transitions", json={"to": state}))
    db.session.expire_all()  # the API moved the waves in requests of its own
    builders.answer_wave(wave1, [5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 5, 4, 4, 5, 5, 4, 5, 4, 5, 5])
    ok(api.post(f"/rollouts/{KEY}/waves/1/transitions", json={"to": "review"}))
    check = ok(api.get(f"/lessons/{lesson['id']}/verification"))
    assert check["before"]["value"] == 0 and check["after"]["value"] == 1 and check["change"]["low"] > 0
    assert (check["outcome"], check["proposal"], check["measure"]) == ("better", "effective", "share")
    verified = ok(move(api, lesson, "verified_effective"))
    assert verified["verification"]["confirmed"] == "effective"
    assert ok(api.get(f"/lessons/{lesson['id']}/verification"))["confirmed"] == "effective"


# --- the library, suggestions, carrying ------------------------------------------

@pytest.fixture
def library(ctx, lead, pilot):
    """Two lessons in KEY, and one in a rollout the token's user has no role on."""
    lessons.create_lesson(pilot.rollout, {"title": "Skrivare", "origin_wave": 0, "tags": ["utskrift"],
                                          "action": "Installera drivrutinen för skrivaren före utrullningen"}, lead)
    lessons.create_lesson(pilot.rollout, {"title": "Information", "origin_wave": 0,
                                          "action": "Skicka ut en lathund en vecka innan"}, lead)
    other_lead = builders.make_user("olle@example.se", "Olle Other")
    builders.make_people(2, unit="Elsewhere", prefix="e")
    elsewhere = builders.make_rollout("teams-2026", other_lead)
    builders.make_wave(elsewhere, other_lead, units=["Elsewhere"])
    return lessons.create_lesson(elsewhere, {"title": "Lathund för Teams", "origin_wave": 0, "tags": ["utskrift"],
                                             "action": "En lathund med skärmbilder"}, other_lead)


def test_the_library_searches_every_rollouts_lessons(api, stranger, library):
    def titles(api_, **query):
        return sorted(x["title"] for x in ok(api_.get("/lessons", query_string=query))["items"])

    assert titles(api, q="DRIVRUTINEN") == ["Skrivare"]
    assert titles(api, q="lathund") == ["Information", "Lathund för Teams"]  # also a rollout the caller is not on
    assert titles(api, q="driv") == ["Skrivare"] and titles(api, q="skrivaren lathund") == []
    assert titles(api, tag="utskrift") == ["Lathund för Teams", "Skrivare"]
    assert titles(api, q="lathund", tag="UTSKRIFT") == ["Lathund för Teams"]
    assert titles(api, status="planned") == [] and len(titles(api, status="open")) == 3
    assert titles(stranger, q="lathund") == ["Information", "Lathund för Teams"]  # any valid token
    paged = ok(api.get("/lessons", query_string={"per_page": 2}))
    assert paged["total"] == 3 and len(paged["items"]) == 2
    assert ok(api.get("/lessons", query_string={"tag": "a\x00b"}))["total"] == 0
    assert ok(api.get("/lessons", query_string={"q": "NOT OR \x00 lathund"}))["total"] == 0
    ok(api.get("/lessons", query_string={"q": "lathund " + "x" * 5000}))  # a word too long to index is no error
    assert fields_of(error_of(api.get("/lessons", query_string={"status": "bogus"}), 422)) == {"status"}


def test_the_library_tells_nothing_of_a_rollout_the_caller_cannot_open(api, library):
    lessons.update_lesson(library, {"owner": "olle@example.se"}, None)
    hits = {x["title"]: x for x in ok(api.get("/lessons", query_string={"q": "lathund"}))["items"]}
    mine, theirs = hits["Information"], hits["Lathund för Teams"]
    assert mine["owner"] is None and "reason" in mine and "verification" in mine  # the caller's own rollout: all
    assert theirs["action"] == "En lathund med skärmbilder" and theirs["rollout"] is None  # not even its key
    assert not {"owner", "reason", "verification", "theme"} & set(theirs)  # no e-mail address, no figures


def test_suggestions_from_similar_rollouts_and_carrying_one_over(api, lead, library):
    new = ok(api.post("/rollouts", json={"key": "print-2027", "name": "Printers", "tags": "Utskrift, skrivare"}), 201)
    assert new["tags"] == ["skrivare", "utskrift"]
    ok(api.post("/rollouts/print-2027/waves", json={"name": "Pilot", "selection": {"units": ["Pilot"]}}), 201)
    suggested = ok(api.get("/rollouts/print-2027/lessons/suggestions"))
    assert {s["lesson"]["title"]: s["shared_tags"] for s in suggested["items"]} == {
        "Skrivare": ["utskrift"], "Lathund för Teams": ["utskrift"]}
    source = next(s["lesson"] for s in suggested["items"] if s["lesson"]["rollout"] is None)  # not named
    carried = ok(api.post("/rollouts/print-2027/lessons/carry", json={"lesson": source["id"]}), 201)
    assert (carried["rollout"], carried["title"], carried["source_lesson"], carried["target_wave"], carried["status"],
            carried["tags"]) == ("print-2027", "Lathund för Teams", source["id"], 0, "open", ["utskrift"])
    assert source["id"] not in [s["lesson"]["id"] for s in ok(api.get("/rollouts/print-2027/lessons/suggestions"))[
        "items"]]
    assert ok(api.get("/rollouts/print-2027/lessons"))["total"] == 1

    own = next(s["lesson"] for s in suggested["items"] if s["lesson"]["rollout"] == KEY)
    assert error_of(api.post(f"/rollouts/{KEY}/lessons/carry", json={"lesson": own["id"]}),
                    409)["details"]["guard"] == "same_rollout"
    for bad in (999_999, 2**31, None):
        assert fields_of(error_of(api.post("/rollouts/print-2027/lessons/carry", json={"lesson": bad}),
                                  422)) == {"lesson"}
    assert ok(api.get("/rollouts/print-2027/lessons"))["total"] == 1


def test_a_rollout_without_tags_has_no_suggestions(api, library):
    assert ok(api.get(f"/rollouts/{KEY}/lessons/suggestions")) == {"items": [], "total": 0}


# --- rollouts: tags and vote budget ----------------------------------------------

def test_rollout_tags_and_vote_budget_round_trip(api):
    created = ok(api.post("/rollouts", json={"key": "tagged-2027", "name": "Tagged", "tags": ["Windows", " PC "],
                                             "vote_budget": 3}), 201)
    assert (created["tags"], created["vote_budget"]) == (["pc", "windows"], 3)
    assert ok(api.get("/rollouts/tagged-2027"))["tags"] == ["pc", "windows"]
    changed = ok(api.patch("/rollouts/tagged-2027", json={"tags": "laptops, windows", "vote_budget": 7}))
    assert (changed["tags"], changed["vote_budget"]) == (["laptops", "windows"], 7)
    assert ok(api.patch("/rollouts/tagged-2027", json={"name": "Renamed"}))["tags"] == ["laptops", "windows"]
    for body in ({"vote_budget": 0}, {"vote_budget": 51}, {"vote_budget": "3"}, {"tags": [1]}, {"tags": {"a": 1}},
                 {"tags": ["x" * 51]}, {"tags": [f"t{i}" for i in range(21)]}, {"tags": ["a\x00b"]}):
        assert fields_of(error_of(api.patch("/rollouts/tagged-2027", json=body), 422)) == set(body), body
    assert ok(api.patch("/rollouts/tagged-2027", json={"tags": []}))["tags"] == []
    assert ok(api.get("/rollouts/tagged-2027"))["vote_budget"] == 7


# --- who may ---------------------------------------------------------------------

def test_a_reviewer_keeps_lessons_too(rita, pilot):
    lesson = new_lesson(rita, title="From the reviewer")
    assert ok(move(rita, lesson, "planned"))["status"] == "planned"


def test_a_user_without_a_role_sees_404_and_changes_nothing(api, stranger, pilot):
    lesson = new_lesson(api)
    requests = [("GET", f"/rollouts/{KEY}/lessons", None), ("POST", f"/rollouts/{KEY}/lessons", {"title": "x"}),
                ("GET", f"/rollouts/{KEY}/lessons/suggestions", None),
                ("POST", f"/rollouts/{KEY}/lessons/carry", {"lesson": lesson["id"]}),
                ("GET", f"/lessons/{lesson['id']}", None), ("PATCH", f"/lessons/{lesson['id']}", {"title": "x"}),
                ("DELETE", f"/lessons/{lesson['id']}", None), ("GET", f"/lessons/{lesson['id']}/verification", None),
                ("GET", "/lessons/999999", None), ("GET", f"/lessons/{2**31}", None)]
    for method, path, body in requests:
        response = stranger.client.open("/api/v1" + path, method=method, json=body, headers=stranger._headers())
        assert error_of(response, 404)["code"] == "not_found", (method, path)
    assert ok(api.get(f"/lessons/{lesson['id']}")) == lesson


def test_without_a_token_it_is_401(client, api, pilot):
    lesson = new_lesson(api)
    for method, path in (("GET", "/lessons"), ("GET", f"/rollouts/{KEY}/lessons"), ("POST", f"/rollouts/{KEY}/lessons"),
                         ("PATCH", f"/lessons/{lesson['id']}"), ("DELETE", f"/lessons/{lesson['id']}")):
        assert error_of(client.open("/api/v1" + path, method=method, json={"title": "x"}), 401)["code"] == "unauthorized"
    assert ok(api.get(f"/lessons/{lesson['id']}")) == lesson


# --- malformed bodies ------------------------------------------------------------

def _state(api) -> tuple:
    return (ok(api.get(f"/rollouts/{KEY}/lessons"))["items"], ok(api.get(f"/rollouts/{KEY}")))


def _junk(api, subtests, method: str, path: str, bodies: list) -> None:
    before = _state(api)
    requests = [(name, {"data": data, "headers": api._headers({"Content-Type": ctype} if ctype else None)})
                for name, (data, ctype) in NOT_AN_OBJECT.items()]
    requests += [(_summary(body), {"json": body, "headers": api._headers()}) for body in bodies]
    for label, kwargs in requests:
        changed = False
        with subtests.test(msg=f"{method} {path} {label}"):
            response = api.client.open("/api/v1" + path, method=method, **kwargs)
            problem = _refusal_problem(response)
            assert problem is None, problem
            changed = _state(api) != before
            assert not changed, "refused, but changed something"
        if changed:
            break  # the cases after it would not start from the same place


def _lesson(**change):
    return {"title": "Fix printing", "origin_wave": 0, **change}


def test_malformed_bodies_are_refused_and_change_nothing(api, subtests, pilot):
    lesson = new_lesson(api)
    texts = WRONG_TYPES + ["a\x00b"]
    waves_ = _without(WRONG_TYPES, None) + [-1, 7, 2**31, 10**30, "1"]
    _junk(api, subtests, "POST", f"/rollouts/{KEY}/lessons", (
        [_lesson(title=v) for v in texts + ["", "x" * 201]]
        + [_lesson(action=v) for v in _without(texts, None) + ["x" * 5001]]
        + [_lesson(owner=v) for v in _without(texts, None) + ["nobody@example.se", "not an address"]]
        + [_lesson(origin_wave=v) for v in waves_] + [_lesson(target_wave=v) for v in waves_ + [0]]
        + [_lesson(metric=v) for v in _without(texts, None) + ["nope", "problems:nope"]]
        + [_lesson(tags=v) for v in [42, True, {}, NESTED, [None], [42], [[]], ["x" * 51], [HUGE], ["a\x00b"]]]
        + [_lesson(theme=v) for v in _without(WRONG_TYPES, None) + [0, -1, 2**31, 10**30, 999_999, "1"]]
    ))
    _junk(api, subtests, "PATCH", f"/lessons/{lesson['id']}", (
        [{"title": v} for v in texts + [""]]
        + [{"owner": v} for v in _without(texts, None) + ["nobody@example.se"]]
        + [{"target_wave": v} for v in waves_ + [0]]
        + [{"metric": v} for v in _without(texts, None) + ["nope"]]
        + [{"tags": v} for v in [42, {}, [None], [HUGE]]]
        + [{"status": v} for v in _without(WRONG_TYPES, None) + ["", "closed", "Open", "verified_effective"]]
        + [{"status": "dropped", "reason": v} for v in WRONG_TYPES + ["", "  ", "a\x00b", "x" * 2001]]
    ))
    _junk(api, subtests, "POST", f"/rollouts/{KEY}/lessons/carry",
          [{"lesson": v} for v in WRONG_TYPES + [0, -1, 2**31, 10**30, 999_999, "1", lesson["id"]]] + [{}])
    _junk(api, subtests, "PATCH", f"/rollouts/{KEY}", (
        [{"vote_budget": v} for v in _without(WRONG_TYPES, 42) + [0, 51, -1, 10**100, "5"]]
        + [{"tags": v} for v in [42, True, {}, NESTED, [None], [42], ["x" * 51], [HUGE], ["a\x00b"],
                                 [f"t{i}" for i in range(21)]]]
    ))
