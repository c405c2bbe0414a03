"""The web UI through the test client: forms, errors next to fields, guards,
roles. The real-browser journeys are in tests/browser."""
from __future__ import annotations

import io
import re

from rollout.extensions import db
from rollout.models import AuditEvent, Person, Rollout, Wave
from rollout.services import rollouts as rollout_service

from . import builders
from .conftest import make_app


def test_pages_need_a_login(client):
    for path in ("/rollouts/", "/people/", "/people/import", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_wrong_password_is_said_next_to_the_field(english, lead):
    response = english.post("/login", data={"email": "lead@example.se", "password": "wrong password"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="password-error"' in html and "wrong" in html
    assert 'aria-describedby="password-error"' in html


def test_login_then_logout(english, auth, lead):
    response = auth.login()
    assert response.status_code == 302
    assert english.get("/rollouts/").status_code == 200
    auth.logout()
    assert english.get("/rollouts/").status_code == 302


def test_a_deactivated_user_cannot_log_in(english, auth, lead, admin):
    from rollout.services.accounts import set_user_active
    set_user_active(lead, False, admin)
    assert auth.login().status_code == 422


def test_forms_are_protected_by_csrf(database_url, tmp_path, app):
    strict = make_app(database_url, WTF_CSRF_ENABLED=True, SECRET_KEY="x")
    strict.instance_path = str(tmp_path)
    client = strict.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    response = client.post("/login", data={"email": "a@example.se", "password": "whatever"})
    assert response.status_code == 400


def test_open_redirects_are_refused(english, lead):
    response = english.post("/login", data={"email": "lead@example.se", "password": builders.PASSWORD,
                                            "next": "https://evil.example.com/"})
    assert response.headers["Location"] == "/"


def test_creating_a_rollout_with_a_bad_key_shows_the_error_and_creates_nothing(logged_in):
    response = logged_in.post("/rollouts/new", data={"key": "Win 11!", "name": "Windows 11"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="key-error"' in html and 'class="error-summary"' in html and 'href="#key"' in html
    assert db.session.query(Rollout).count() == 0
    response = logged_in.post("/rollouts/new", data={"key": "win11-2027", "name": "Windows 11"})
    assert response.status_code == 302
    rollout = db.session.query(Rollout).one()
    assert [r.role for r in rollout.roles] == ["lead"]


def test_import_in_the_ui_lists_every_bad_line_and_imports_nothing(logged_in):
    logged_in.post("/rollouts/new", data={"key": "r1", "name": "R"})  # leads manage people
    bad = "external_id,name,email,unit\ne1,Anna,anna@example.se,A\ne2,,nope,A\ne3,Bo,bo@example.se\n"
    response = logged_in.post("/people/import", data={"file": (io.BytesIO(bad.encode()), "people.csv")},
                              content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", html)
    assert ("3", "name") in rows and ("3", "email") in rows and ("4", "") in rows
    assert db.session.query(Person).count() == 0
    good = "external_id,name,email,unit\ne1,Anna,anna@example.se,A\ne2,Bo,bo@example.se,B\n"
    response = logged_in.post("/people/import", data={"file": (io.BytesIO(good.encode()), "people.csv")},
                              content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "2 new" in response.get_data(as_text=True)
    assert db.session.query(Person).count() == 2


def test_add_and_edit_a_person_with_attributes(logged_in):
    logged_in.post("/rollouts/new", data={"key": "r1", "name": "R"})  # leads manage people
    response = logged_in.post("/people/new", data={"external_id": "e9", "name": "Nora", "email": "bad",
                                                   "unit": "IT", "language": "sv", "attributes": "site=Rådhuset"})
    assert response.status_code == 422 and 'id="email-error"' in response.get_data(as_text=True)
    logged_in.post("/people/new", data={"external_id": "e9", "name": "Nora", "email": "nora@example.se",
                                        "unit": "IT", "language": "sv", "attributes": "site=Rådhuset\nrole=chef"})
    person = db.session.query(Person).one()
    assert person.attributes == {"site": "Rådhuset", "role": "chef"} and person.unit.name == "IT"
    logged_in.post(f"/people/{person.id}/edit", data={"external_id": "e9", "name": "Nora N", "email": "nora@example.se",
                                                      "unit": "IT", "language": "en", "attributes": "site=Hamnen"})
    db.session.refresh(person)
    assert person.name == "Nora N" and person.attributes == {"site": "Hamnen"} and person.language == "en"
    listing = logged_in.get("/people/?q=nora").get_data(as_text=True)
    assert "Nora N" in listing and "site: Hamnen" in listing


def _plan(logged_in, key="win11-2027"):
    builders.make_people(30, unit="Bygglov")
    logged_in.post("/rollouts/new", data={"key": key, "name": "Windows 11"})
    logged_in.post(f"/rollouts/{key}/waves/new", data={"name": "Pilot", "people": "p1, p2\np3", "feedback_days": 7})
    logged_in.post(f"/rollouts/{key}/waves/new", data={"name": "Wave 1", "units": ["Bygglov"], "percentage": 50,
                                                       "feedback_days": 7})


def test_plan_preview_and_start_the_pilot(logged_in):
    _plan(logged_in)
    pilot_page = logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert "Preview" in pilot_page and "Person p1" in pilot_page and "Person p4" not in pilot_page
    wave1 = logged_in.get("/rollouts/win11-2027/waves/1").get_data(as_text=True)
    assert "Person p1<" not in wave1  # the pilot's people are not taken again
    response = logged_in.post("/rollouts/win11-2027/waves/1/transition", data={"to": "active"}, follow_redirects=True)
    assert "Wave 0 (Pilot) must be done" in response.get_data(as_text=True)
    assert db.session.query(Wave).filter_by(number=1).one().state == "planned"
    response = logged_in.post("/rollouts/win11-2027/waves/0/transition", data={"to": "active", "confirmed": "1"},
                              follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Members (3)" in html
    audit = logged_in.get("/rollouts/win11-2027/audit").get_data(as_text=True)
    assert "Moved wave 0 from “Planned” to “Active”" in audit and "Planned wave 0" in audit


def test_a_bad_wave_form_shows_errors_next_to_the_fields(logged_in):
    builders.make_people(3)
    logged_in.post("/rollouts/new", data={"key": "r1", "name": "R"})
    response = logged_in.post("/rollouts/r1/waves/new", data={"name": "", "percentage": 300, "people": "nobody"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="name-error"' in html and 'id="percentage-error"' in html
    response = logged_in.post("/rollouts/r1/waves/new", data={"name": "Pilot", "people": "nobody", "feedback_days": 7})
    assert response.status_code == 422 and "nobody" in response.get_data(as_text=True)
    assert db.session.query(Wave).count() == 0


def test_the_decision_form_ends_the_wave(logged_in):
    _plan(logged_in)
    for state in ("active", "feedback", "review"):
        logged_in.post("/rollouts/win11-2027/waves/0/transition", data={"to": state, "confirmed": "1"})
    page = logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert 'name="decision"' in page
    logged_in.post("/rollouts/win11-2027/waves/0/decision",
                   data={"decision": "go", "rationale": "All good", "confirmed": "1"})
    pilot = db.session.query(Wave).filter_by(number=0).one()
    assert pilot.state == "done" and pilot.decision == "go"


def test_reviewers_read_but_do_not_change_and_outsiders_see_nothing(english, auth, lead):
    rollout = builders.make_rollout(lead=lead)
    builders.make_people(5)
    builders.make_wave(rollout, lead, percentage=100)
    builders.make_user("reviewer@example.se", "Rita Reviewer")
    builders.make_user("outsider@example.se", "Otto Outsider")
    rollout_service.set_role(rollout, "reviewer@example.se", "reviewer", lead)
    auth.login("reviewer@example.se")
    page = english.get("/rollouts/win11-2027/waves/0")
    assert page.status_code == 200 and "Start the wave" not in page.get_data(as_text=True)
    assert english.post("/rollouts/win11-2027/waves/0/transition", data={"to": "active"}).status_code == 403
    assert english.get("/rollouts/win11-2027/edit").status_code == 403
    assert english.get("/people/new").status_code == 403  # the directory is the people managers'
    assert english.post("/people/new", data={"external_id": "x", "name": "X", "email": "x@example.se",
                                             "language": "sv"}).status_code == 403
    auth.logout()
    auth.login("outsider@example.se")
    assert english.get("/rollouts/win11-2027").status_code == 404
    assert "win11-2027" not in english.get("/rollouts/").get_data(as_text=True)
    assert db.session.query(Wave).one().state == "planned"


def test_the_team_page_adds_reviewers_and_keeps_a_lead(logged_in, lead):
    builders.make_user("reviewer@example.se", "Rita Reviewer")
    logged_in.post("/rollouts/new", data={"key": "r1", "name": "R"})
    response = logged_in.post("/rollouts/r1/team", data={"email": "nobody@example.se", "role": "reviewer"})
    assert response.status_code == 422
    logged_in.post("/rollouts/r1/team", data={"email": "reviewer@example.se", "role": "reviewer"})
    assert "Rita Reviewer" in logged_in.get("/rollouts/r1/team").get_data(as_text=True)
    response = logged_in.post("/rollouts/r1/team", data={"email": lead.email, "role": "reviewer"})
    assert response.status_code == 422 and "at least one lead" in response.get_data(as_text=True)


def test_admin_creates_accounts_and_tokens_that_work(english, auth, admin):
    auth.login("admin@example.se")
    response = english.post("/admin/users", data={"email": "new@example.se", "name": "New", "password": "short",
                                                  "language": "sv"})
    assert response.status_code == 422 and 'id="password-error"' in response.get_data(as_text=True)
    english.post("/admin/users", data={"email": "new@example.se", "name": "New", "password": "long enough pw",
                                       "language": "sv"})
    from rollout.models import User
    user = db.session.query(User).filter_by(email="new@example.se").one()
    page = english.post(f"/admin/users/{user.id}", data={"name": "BI export"}).get_data(as_text=True)
    token = re.search(r'id="new-token">([^<]+)<', page).group(1)
    assert english.get("/api/v1/rollouts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in english.get(f"/admin/users/{user.id}").get_data(as_text=True)  # shown once


def test_only_admins_and_people_managers_change_people(english, auth, ctx):
    builders.make_user("leader@example.se", "Leader")  # may plan rollouts, keeps no directory
    auth.login("leader@example.se")
    english.post("/rollouts/new", data={"key": "r1", "name": "R"})
    page = english.get("/people/").get_data(as_text=True)
    assert "Import a CSV file" not in page
    assert english.post("/people/new", data={"external_id": "x", "name": "X", "email": "x@example.se",
                                             "language": "sv"}).status_code == 403
    auth.logout()
    builders.make_user("hr@example.se", "HR", people_manager=True, creator=False)
    auth.login("hr@example.se")
    assert "Import a CSV file" in english.get("/people/").get_data(as_text=True)


def test_non_admins_cannot_reach_administration(logged_in):
    assert logged_in.get("/admin/users").status_code == 403
    assert logged_in.get("/admin/units").status_code == 403


def test_unknown_pages_are_404_pages(logged_in):
    response = logged_in.get("/rollouts/nope")
    assert response.status_code == 404 and "<h1>" in response.get_data(as_text=True)


def test_audit_events_name_who_did_what(logged_in):
    _plan(logged_in)
    events = db.session.query(AuditEvent).filter(AuditEvent.rollout_id.isnot(None)).all()
    assert {e.action for e in events} >= {"rollout.create", "wave.create"}
    assert all(e.actor and e.actor.email == "lead@example.se" for e in events)


def _pager_links(html: str) -> dict[str, tuple[str, dict[str, list[str]]]]:
    from urllib.parse import parse_qs, urlsplit
    links = {}
    for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)"', html):
        parts = urlsplit(href.replace("&amp;", "&"))
        assert not parts.scheme and not parts.netloc and not parts.fragment, href
        links[rel] = (parts.path, parse_qs(parts.query))
    return links


def test_a_pagers_links_keep_the_lists_query_but_not_url_fors_options(app, logged_in):
    # `_method`, `_scheme`, `_external`, `_anchor` in the query once reached url_for: a 500 (no PUT
    # route to build), or links made absolute or given a fragment by whoever wrote the address
    app.config["PER_PAGE"] = 1
    builders.make_people(3)
    response = logged_in.get("/people/?page=2&unit=Enhet+A&_scheme=javascript&_external=1&_anchor=x&_method=PUT")
    assert response.status_code == 200
    links = _pager_links(response.get_data(as_text=True))
    assert links == {"prev": ("/people/", {"page": ["1"], "unit": ["Enhet A"]}),
                     "next": ("/people/", {"page": ["3"], "unit": ["Enhet A"]})}


def test_a_pagers_links_stay_on_the_page_when_the_query_names_a_part_of_its_path(app, logged_in, lead):
    # ?key=... beside the path's <key> once made url_for get `key` twice: a 500
    app.config["PER_PAGE"] = 1
    rollout = builders.make_rollout(lead=lead)
    builders.make_wave(rollout, lead, percentage=100)
    response = logged_in.get("/rollouts/win11-2027/audit?page=2&key=elsewhere")
    assert response.status_code == 200
    links = _pager_links(response.get_data(as_text=True))
    assert links["prev"] == ("/rollouts/win11-2027/audit", {"page": ["1"]})
