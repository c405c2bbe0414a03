"""The JSON API as a client sees it: people, CSV import, rollouts, waves and
their state machine. Errors, tokens, the OpenAPI document and malformed input
are in test_api_errors.py."""
from __future__ import annotations

import pytest

from rollout.services import cohorts, rollouts

from . import builders
from .conftest import Api
from .helpers import error_of, fields_of, ok

KEY = "win11-2027"


@pytest.fixture
def rollout(api) -> dict:
    """A rollout the token's user leads (leading one also lets them manage people)."""
    return ok(api.post("/rollouts", json={"key": KEY, "name": "Windows 11", "description": "New PCs"}), 201)


def all_people(api, **query) -> list[dict]:
    body = ok(api.get("/people", query_string={"per_page": 500, **query}))
    return body["items"]


def post_csv(api, data, content_type="text/csv"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return api.post("/people/import", data=data, headers={"Content-Type": content_type})


# --- people: upsert ---------------------------------------------------------

def test_upsert_creates_then_counts_only_changed_people_as_updated(api, rollout):
    rows = builders.person_rows(3)
    assert ok(api.post("/people", json={"people": rows})) == {"created": 3, "updated": 0}

    rows[0]["name"] = "Ny Namnsson"
    rows.append({"external_id": "p4", "name": "Person p4", "email": "p4@example.se", "unit": "Enhet B"})
    assert ok(api.post("/people", json={"people": rows})) == {"created": 1, "updated": 1}

    # the very same list again changes nothing
    assert ok(api.post("/people", json={"people": rows})) == {"created": 0, "updated": 0}
    by_id = {p["external_id"]: p for p in all_people(api)}
    assert len(by_id) == 4
    assert by_id["p1"]["name"] == "Ny Namnsson"
    assert by_id["p4"]["unit"] == "Enhet B"


def test_upsert_sets_and_clears_attributes(api, rollout):
    row = {"external_id": "e1", "name": "Eva", "email": "eva@example.se", "attributes": {"site": "Karlstad"}}
    ok(api.post("/people", json={"people": [row]}))
    assert all_people(api)[0]["attributes"] == {"site": "Karlstad"}
    row["attributes"] = {"site": None, "role": "chef"}
    assert ok(api.post("/people", json={"people": [row]})) == {"created": 0, "updated": 1}
    assert all_people(api)[0]["attributes"] == {"role": "chef"}


def test_upsert_with_one_bad_person_saves_nobody_and_names_each_problem(api, rollout):
    ok(api.post("/people", json={"people": [{"external_id": "p1", "name": "Old Name", "email": "p1@example.se"}]}))
    rows = builders.person_rows(4)
    rows[0]["name"] = "New Name"  # fine on its own, but must not be saved either
    rows[1]["email"] = "not-an-address"
    rows[3]["external_id"] = "has space"
    del rows[3]["name"]

    error = error_of(api.post("/people", json={"people": rows}), 422)

    problems = {(d["index"], d["field"]) for d in error["details"]}
    assert problems == {(1, "email"), (3, "external_id"), (3, "name")}
    assert all(d["message"] for d in error["details"])
    people = all_people(api)
    assert [(p["external_id"], p["name"]) for p in people] == [("p1", "Old Name")]


def test_upsert_rejects_an_external_id_given_twice(api, rollout):
    rows = builders.person_rows(2)
    rows[1]["external_id"] = "p1"
    error = error_of(api.post("/people", json={"people": rows}), 422)
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "external_id")]
    assert all_people(api) == []


def test_upsert_needs_a_non_empty_list(api, subtests, rollout):
    for people in (None, [], "p1", {"external_id": "p1"}):
        with subtests.test(people=people):
            error = error_of(api.post("/people", json={"people": people}), 422)
            assert "people" in fields_of(error)


def test_people_are_managed_only_by_people_managers_and_admins(client, admin_api, ctx):
    leader = builders.make_user("leader@example.se", "Leader")
    api = Api(client, builders.make_token(leader))
    builders.make_rollout("mine-2027", leader)  # leading a rollout gives no right to the directory
    error = error_of(api.post("/people", json={"people": builders.person_rows(1)}), 403)
    assert error["code"] == "forbidden"
    assert ok(admin_api.post("/people", json={"people": builders.person_rows(1)})) == {"created": 1, "updated": 0}


# --- people: list -----------------------------------------------------------

@pytest.fixture
def some_people(ctx):
    builders.make_people(3, unit="Enhet A", prefix="a")
    builders.make_people(2, unit="Enhet B", prefix="b")
    builders.make_people(1, unit="Enhet B", prefix="x", site="Växjö")


def test_list_people_pages_as_items_and_total(api, some_people):
    body = ok(api.get("/people"))
    assert body["total"] == 6 and len(body["items"]) == 6
    person = next(p for p in body["items"] if p["external_id"] == "x1")
    assert person == {"external_id": "x1", "name": "Person x1", "email": "x1@example.se", "unit": "Enhet B",
                      "language": "sv", "attributes": {"site": "Växjö"}}

    pages = [ok(api.get("/people", query_string={"page": n, "per_page": 4})) for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [4, 2, 0]
    assert {p["total"] for p in pages} == {6}
    seen = [p["external_id"] for page in pages for p in page["items"]]
    assert sorted(seen) == sorted(p["external_id"] for p in body["items"])


def test_list_people_filters_by_unit_and_search(api, some_people):
    unit_b = ok(api.get("/people", query_string={"unit": "Enhet B"}))
    assert unit_b["total"] == 3
    assert {p["external_id"] for p in unit_b["items"]} == {"b1", "b2", "x1"}

    assert ok(api.get("/people", query_string={"q": "PERSON A2"}))["total"] == 1  # name, any case
    assert ok(api.get("/people", query_string={"q": "b1@example"}))["total"] == 1  # e-mail
    assert {p["external_id"] for p in ok(api.get("/people", query_string={"q": "a"}))["items"]} >= {"a1", "a2", "a3"}
    both = ok(api.get("/people", query_string={"q": "b", "unit": "Enhet A"}))
    assert both == {"items": [], "total": 0, "page": 1, "per_page": 50}
    assert ok(api.get("/people", query_string={"unit": "No such unit"}))["total"] == 0
    # the search is for the text itself, not a pattern
    assert ok(api.get("/people", query_string={"q": "%"}))["total"] == 0
    assert ok(api.get("/people", query_string={"q": "_1"}))["total"] == 0


def test_search_ignores_the_case_of_swedish_letters(api, rollout):
    people = [{"external_id": "s1", "name": "Åsa Öberg", "email": "asa@example.se"},
              {"external_id": "s2", "name": "Ärling Östlund", "email": "arling@example.se"}]
    ok(api.post("/people", json={"people": people}))
    assert [p["external_id"] for p in all_people(api, q="åsa öberg")] == ["s1"]
    assert [p["external_id"] for p in all_people(api, q="ÖSTLUND")] == ["s2"]


def test_bad_paging_is_422(api, subtests, some_people):
    for query, field in (({"page": 0}, "page"), ({"page": -1}, "page"), ({"page": "abc"}, "page"),
                         ({"page": "1.5"}, "page"), ({"page": 10**30}, "page"), ({"per_page": 0}, "per_page"),
                         ({"per_page": 501}, "per_page"), ({"per_page": ""}, "per_page")):
        with subtests.test(query=query):
            error = error_of(api.get("/people", query_string=query), 422)
            assert fields_of(error) == {field}


def test_bad_paging_is_422_on_every_list(api, rollout):
    ok(api.post(f"/rollouts/{KEY}/waves", json={"name": "Pilot", "selection": {"percentage": 5}}), 201)
    for path in ("/people", "/rollouts", f"/rollouts/{KEY}/waves", f"/rollouts/{KEY}/waves/0/preview",
                 f"/rollouts/{KEY}/waves/0/members"):
        error_of(api.get(path, query_string={"per_page": 1000}), 422)


# --- people: CSV import ----------------------------------------------------

def test_import_creates_then_updates(api, rollout):
    text = ("external_id,name,email,unit,site\n"
            "k1,Karin Karlsson,karin@example.se,IT-avdelningen,Karlstad\n"
            "k2,Kalle Kula,kalle@example.se,IT-avdelningen,\n")
    assert ok(post_csv(api, text)) == {"created": 2, "updated": 0}
    assert ok(post_csv(api, text.replace("Kalle Kula", "Kalle Kulan"))) == {"created": 0, "updated": 1}
    by_id = {p["external_id"]: p for p in all_people(api)}
    assert by_id["k1"]["unit"] == "IT-avdelningen"
    assert by_id["k1"]["attributes"] == {"site": "Karlstad"}
    assert by_id["k2"]["name"] == "Kalle Kulan"


def test_import_with_bad_lines_imports_nothing_and_reports_every_bad_line(api, rollout):
    text = ("external_id,name,email,unit\n"            # line 1
            "g1,Good One,g1@example.se,Enhet A\n"       # line 2
            "g2,Bad Mail,not-an-address,Enhet A\n"      # line 3
            "g3,Good Three,g3@example.se,Enhet A\n"     # line 4
            "bad id,Bad Id,g4@example.se,Enhet A\n"     # line 5
            "g6,,g6@example.se,Enhet A\n"               # line 6: no name
            "g7,Too,many,fields,here\n")                # line 7
    error = error_of(post_csv(api, text), 422)
    found = {(d["line"], d["field"]) for d in error["details"]}
    assert {(3, "email"), (5, "external_id"), (6, "name")} <= found
    assert {d["line"] for d in error["details"]} == {3, 5, 6, 7}
    assert all(set(d) >= {"line", "field", "message"} and d["message"] for d in error["details"])
    assert all_people(api) == []


def test_import_reports_a_bad_header_on_line_1(api, rollout):
    error = error_of(post_csv(api, "external_id,name,unit\nh1,Hanna,Enhet A\n"), 422)
    assert [(d["line"], d["field"]) for d in error["details"]] == [(1, "email")]
    assert all_people(api) == []


def test_import_reports_an_external_id_repeated_in_the_file(api, rollout):
    text = "external_id,name,email\nd1,Dag,d1@example.se\nd1,Dag Igen,d1b@example.se\n"
    error = error_of(post_csv(api, text), 422)
    assert [(d["line"], d["field"]) for d in error["details"]] == [(3, "external_id")]


def test_import_of_a_swedish_excel_file_semicolons_bom_crlf(api, rollout):
    text = ("external_id;name;email;unit;site\r\n"
            "s1;Åsa Öberg;asa.oberg@example.se;Förvaltning Väst;Växjö\r\n"
            "s2;Örjan Ärlig;orjan@example.se;Förvaltning Väst;Göteborg\r\n")
    assert ok(post_csv(api, "\ufeff" + text, "text/csv; charset=utf-8")) == {"created": 2, "updated": 0}
    people = all_people(api, unit="Förvaltning Väst")
    assert [(p["external_id"], p["name"], p["attributes"]) for p in people] == [
        ("s1", "Åsa Öberg", {"site": "Växjö"}), ("s2", "Örjan Ärlig", {"site": "Göteborg"})]


def test_import_of_a_windows_1252_file_from_older_excel(api, rollout):
    data = "external_id;name;email;unit\r\nw1;Märta Åström;marta@example.se;Skolförvaltningen\r\n".encode("cp1252")
    assert ok(post_csv(api, data)) == {"created": 1, "updated": 0}
    assert all_people(api)[0]["name"] == "Märta Åström"
    assert all_people(api)[0]["unit"] == "Skolförvaltningen"


def test_import_needs_a_csv_content_type(api, subtests, rollout):
    for content_type in ("application/json", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
                         "application/octet-stream", None):
        with subtests.test(content_type=content_type):
            headers = {"Content-Type": content_type} if content_type else {}
            response = api.post("/people/import", data=b"external_id,name,email\nc1,C,c@example.se\n", headers=headers)
            assert error_of(response, 400)["code"] == "bad_request"
            assert all_people(api) == []


# --- rollouts ---------------------------------------------------------------

def test_create_and_read_a_rollout(api):
    response = api.post("/rollouts", json={"key": KEY, "name": "Windows 11", "description": "New PCs",
                                           "anonymous": True})
    created = ok(response, 201)
    expected = {"key": KEY, "name": "Windows 11", "description": "New PCs", "anonymous": True}
    assert {k: created[k] for k in expected} == expected
    fetched = ok(api.get(f"/rollouts/{KEY}"))
    assert {k: fetched[k] for k in expected} == expected
    listed = ok(api.get("/rollouts"))
    assert listed["total"] == 1 and listed["items"][0]["key"] == KEY


def test_invalid_rollout_key_is_422_on_key(api, subtests):
    for key in ("Win11-2027", "win11 2027", "w" * 65, "-win11", "win11-", "win_11", "", "åäö", None, 2027):
        with subtests.test(key=key):
            error = error_of(api.post("/rollouts", json={"key": key, "name": "Windows 11"}), 422)
            assert fields_of(error) == {"key"}
            assert ok(api.get("/rollouts"))["total"] == 0


def test_a_key_of_64_characters_is_fine(api):
    ok(api.post("/rollouts", json={"key": "w" * 64, "name": "Long"}), 201)


def test_duplicate_rollout_key_is_422_on_key(api, admin, ctx):
    builders.make_rollout(KEY, admin)  # someone else's, invisible to the caller: still taken
    error = error_of(api.post("/rollouts", json={"key": KEY, "name": "Again"}), 422)
    assert fields_of(error) == {"key"}


def test_rollout_needs_a_name(api):
    error = error_of(api.post("/rollouts", json={"key": KEY}), 422)
    assert fields_of(error) == {"name"}


@pytest.fixture
def other_lead(ctx):
    return builders.make_user("other@example.se", "Olle Other")


def test_list_shows_only_the_callers_rollouts_and_admins_see_all(api, admin_api, rollout, other_lead):
    builders.make_rollout("secret-2027", other_lead)
    assert [r["key"] for r in ok(api.get("/rollouts"))["items"]] == [KEY]
    everything = ok(admin_api.get("/rollouts"))
    assert everything["total"] == 2
    assert {r["key"] for r in everything["items"]} == {KEY, "secret-2027"}


def test_someone_elses_rollout_is_404_like_one_that_does_not_exist(api, other_lead):
    secret = builders.make_rollout("secret-2027", other_lead)
    builders.make_wave(secret, other_lead, percentage=50)
    for path in ("", "/waves", "/waves/0", "/waves/0/preview", "/waves/0/members"):
        hidden = api.get(f"/rollouts/secret-2027{path}")
        missing = api.get(f"/rollouts/no-such-rollout{path}")
        assert error_of(hidden, 404) == error_of(missing, 404)
    hidden = api.post("/rollouts/secret-2027/waves", json={"name": "Mine", "selection": {"percentage": 5}})
    assert error_of(hidden, 404)["code"] == "not_found"
    hidden = api.post("/rollouts/secret-2027/waves/0/transitions", json={"to": "cancelled"})
    assert error_of(hidden, 404)["code"] == "not_found"
    assert secret.waves[0].state == "planned"


def test_a_reviewer_can_read_but_not_plan_or_move_waves(api, lead, other_lead):
    builders.make_people(3)
    shared = builders.make_rollout("shared-2027", other_lead)
    builders.make_wave(shared, other_lead, units=["Enhet A"])
    rollouts.set_role(shared, lead.email, "reviewer", other_lead)

    assert ok(api.get("/rollouts/shared-2027"))["key"] == "shared-2027"
    assert [r["key"] for r in ok(api.get("/rollouts"))["items"]] == ["shared-2027"]
    assert ok(api.get("/rollouts/shared-2027/waves/0"))["state"] == "planned"
    # who a wave takes is the directory's: for the leads only
    assert error_of(api.get("/rollouts/shared-2027/waves/0/preview"), 403)["code"] == "forbidden"
    assert error_of(api.get("/rollouts/shared-2027/waves/0/members"), 403)["code"] == "forbidden"

    response = api.post("/rollouts/shared-2027/waves", json={"name": "Mine", "selection": {"percentage": 5}})
    assert error_of(response, 403)["code"] == "forbidden"
    error_of(api.post("/rollouts/shared-2027/waves/0/transitions", json={"to": "active"}), 403)
    error_of(api.patch("/rollouts/shared-2027", json={"name": "Renamed"}), 403)
    assert len(shared.waves) == 1 and shared.waves[0].state == "planned" and shared.name == "Rollout shared-2027"


# --- waves ------------------------------------------------------------------

def post_wave(api, name="Wave", key=KEY, **selection):
    return api.post(f"/rollouts/{key}/waves", json={"name": name, "selection": selection})


def move(api, number: int, to: str, key: str = KEY, **extra):
    return api.post(f"/rollouts/{key}/waves/{number}/transitions", json={"to": to, **extra})


def test_waves_are_numbered_from_the_pilot(api, rollout, ctx):
    builders.make_people(4)
    numbers = [ok(post_wave(api, name, units=["Enhet A"], percentage=p), 201)["number"]
               for name, p in (("Pilot", 10), ("Wave 1", 50), ("Everyone", 100))]
    assert numbers == [0, 1, 2]
    wave = ok(api.get(f"/rollouts/{KEY}/waves/1"))
    assert {k: wave[k] for k in ("number", "name", "state", "members_count")} == {
        "number": 1, "name": "Wave 1", "state": "planned", "members_count": 0}
    assert wave["selection"]["percentage"] == 50 and wave["selection"]["units"] == ["Enhet A"]
    assert ok(api.get(f"/rollouts/{KEY}"))["waves"] == 3
    error_of(api.get(f"/rollouts/{KEY}/waves/3"), 404)
    listed = ok(api.get(f"/rollouts/{KEY}/waves", query_string={"per_page": 2, "page": 2}))
    assert (listed["total"], [w["number"] for w in listed["items"]]) == (3, [2])


BAD_SELECTIONS = [
    ({"units": ["Nowhere"]}, "selection.units"),
    ({"units": ["Enhet A", "Nowhere"]}, "selection.units"),
    ({"people": ["p1", "nobody-42"]}, "selection.people"),
    ({"percentage": 0}, "selection.percentage"),
    ({"percentage": 101}, "selection.percentage"),
    ({"percentage": -5}, "selection.percentage"),
    ({"percentage": "abc"}, "selection.percentage"),
    ({"percentage": True}, "selection.percentage"),
    ({"percentage": 12.5}, "selection.percentage"),
    ({}, "selection"),
    ({"people": [], "units": [], "attributes": {}, "percentage": None}, "selection"),
]


def test_bad_selection_is_422_and_plans_nothing(api, subtests, rollout, ctx):
    builders.make_people(2)
    for selection, field in BAD_SELECTIONS:
        with subtests.test(selection=selection):
            error = error_of(api.post(f"/rollouts/{KEY}/waves", json={"name": "Pilot", "selection": selection}), 422)
            assert field in fields_of(error)
            assert ok(api.get(f"/rollouts/{KEY}/waves"))["items"] == []


def test_preview_and_members_are_paged_lists_of_people(api, rollout, ctx):
    builders.make_people(5, unit="Enhet A")
    builders.make_people(2, unit="Enhet B", prefix="b")
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)

    preview = ok(api.get(f"/rollouts/{KEY}/waves/0/preview"))
    assert preview["total"] == 5
    assert sorted(p["external_id"] for p in preview["items"]) == ["p1", "p2", "p3", "p4", "p5"]
    assert ok(api.get(f"/rollouts/{KEY}/waves/0/members")) == {"items": [], "total": 0, "page": 1, "per_page": 50}

    ok(move(api, 0, "active"))
    assert ok(api.get(f"/rollouts/{KEY}/waves/0"))["members_count"] == 5
    first = ok(api.get(f"/rollouts/{KEY}/waves/0/members", query_string={"per_page": 2}))
    second = ok(api.get(f"/rollouts/{KEY}/waves/0/members", query_string={"per_page": 2, "page": 2}))
    third = ok(api.get(f"/rollouts/{KEY}/waves/0/members", query_string={"per_page": 2, "page": 3}))
    assert (first["total"], second["total"], third["total"]) == (5, 5, 5)
    members = [m["external_id"] for page in (first, second, third) for m in page["items"]]
    assert sorted(members) == ["p1", "p2", "p3", "p4", "p5"]
    member = first["items"][0]
    assert member["bucket"] == cohorts.bucket(KEY, member["external_id"])
    page = ok(api.get(f"/rollouts/{KEY}/waves/0/preview", query_string={"per_page": 2, "page": 3}))
    assert page["total"] == 5 and len(page["items"]) == 1


def test_the_whole_flow_of_a_wave(api, rollout, ctx):
    builders.make_people(3)
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    for to in ("active", "feedback", "review"):
        assert ok(move(api, 0, to))["state"] == to

    # done needs the decision
    assert "decision" in fields_of(error_of(move(api, 0, "done"), 422))
    assert "decision" in fields_of(error_of(move(api, 0, "done", decision="maybe"), 422))
    assert ok(api.get(f"/rollouts/{KEY}/waves/0"))["state"] == "review"

    done = ok(move(api, 0, "done", decision="go", rationale="Nöjda piloter"))
    assert (done["state"], done["decision"], done["decision_rationale"]) == ("done", "go", "Nöjda piloter")
    assert done["members_count"] == 3
    # done is the end
    error = error_of(move(api, 0, "paused"), 409)
    assert error["code"] == "guard_failed"


def test_the_next_wave_starts_only_after_a_go_for_the_pilot(api, rollout, ctx):
    builders.make_people(10)
    ok(post_wave(api, "Pilot", people=["p1", "p2"]), 201)
    ok(post_wave(api, "Wave 1", units=["Enhet A"]), 201)

    error = error_of(move(api, 1, "active"), 409)
    assert error["code"] == "guard_failed"
    assert error["details"]["guard"] == "previous_wave_not_done"
    assert error["details"]["reasons"][0]["message"]
    assert ok(api.get(f"/rollouts/{KEY}/waves/1"))["state"] == "planned"

    for to in ("active", "feedback", "review"):
        ok(move(api, 0, to))
    ok(move(api, 0, "done", decision="no_go"))
    assert error_of(move(api, 1, "active"), 409)["details"]["guard"] == "previous_wave_no_go"


def test_the_next_wave_starts_after_a_go_and_takes_only_the_others(api, rollout, ctx):
    builders.make_people(10)
    ok(post_wave(api, "Pilot", people=["p1", "p2"]), 201)
    ok(post_wave(api, "Wave 1", units=["Enhet A"]), 201)
    for to in ("active", "feedback", "review"):
        ok(move(api, 0, to))
    # no answers yet, so the gate has no evidence: a go needs the lead's reason
    ok(move(api, 0, "done", decision="go", rationale="The pilot group reported in person"))
    assert ok(move(api, 1, "active"))["members_count"] == 8
    members = ok(api.get(f"/rollouts/{KEY}/waves/1/members"))["items"]
    assert {m["external_id"] for m in members} == {f"p{i}" for i in range(3, 11)}


@pytest.mark.parametrize("to", ["feedback", "review"])
def test_a_jump_over_states_is_409(api, rollout, ctx, to):
    builders.make_people(2)
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    error = error_of(move(api, 0, to), 409)
    assert error["details"]["guard"] == "not_allowed"
    assert ok(api.get(f"/rollouts/{KEY}/waves/0"))["state"] == "planned"


def test_going_back_is_409(api, rollout, ctx):
    builders.make_people(2)
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    ok(move(api, 0, "active"))
    ok(move(api, 0, "feedback"))
    assert error_of(move(api, 0, "active"), 409)["details"]["guard"] == "not_allowed"
    assert error_of(move(api, 0, "feedback"), 409)["details"]["guard"] == "same_state"


def test_starting_a_wave_whose_selection_takes_nobody_is_409(api, rollout, ctx):
    builders.make_people(3, site="Karlstad")
    ok(post_wave(api, "Pilot", attributes={"site": ["Kiruna"]}), 201)
    assert ok(api.get(f"/rollouts/{KEY}/waves/0/preview"))["total"] == 0
    error = error_of(move(api, 0, "active"), 409)
    assert error["details"]["guard"] == "no_members"
    wave = ok(api.get(f"/rollouts/{KEY}/waves/0"))
    assert (wave["state"], wave["members_count"]) == ("planned", 0)


@pytest.mark.parametrize("paused_in", ["planned", "active", "feedback", "review"])
def test_pause_and_resume_to_the_state_it_was_paused_in(api, rollout, ctx, paused_in):
    builders.make_people(3)
    # a planned wave is paused only when it would start by itself (see the test below)
    ok(api.post(f"/rollouts/{KEY}/waves", json={"name": "Pilot", "selection": {"units": ["Enhet A"]},
                                                "auto_advance": True, "planned_start": "2030-01-10"}), 201)
    path = ["planned", "active", "feedback", "review"]
    for to in path[1:path.index(paused_in) + 1]:
        ok(move(api, 0, to))

    paused = ok(move(api, 0, "paused"))
    assert (paused["state"], paused["paused_from"]) == ("paused", paused_in)
    # nothing moves on while paused, and it resumes only where it was
    elsewhere = next(s for s in path if s != paused_in)
    assert error_of(move(api, 0, elsewhere), 409)["details"]["guard"] == "not_allowed"
    assert error_of(move(api, 0, "paused"), 409)["details"]["guard"] == "same_state"

    resumed = ok(move(api, 0, paused_in))
    assert (resumed["state"], resumed["paused_from"]) == (paused_in, None)


def test_a_planned_wave_that_starts_only_by_hand_has_nothing_to_pause(api, client, auth, rollout, ctx):
    builders.make_people(3)
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    assert error_of(move(api, 0, "paused"), 409)["details"]["guard"] == "not_allowed"
    auth.login()
    client.get("/language/en")
    page = client.get(f"/rollouts/{KEY}/waves/0").get_data(as_text=True)
    assert 'value="paused"' not in page and "Pause" not in page  # not offered either
    ok(api.patch(f"/rollouts/{KEY}/waves/0", json={"auto_advance": True, "planned_start": "2030-01-10"}))
    page = client.get(f"/rollouts/{KEY}/waves/0").get_data(as_text=True)
    assert "Hold: do not start on the planned date" in page
    assert ok(move(api, 0, "paused"))["state"] == "paused"


def test_pausing_an_active_wave_keeps_its_members(api, rollout, ctx):
    builders.make_people(3)
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    ok(move(api, 0, "active"))
    ok(move(api, 0, "paused"))
    builders.make_people(2, start=4)
    assert ok(move(api, 0, "active"))["members_count"] == 3
    assert ok(api.get(f"/rollouts/{KEY}/waves/0/members"))["total"] == 3


@pytest.mark.parametrize("steps", [[], ["active"], ["active", "paused"]])
def test_cancel(api, rollout, ctx, steps):
    builders.make_people(2)
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    for to in steps:
        ok(move(api, 0, to))
    assert ok(move(api, 0, "cancelled"))["state"] == "cancelled"
    for to in ("active", "feedback", "paused", "cancelled"):
        error_of(move(api, 0, to), 409)
    assert ok(api.get(f"/rollouts/{KEY}/waves/0"))["state"] == "cancelled"


def test_an_unknown_target_state_is_422(api, subtests, rollout, ctx):
    builders.make_people(2)
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    for body in ({"to": "sideways"}, {"to": "ACTIVE"}, {"to": " active"}, {"to": ""}, {}, {"to": None}):
        with subtests.test(body=body):
            error = error_of(api.post(f"/rollouts/{KEY}/waves/0/transitions", json=body), 422)
            assert fields_of(error) == {"to"}
            assert ok(api.get(f"/rollouts/{KEY}/waves/0"))["state"] == "planned"


def test_members_are_fixed_at_start_and_newcomers_go_to_a_later_wave_by_bucket(api, rollout, ctx):
    builders.make_people(4, unit="Enhet A", prefix="old")
    ok(post_wave(api, "Pilot", units=["Enhet A"]), 201)
    ok(move(api, 0, "active"))
    ok(post_wave(api, "Wave 1", units=["Enhet A"], percentage=50), 201)

    newcomers = builders.person_rows(20, unit="Enhet A", prefix="new")
    ok(api.post("/people", json={"people": newcomers}))
    inside = {p["external_id"] for p in newcomers if cohorts.bucket(KEY, p["external_id"]) <= 50}
    outside = {p["external_id"] for p in newcomers} - inside
    assert inside and outside  # the test means something only with both

    pilot = ok(api.get(f"/rollouts/{KEY}/waves/0"))
    assert pilot["members_count"] == 4
    members = ok(api.get(f"/rollouts/{KEY}/waves/0/members"))
    assert {m["external_id"] for m in members["items"]} == {"old1", "old2", "old3", "old4"}

    preview = ok(api.get(f"/rollouts/{KEY}/waves/1/preview", query_string={"per_page": 500}))
    assert {p["external_id"] for p in preview["items"]} == inside
    assert preview["total"] == len(inside)
    assert all(p["bucket"] <= 50 for p in preview["items"])
