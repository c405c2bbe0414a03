"""A wave's retrospective through the JSON API: cards, dot votes within the budget,
themes and moving cards between them, the evidence it opens with, who may take part,
and malformed bodies that change nothing."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from rollout.services import lessons, rollouts, waves

from . import builders
from .conftest import Api
from .helpers import error_of, fields_of, ok
from .test_api_errors import HUGE, NESTED, NOT_AN_OBJECT, WRONG_TYPES, _refusal_problem, _summary, _without

KEY = "win11-2027"
RETRO = f"/rollouts/{KEY}/waves/0/retro"


def delete(api, path):
    return api.client.delete("/api/v1" + path, headers=api._headers())


def add_card(api, kind="better", text="The printer did not work", wave=0, **extra):
    return ok(api.post(f"/rollouts/{KEY}/waves/{wave}/retro/cards", json={"kind": kind, "text": text, **extra}), 201)


def board(api, **query):
    return ok(api.get(RETRO, query_string=query))


@pytest.fixture
def reviewer(ctx):
    return builders.make_user("rita@example.se", "Rita Reviewer")


@pytest.fixture
def pilot(ctx, lead, reviewer):
    """KEY: its pilot answered and in review (the retrospective is open), wave 1 planned;
    the token's user leads it, Rita reviews it."""
    rollout, wave0, wave1 = builders.pilot_in_review(lead)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    return SimpleNamespace(rollout=rollout, wave0=wave0, wave1=wave1)


@pytest.fixture
def rita(client, reviewer):
    return Api(client, builders.make_token(reviewer))


@pytest.fixture
def stranger(client, ctx):
    """A token of a user with no role on KEY."""
    return Api(client, builders.make_token(builders.make_user("sam@example.se", "Sam Stranger")))


# --- cards -----------------------------------------------------------------------

def test_cards_are_added_and_listed_in_pages(api, pilot):
    first = add_card(api, "went_well", "Quick install")
    assert first == {"id": first["id"], "kind": "went_well", "text": "Quick install", "votes": 0, "theme": None,
                     "source": "team", "my_votes": 0, "created_at": first["created_at"]}
    add_card(api, "better", "  The printer did not work  ")
    add_card(api, "celebrate", "Support was great")
    page1 = ok(api.get(f"{RETRO}/cards", query_string={"per_page": 2}))
    assert page1["total"] == 3 and [c["text"] for c in page1["items"]] == ["Quick install", "The printer did not work"]
    page2 = ok(api.get(f"{RETRO}/cards", query_string={"per_page": 2, "page": 2}))
    assert [c["kind"] for c in page2["items"]] == ["celebrate"] and page2["total"] == 3
    assert fields_of(error_of(api.get(f"{RETRO}/cards", query_string={"per_page": 0}), 422)) == {"per_page"}
    assert ok(api.get(f"{RETRO}/cards/{first['id']}"))["votes_left"] == 5


def test_a_card_needs_a_known_kind_and_some_text_and_a_bad_one_adds_nothing(api, pilot):
    assert fields_of(error_of(api.post(f"{RETRO}/cards", json={"kind": "meh", "text": " "}), 422)) == {"kind", "text"}
    assert fields_of(error_of(api.post(f"{RETRO}/cards", json={"kind": 1, "text": "x"}), 422)) == {"kind"}
    assert fields_of(error_of(api.post(f"{RETRO}/cards", json={"text": "x"}), 422)) == {"kind"}
    assert fields_of(error_of(api.post(f"{RETRO}/cards", json={"kind": "idea", "text": "x" * 2001}), 422)) == {"text"}
    assert ok(api.get(f"{RETRO}/cards"))["total"] == 0


def test_a_card_is_edited_and_deleted(api, pilot):
    card = add_card(api)
    changed = ok(api.patch(f"{RETRO}/cards/{card['id']}", json={"kind": "idea", "text": "Test printers first"}))
    assert (changed["kind"], changed["text"]) == ("idea", "Test printers first")
    assert fields_of(error_of(api.patch(f"{RETRO}/cards/{card['id']}", json={"kind": "bad"}), 422)) == {"kind"}
    assert ok(api.get(f"{RETRO}/cards/{card['id']}"))["kind"] == "idea"
    assert delete(api, f"{RETRO}/cards/{card['id']}").status_code == 204
    error_of(api.get(f"{RETRO}/cards/{card['id']}"), 404)
    error_of(delete(api, f"{RETRO}/cards/{card['id']}"), 404)
    assert ok(api.get(f"{RETRO}/cards"))["total"] == 0


def test_a_participants_answer_becomes_a_card_without_their_name(api, pilot):
    texts = board(api)["evidence"]["texts"]["items"]
    printer = next(t for t in texts if t["text"] == "The printer did not work")
    card = add_card(api, answer=printer["id"], kind=None, text=None)
    assert (card["kind"], card["text"], card["source"]) == ("better", "The printer did not work", "participant")
    assert fields_of(error_of(api.post(f"{RETRO}/cards", json={"answer": printer["id"], "kind": "nope"}),
                              422)) == {"kind"}
    error_of(api.post(f"{RETRO}/cards", json={"answer": "0" * 24}), 404)  # an unknown reference
    assert fields_of(error_of(api.post(f"{RETRO}/cards", json={"answer": 7}), 422)) == {"answer"}  # no row ids
    assert ok(api.get(f"{RETRO}/cards"))["total"] == 1


def test_the_retrospective_opens_once_the_wave_collects_feedback(api, pilot):
    error = error_of(api.post(f"/rollouts/{KEY}/waves/1/retro/cards", json={"kind": "idea", "text": "x"}), 409)
    assert error["details"]["guard"] == "retro_not_open"
    assert ok(api.get(f"/rollouts/{KEY}/waves/1/retro"))["open"] is False


def test_a_card_of_another_wave_or_an_impossible_id_is_404(api, lead, pilot):
    builders.make_people(1, unit="Other", prefix="o")
    wave = builders.make_wave(builders.make_rollout("other-2027", lead), lead, units=["Other"])
    for state in ("active", "feedback"):
        waves.transition(wave, state, lead)
    theirs = ok(api.post("/rollouts/other-2027/waves/0/retro/cards", json={"kind": "idea", "text": "Theirs"}), 201)
    for card_id in (theirs["id"], 2**31, 10**30):
        error_of(api.get(f"{RETRO}/cards/{card_id}"), 404)
        error_of(api.patch(f"{RETRO}/cards/{card_id}", json={"text": "mine now"}), 404)
        error_of(api.post(f"{RETRO}/cards/{card_id}/votes"), 404)
        error_of(delete(api, f"{RETRO}/cards/{card_id}"), 404)
    assert ok(api.get(f"/rollouts/other-2027/waves/0/retro/cards/{theirs['id']}"))["text"] == "Theirs"
    error_of(api.get(f"/rollouts/{KEY}/waves/7/retro"), 404)


# --- dot votes -------------------------------------------------------------------

def test_votes_up_to_the_budget_then_409_and_nothing_changes(api, pilot):
    ok(api.patch(f"/rollouts/{KEY}", json={"vote_budget": 3}))
    printer, support = add_card(api), add_card(api, "went_well", "Support")
    assert ok(api.post(f"{RETRO}/cards/{printer['id']}/votes"))["votes_left"] == 2
    twice = ok(api.post(f"{RETRO}/cards/{printer['id']}/votes"))
    assert (twice["votes"], twice["my_votes"], twice["votes_left"]) == (2, 2, 1)
    assert ok(api.post(f"{RETRO}/cards/{support['id']}/votes"))["votes_left"] == 0

    error = error_of(api.post(f"{RETRO}/cards/{support['id']}/votes"), 409)
    assert error["details"]["guard"] == "no_votes_left"
    now = board(api)
    assert now["votes_left"] == 0 and now["budget"] == 3
    assert {c["text"]: (c["votes"], c["my_votes"]) for c in now["ungrouped"]} == {
        "The printer did not work": (2, 2), "Support": (1, 1)}

    # take one back, and it can go elsewhere
    back = ok(delete(api, f"{RETRO}/cards/{printer['id']}/votes"))
    assert (back["votes"], back["my_votes"], back["votes_left"]) == (1, 1, 1)
    assert ok(api.post(f"{RETRO}/cards/{support['id']}/votes"))["votes"] == 2
    ok(delete(api, f"{RETRO}/cards/{printer['id']}/votes"))
    assert error_of(delete(api, f"{RETRO}/cards/{printer['id']}/votes"), 409)["details"]["guard"] == "no_vote"
    assert ok(api.get(f"{RETRO}/cards/{printer['id']}"))["votes"] == 0


def test_each_team_member_has_their_own_dots(api, rita, pilot):
    ok(api.patch(f"/rollouts/{KEY}", json={"vote_budget": 1}))
    card = add_card(api)
    ok(api.post(f"{RETRO}/cards/{card['id']}/votes"))
    error_of(api.post(f"{RETRO}/cards/{card['id']}/votes"), 409)
    theirs = ok(rita.post(f"{RETRO}/cards/{card['id']}/votes"))  # a reviewer takes part too
    assert (theirs["votes"], theirs["my_votes"], theirs["votes_left"]) == (2, 1, 0)
    assert error_of(delete(rita, f"{RETRO}/cards/{add_card(api, 'idea', 'x')['id']}/votes"), 409)[
        "details"]["guard"] == "no_vote"
    assert ok(api.get(f"{RETRO}/cards"))["items"][0]["my_votes"] == 1


def test_deleting_a_card_gives_its_dots_back(api, pilot):
    ok(api.patch(f"/rollouts/{KEY}", json={"vote_budget": 2}))
    card, other = add_card(api), add_card(api, "idea", "Other")
    ok(api.post(f"{RETRO}/cards/{card['id']}/votes"))
    ok(api.post(f"{RETRO}/cards/{card['id']}/votes"))
    assert board(api)["votes_left"] == 0
    assert delete(api, f"{RETRO}/cards/{card['id']}").status_code == 204
    assert board(api)["votes_left"] == 2
    assert ok(api.post(f"{RETRO}/cards/{other['id']}/votes"))["votes_left"] == 1


# --- themes ----------------------------------------------------------------------

def test_cards_are_grouped_into_themes_moved_and_ungrouped(api, pilot):
    a, b = add_card(api, "better", "Printer A"), add_card(api, "better", "Printer B")
    c = add_card(api, "went_well", "Quick install")
    ok(api.post(f"{RETRO}/cards/{b['id']}/votes"))
    theme = ok(api.post(f"{RETRO}/themes", json={"title": "  Printing ", "cards": [a["id"], b["id"]]}), 201)
    assert (theme["title"], theme["votes"], theme["lessons"]) == ("Printing", 1, [])
    assert sorted(card["id"] for card in theme["cards"]) == [a["id"], b["id"]]
    now = board(api)
    assert [t["title"] for t in now["themes"]] == ["Printing"] and [x["id"] for x in now["ungrouped"]] == [c["id"]]

    # move a card in, and another out
    assert ok(api.patch(f"{RETRO}/cards/{c['id']}", json={"theme": theme["id"]}))["theme"] == theme["id"]
    assert ok(api.patch(f"{RETRO}/cards/{a['id']}", json={"theme": None}))["theme"] is None
    now = board(api)
    assert sorted(x["id"] for x in now["themes"][0]["cards"]) == [b["id"], c["id"]]
    assert [x["id"] for x in now["ungrouped"]] == [a["id"]]

    renamed = ok(api.patch(f"{RETRO}/themes/{theme['id']}", json={"title": "Printers and install"}))
    assert renamed["title"] == "Printers and install" and renamed["votes"] == 1
    assert fields_of(error_of(api.patch(f"{RETRO}/themes/{theme['id']}", json={"title": ""}), 422)) == {"title"}
    assert ok(api.get(f"{RETRO}/themes/{theme['id']}"))["title"] == "Printers and install"

    assert delete(api, f"{RETRO}/themes/{theme['id']}").status_code == 204
    now = board(api)
    assert now["themes"] == [] and len(now["ungrouped"]) == 3  # the cards stay
    error_of(api.get(f"{RETRO}/themes/{theme['id']}"), 404)


def test_a_theme_takes_only_cards_and_themes_of_its_own_retrospective(api, pilot):
    card = add_card(api)
    for cards in ([card["id"], 999_999], [2**31], "1,2", [True], [card["id"]] * 2 + ["x"]):
        assert fields_of(error_of(api.post(f"{RETRO}/themes", json={"title": "T", "cards": cards}), 422)) == {"cards"}
    assert fields_of(error_of(api.post(f"{RETRO}/themes", json={"cards": [card["id"]]}), 422)) == {"title"}
    for theme in (999_999, 2**31, -1):
        error = error_of(api.patch(f"{RETRO}/cards/{card['id']}", json={"theme": theme}), 422)
        assert fields_of(error) == {"theme"}
    assert board(api)["themes"] == [] and ok(api.get(f"{RETRO}/cards/{card['id']}"))["theme"] is None


def test_a_theme_takes_at_most_the_services_number_of_cards(api, pilot):
    from rollout.services import retro
    card = add_card(api)
    error = error_of(api.post(f"{RETRO}/themes", json={"title": "T", "cards": [card["id"]] * 1001}), 422)
    assert error["details"] == [{"field": "cards", "message": "At most 1000 cards."}]
    assert error["message"] == "The theme could not be created." and retro.MAX_THEME_CARDS == 1000
    assert ok(api.post(f"{RETRO}/themes", json={"title": "T", "cards": [card["id"]] * 1000}), 201)


# --- the evidence ----------------------------------------------------------------

def test_the_retrospective_shows_the_texts_paged_and_the_problems(api, lead):
    from rollout.services import feedback
    builders.make_people(6, unit="Pilot")
    pilot = builders.make_wave(builders.make_rollout(KEY, lead), lead, units=["Pilot"])
    for state in ("active", "feedback"):
        waves.transition(pilot, state, lead)
    builders.answer_wave(pilot, [5, 4, 2, 2, 3, 4], texts={"went_well": ["Quick install", "", "Friendly support"],
                                                           "could_be_better": ["The printer did not work"]})
    feedback.report_problem(builders.wave_tokens(pilot)["p1"],
                            {"category": "printing", "severity": "blocker", "description": "No printer"})
    waves.transition(pilot, "review", lead)

    data = board(api, per_page=2)
    assert data["open"] is True and data["wave"] == 0 and data["budget"] == 5 and data["votes_left"] == 5
    texts = data["evidence"]["texts"]
    assert texts["total"] == 3 and len(texts["items"]) == 2 and texts["hidden"] is False
    assert all(t["respondent"] and t["prompt"] for t in texts["items"])  # not an anonymous rollout
    assert board(api, per_page=2, page=2)["evidence"]["texts"]["items"][0]["text"] not in {
        t["text"] for t in texts["items"]}
    went_well = board(api, code="went_well")["evidence"]["texts"]
    assert went_well["total"] == 2 and {t["suggested_kind"] for t in went_well["items"]} == {"went_well"}
    assert data["evidence"]["problem_categories"][0]["code"] == "printing"
    assert data["evidence"]["problem_categories"][0]["count"] == 1
    [serious] = data["evidence"]["serious_problems"]
    assert (serious["severity"], serious["description"]) == ("blocker", "No printer") and "reporter" not in serious
    assert data["evidence"]["previous_wave"] is None and data["evidence"]["lessons"] == []
    assert fields_of(error_of(api.get(RETRO, query_string={"code": "a\x00b"}), 422)) == {"code"}
    assert fields_of(error_of(api.get(RETRO, query_string={"page": 0}), 422)) == {"page"}


def test_the_next_waves_retrospective_shows_the_change_and_the_carried_lessons(api, lead, pilot):
    lesson = lessons.create_lesson(pilot.rollout, {"title": "Fix printing", "origin_wave": 0,
                                                   "metric": "satisfaction"}, lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    waves.decide(pilot.wave0, "go", "fixed", lead)
    for state in ("active", "feedback"):
        waves.transition(pilot.wave1, state, lead)
    builders.answer_wave(pilot.wave1, [5, 5, 4, 5])
    evidence = ok(api.get(f"/rollouts/{KEY}/waves/1/retro"))["evidence"]
    assert evidence["previous_wave"] == 0
    satisfaction = next(c for c in evidence["changes"] if c["metric"] == "satisfaction")
    assert satisfaction["before"]["value"] is not None and satisfaction["after"]["value"] == 1
    [carried] = evidence["lessons"]
    assert carried["lesson"]["id"] == lesson.id and carried["lesson"]["status"] == "applied"
    assert carried["verification"]["metric"] == "satisfaction" and carried["verification"]["proposal"]


def test_an_anonymous_rollouts_texts_carry_no_names(api, lead):
    builders.pilot_in_review(lead, anonymous=True)
    texts = board(api)["evidence"]["texts"]
    assert texts["total"] == 4 and all(t["respondent"] is None for t in texts["items"])


# --- who may ---------------------------------------------------------------------

def test_a_user_without_a_role_sees_404_and_changes_nothing(api, stranger, pilot):
    card = add_card(api)
    theme = ok(api.post(f"{RETRO}/themes", json={"title": "Printing"}), 201)
    requests = [
        ("GET", RETRO, None), ("GET", f"{RETRO}/cards", None), ("POST", f"{RETRO}/cards", {"kind": "idea", "text": "x"}),
        ("GET", f"{RETRO}/cards/{card['id']}", None), ("PATCH", f"{RETRO}/cards/{card['id']}", {"text": "x"}),
        ("DELETE", f"{RETRO}/cards/{card['id']}", None), ("POST", f"{RETRO}/cards/{card['id']}/votes", None),
        ("DELETE", f"{RETRO}/cards/{card['id']}/votes", None), ("POST", f"{RETRO}/themes", {"title": "x"}),
        ("PATCH", f"{RETRO}/themes/{theme['id']}", {"title": "x"}), ("DELETE", f"{RETRO}/themes/{theme['id']}", None),
    ]
    for method, path, body in requests:
        response = stranger.client.open("/api/v1" + path, method=method, json=body, headers=stranger._headers())
        assert error_of(response, 404)["code"] == "not_found", (method, path)
    now = board(api)
    assert [t["title"] for t in now["themes"]] == ["Printing"] and now["ungrouped"][0]["votes"] == 0
    assert now["ungrouped"][0]["text"] == card["text"] and now["cards_total"] == 1


def test_without_a_token_it_is_401(client, api, pilot):
    card = add_card(api)
    for method, path in (("GET", RETRO), ("POST", f"{RETRO}/cards"), ("POST", f"{RETRO}/cards/{card['id']}/votes"),
                         ("DELETE", f"{RETRO}/cards/{card['id']}"), ("POST", f"{RETRO}/themes")):
        assert error_of(client.open("/api/v1" + path, method=method, json={"kind": "idea", "text": "x"}),
                        401)["code"] == "unauthorized"
    assert ok(api.get(f"{RETRO}/cards/{card['id']}"))["votes"] == 0 and board(api)["cards_total"] == 1


# --- malformed bodies ------------------------------------------------------------

def _state(api) -> dict:
    data = board(api)
    return {"themes": data["themes"], "ungrouped": data["ungrouped"], "votes_left": data["votes_left"]}


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


def test_malformed_bodies_are_refused_and_change_nothing(api, subtests, pilot):
    card = add_card(api)
    theme = ok(api.post(f"{RETRO}/themes", json={"title": "Printing", "cards": [card["id"]]}), 201)
    _junk(api, subtests, "POST", f"{RETRO}/cards", (
        [{"kind": v, "text": "x"} for v in WRONG_TYPES + ["", "Idea", "went well"]]
        + [{"kind": "idea", "text": v} for v in WRONG_TYPES + ["", "   ", "x" * 2001, "a\x00b"]]
        + [{"kind": "idea", "text": "x", "theme": v} for v in _without(WRONG_TYPES, None) + [0, -1, 2**31, 10**30,
                                                                                             999_999, "1"]]
        + [{"answer": v} for v in _without(WRONG_TYPES, None) + [0, -5, 2**31, 10**30, 999_999]]
    ))
    _junk(api, subtests, "PATCH", f"{RETRO}/cards/{card['id']}", (
        [{"kind": v} for v in WRONG_TYPES + ["", "Idea"]]
        + [{"text": v} for v in WRONG_TYPES + ["", "x" * 2001, "a\x00b"]]
        + [{"theme": v} for v in _without(WRONG_TYPES, None) + [0, -1, 2**31, 10**30, 999_999, str(theme["id"])]]
    ))
    _junk(api, subtests, "POST", f"{RETRO}/themes", (
        [{"title": v} for v in WRONG_TYPES + ["", "   ", "x" * 201, "a\x00b"]]
        + [{"title": "T", "cards": v} for v in _without(WRONG_TYPES, None, []) + [
            [None], ["x"], [True], [1.5], [0], [-1], [2**31], [10**30], list(range(1, 1002)), [HUGE], [NESTED]]]
    ))
    _junk(api, subtests, "PATCH", f"{RETRO}/themes/{theme['id']}",
          [{"title": v} for v in WRONG_TYPES + ["", "x" * 201, "a\x00b"]])
