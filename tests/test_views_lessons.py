"""Lessons in the web UI: written directly or from a retrospective theme, owned,
moved through their statuses, verified against their metric, guarding the next
wave's start; the lesson library; suggestions from similar rollouts; rollout tags."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import Lesson, Notification, Rollout, Wave
from rollout.services import lessons, retro, waves
from rollout.services import rollouts as rollout_service

from . import builders
from .helpers import queries_for, text_of

KEY = "win11-2027"


@pytest.fixture
def reviewer(ctx):
    return builders.make_user("rita@example.se", "Rita Reviewer")


class Controls(HTMLParser):
    """The options of each select and radio group of a page: name -> [(value, selected)]."""

    def __init__(self, html: str):
        super().__init__()
        self.options: dict[str, list[tuple[str, bool]]] = {}
        self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = attrs.get("name")
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self.options[self._select].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "input" and attrs.get("type") == "radio":
            self.options.setdefault(attrs["name"], []).append((attrs.get("value", ""), "checked" in attrs))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def values(self, name: str) -> list[str]:
        return [value for value, _selected in self.options[name]]

    def selected(self, name: str) -> str:
        return next((value for value, selected in self.options[name] if selected), "")


def html_of(response) -> str:
    html = response.get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), f"ids used twice: {sorted({i for i in ids if ids.count(i) > 1})}"
    return html


def lesson_form(**fields) -> dict:
    data = {"title": "Fix the printer driver", "action": "Ship the new driver before wave 1", "owner": "",
            "origin_wave": "0", "target_wave": "1", "metric": "", "tags": ""}
    data.update(fields)
    return data


def the_lesson() -> Lesson:
    db.session.expire_all()  # the requests wrote in their own sessions
    return db.session.scalars(select(Lesson)).one()


# --- writing a lesson -----------------------------------------------------------------

def test_a_lesson_written_directly_defaults_to_the_next_wave_and_tells_its_owner(logged_in, lead, reviewer):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    page = logged_in.get(f"/rollouts/{KEY}/lessons/new")
    assert page.status_code == 200
    controls = Controls(html_of(page))
    assert controls.selected("origin_wave") == "0"  # the latest wave with feedback
    assert controls.selected("target_wave") == "1"  # the one after it
    assert "satisfaction" in controls.values("metric") and "problems:printing" in controls.values("metric")
    response = logged_in.post(f"/rollouts/{KEY}/lessons/new", data=lesson_form(
        owner=reviewer.email, metric="problems:printing", tags="Printing, drivers"), follow_redirects=True)
    html = html_of(response)
    lesson = the_lesson()
    assert (lesson.origin_wave_id, lesson.target_wave_id, lesson.owner_id) == (pilot.id, wave1.id, reviewer.id)
    assert lesson.tags == ["drivers", "printing"] and lesson.status == "open"
    assert "The lesson was saved. Rita Reviewer, its owner, was told by e-mail." in html
    assert '<h1 lang="sv">Fix the printer driver</h1>' in html and "Ship the new driver before wave 1" in html
    assert f'href="/rollouts/{KEY}/waves/1"' in html and "Problem reports: Printing" in text_of(html)
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "lesson_owner", Notification.to_address == reviewer.email)) == 1
    listing = text_of(html_of(logged_in.get(f"/rollouts/{KEY}/lessons")))
    assert "1 lesson" in listing and "Fix the printer driver" in listing and "Rita Reviewer" in listing
    assert "cannot start while a lesson targeted at it is open or planned" in listing


def test_bad_fields_are_said_next_to_each_field_and_nothing_is_saved(logged_in, lead):
    builders.pilot_in_review(lead)
    builders.make_user("out@example.se", "Out Sider")
    response = logged_in.post(f"/rollouts/{KEY}/lessons/new", data=lesson_form(
        title="", owner="out@example.se", target_wave="7", metric="nope", tags="x" * 60))
    assert response.status_code == 422
    html = html_of(response)
    for name in ("title", "owner", "target_wave", "metric", "tags"):
        assert f'id="{name}-error"' in html, name
    assert "The owner must be on the rollout" in html and "This rollout has no wave 7" in html
    assert 'aria-invalid="true"' in html and "There is a problem" in html
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0


def test_the_owner_is_chosen_from_the_team_only(logged_in, lead, reviewer):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    builders.make_user("out@example.se", "Out Sider")
    controls = Controls(html_of(logged_in.get(f"/rollouts/{KEY}/lessons/new")))
    assert controls.values("owner") == ["", "lead@example.se", "rita@example.se"]
    assert controls.selected("owner") == ""  # no owner yet, until someone is chosen


def test_a_theme_becomes_a_lesson_with_its_cards_in_view(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "The printer did not work"}, lead)
    theme = retro.create_theme(pilot, {"title": "Printing", "cards": [card.id]}, lead)
    page = logged_in.get(f"/rollouts/{KEY}/lessons/new?theme={theme.id}")
    html = html_of(page)
    assert page.status_code == 200 and "New lesson from the theme Printing" in html
    assert "The printer did not work" in html and 'value="Printing"' in html
    assert Controls(html).selected("origin_wave") == "0" and Controls(html).selected("target_wave") == "1"
    response = logged_in.post(f"/rollouts/{KEY}/lessons/new?theme={theme.id}",
                              data=lesson_form(title="Printing", action="New drivers"))
    assert response.status_code == 302
    lesson = the_lesson()
    assert lesson.theme_id == theme.id and response.headers["Location"].endswith(f"/lessons/{lesson.id}")
    html = html_of(logged_in.get(response.headers["Location"]))
    assert "The theme Printing in the retrospective of wave 0" in text_of(html)
    assert f'href="/rollouts/{KEY}/waves/0/retro"' in html
    again = html_of(logged_in.get(f"/rollouts/{KEY}/lessons/new?theme={theme.id}"))
    assert "Lessons already made of this theme" in again and f"/lessons/{lesson.id}" in again


def test_a_theme_of_another_rollout_is_not_found(logged_in, lead):
    builders.pilot_in_review(lead)
    other, other_pilot, _wave = builders.pilot_in_review(lead, key="other-2027")
    theme = retro.create_theme(other_pilot, {"title": "Elsewhere"}, lead)
    assert logged_in.get(f"/rollouts/{KEY}/lessons/new?theme={theme.id}").status_code == 404
    assert logged_in.post(f"/rollouts/{KEY}/lessons/new?theme={theme.id}", data=lesson_form()).status_code == 404
    assert logged_in.get(f"/rollouts/{KEY}/lessons/new?theme=abc").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0


def test_editing_a_lesson_changes_only_what_was_sent_and_tells_a_new_owner(logged_in, lead, reviewer):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    lesson = lessons.create_lesson(rollout, {"title": "Brief the desk", "origin_wave": 0, "tags": "support"}, lead)
    page = html_of(logged_in.get(f"/rollouts/{KEY}/lessons/{lesson.id}"))
    assert 'value="Brief the desk"' in page and 'value="support"' in page
    response = logged_in.post(f"/rollouts/{KEY}/lessons/{lesson.id}", data=lesson_form(
        title="", target_wave="0"))
    assert response.status_code == 422
    html = html_of(response)
    assert 'id="title-error"' in html and 'id="target_wave-error"' in html
    assert the_lesson().title == "Brief the desk"
    response = logged_in.post(f"/rollouts/{KEY}/lessons/{lesson.id}", data=lesson_form(
        title="Brief the service desk", owner=reviewer.email, metric="satisfaction", tags="support, desk"),
        follow_redirects=True)
    assert "Rita Reviewer, its owner, was told by e-mail." in html_of(response)
    lesson = the_lesson()
    assert (lesson.title, lesson.owner_id, lesson.metric, lesson.tags) == (
        "Brief the service desk", reviewer.id, "satisfaction", ["desk", "support"])


# --- status, the start guard, verification ------------------------------------------

def test_the_status_form_offers_only_the_allowed_next_statuses_and_asks_a_reason(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "New intranet page", "origin_wave": 0}, lead)
    path = f"/rollouts/{KEY}/lessons/{lesson.id}"
    assert Controls(html_of(logged_in.get(path))).values("status") == ["planned", "applied", "deferred", "dropped"]
    response = logged_in.post(f"{path}/status", data={"status": "deferred", "reason": ""})
    assert response.status_code == 422
    html = html_of(response)
    assert 'id="reason-error"' in html and "Say why the lesson is deferred or dropped." in html
    assert the_lesson().status == "open"
    response = logged_in.post(f"{path}/status", data={"status": "planned"}, follow_redirects=True)
    assert "The lesson is now: planned." in html_of(response)
    assert Controls(html_of(response)).values("status") == ["open", "applied", "deferred", "dropped"]
    response = logged_in.post(f"{path}/status", data={"status": "verified_effective"}, follow_redirects=True)
    assert "A lesson cannot go from planned to verified: effective." in html_of(response)
    assert the_lesson().status == "planned"
    response = logged_in.post(f"{path}/status", data={"status": "deferred", "reason": "Waits for the intranet"},
                              follow_redirects=True)
    assert the_lesson().status == "deferred" and "Reason: Waits for the intranet" in text_of(html_of(response))
    assert Controls(html_of(response)).values("status") == ["open", "planned"]


def test_an_open_lesson_can_be_deleted_and_a_planned_one_cannot(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    planned = lessons.create_lesson(rollout, {"title": "Keep me", "origin_wave": 0}, lead)
    lessons.update_lesson(planned, {"status": "planned"}, lead)
    mistake = lessons.create_lesson(rollout, {"title": "A mistake", "origin_wave": 0}, lead)
    assert "Delete this lesson" in html_of(logged_in.get(f"/rollouts/{KEY}/lessons/{mistake.id}"))
    assert "Delete this lesson" not in html_of(logged_in.get(f"/rollouts/{KEY}/lessons/{planned.id}"))
    response = logged_in.post(f"/rollouts/{KEY}/lessons/{mistake.id}/delete", data={"confirmed": "1"},
                              follow_redirects=True)
    assert "The lesson A mistake was deleted." in html_of(response)
    response = logged_in.post(f"/rollouts/{KEY}/lessons/{planned.id}/delete", data={"confirmed": "1"},
                              follow_redirects=True)
    assert "Only an open lesson can be deleted" in html_of(response)
    assert the_lesson().title == "Keep me"


def test_the_wave_page_says_why_a_wave_cannot_start_while_its_lesson_is_open(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "Brief the service desk", "origin_wave": 0}, lead)
    waves.decide(pilot, "go", "good enough", lead)
    shown = text_of(html_of(logged_in.get(f"/rollouts/{KEY}/lessons/{lesson.id}")))
    assert "Wave 1 cannot start while this lesson is open or planned" in shown
    response = logged_in.post(f"/rollouts/{KEY}/waves/1/transition", data={"to": "active"}, follow_redirects=True)
    html = html_of(response)
    assert "1 lesson for this wave is still open or planned: apply or defer it first (Brief the service desk)." in html
    db.session.expire_all()
    assert db.session.get(Wave, wave1.id).state == "planned"
    logged_in.post(f"/rollouts/{KEY}/lessons/{lesson.id}/status", data={"status": "applied"})
    logged_in.post(f"/rollouts/{KEY}/waves/1/transition", data={"to": "active", "confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(Wave, wave1.id).state == "active"


def test_verification_shows_the_metric_in_both_waves_and_the_team_confirms(logged_in, lead):
    rollout, pilot, wave1, lesson = builders.lesson_applied_for_wave1(lead)
    path = f"/rollouts/{KEY}/lessons/{lesson.id}"
    before = html_of(logged_in.get(path))
    assert "Confirm: verified effective" not in before and "once the feedback of wave 1 is closed" in before
    builders.answer_wave(wave1, [5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 5, 4, 4, 5, 5, 4, 5, 4, 5, 5])
    waves.transition(wave1, "review", lead)
    html = html_of(logged_in.get(path))
    shown = text_of(html)
    assert 'id="verification-title"' in html
    assert "Wave 0 (where it was learnt) 0 %" in shown and "Wave 1 (after the lesson) 100 %" in shown
    assert "+100 percentage points" in shown and "95 % interval" in shown
    assert "Better: the whole 95 % interval of the change is on the better side" in shown
    assert "Proposal: effective." in shown
    assert "Confirm: verified effective" in html and "Confirm: verified not effective" in html
    response = logged_in.post(f"{path}/verify", data={"outcome": "effective"}, follow_redirects=True)
    shown = text_of(html_of(response))
    lesson = the_lesson()
    assert lesson.status == "verified_effective" and lesson.verification["confirmed"] == "effective"
    assert "The lesson is now: verified: effective." in shown
    assert "The team confirmed: effective." in shown and "The data proposed: effective." in shown
    assert "Wave 1 (after the lesson) 100 %" in shown and "Confirm: verified effective" not in shown
    library = text_of(html_of(logged_in.get("/lessons")))
    assert "Verified: effective (the data proposed: effective)" in library


def test_both_verification_panels_send_one_form_to_one_rule(logged_in, lead):
    """The lesson's page and the retrospective post the same `outcome` to lessons.verify: the same
    refusal for a missing or odd outcome, the same verification for a good one."""
    rollout, pilot, wave1, lesson = builders.lesson_applied_for_wave1(lead)
    builders.answer_wave(wave1, [5, 4, 5, 4, 5, 5])
    waves.transition(wave1, "review", lead)
    page, board = f"/rollouts/{KEY}/lessons/{lesson.id}", f"/rollouts/{KEY}/waves/1/retro"
    for html in (html_of(logged_in.get(page)), html_of(logged_in.get(board))):
        assert 'name="outcome" value="effective"' in html and 'name="outcome" value="ineffective"' in html
    for url in (f"{page}/verify", f"{board}/lessons/{lesson.id}/verify"):
        for data in ({}, {"outcome": "maybe"}, {"outcome": "verified_effective"}, {"status": "verified_effective"}):
            shown = text_of(html_of(logged_in.post(url, data=data, follow_redirects=True)))
            assert "Choose whether the lesson was effective." in shown and the_lesson().status == "applied", data
    logged_in.post(f"{board}/lessons/{lesson.id}/verify", data={"outcome": "ineffective"})
    assert the_lesson().status == "verified_ineffective"
    assert the_lesson().verification["confirmed"] == "ineffective"


def test_a_new_lessons_target_is_the_first_wave_that_can_still_change(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    wave2 = builders.make_wave(rollout, lead, units=["Rest"])
    assert lessons.default_target_wave(rollout, pilot) == wave1 and lessons.default_target_wave(rollout) == wave1
    waves.transition(wave1, "cancelled", lead)
    assert lessons.default_target_wave(rollout, pilot) == wave2 and lessons.default_target_wave(rollout) == wave2
    assert not lessons.can_target(wave1) and not lessons.can_target(pilot) and lessons.can_target(wave2)


# --- the library --------------------------------------------------------------------

def _two_teams(lead):
    """The lead's rollout with two lessons, and another team's rollout the lead has no role in."""
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lessons.create_lesson(rollout, {"title": "Skrivare", "origin_wave": 0, "tags": ["utskrift"],
                                    "action": "Installera drivrutinen för skrivaren före utrullningen"}, lead)
    lessons.create_lesson(rollout, {"title": "Information", "origin_wave": 0,
                                    "action": "Skicka ut en lathund en vecka innan", "tags": ["information"]}, lead)
    other_lead = builders.make_user("olle@example.se", "Olle Other")
    other = builders.make_rollout("e-tjanst", lead=other_lead)
    hidden = lessons.create_lesson(other, {"title": "Testa e-legitimationen", "tags": ["utskrift", "e-tjänst"],
                                           "action": "Prova inloggningen med BankID i förväg"}, other_lead)
    return rollout, other, hidden


def test_the_library_finds_a_lesson_by_a_word_of_its_action(logged_in, lead):
    rollout, other, hidden = _two_teams(lead)
    page = html_of(logged_in.get("/lessons"))
    assert '<form method="get"' in page and 'name="q"' in page and "3 lessons matched." in page
    html = html_of(logged_in.get("/lessons?q=drivrutinen"))
    assert "1 lesson matched." in html and "Skrivare" in html and "Information" not in html
    skrivare = db.session.scalar(select(Lesson).where(Lesson.title == "Skrivare"))
    assert f'href="/rollouts/{KEY}/lessons/{skrivare.id}"' in html
    assert 'value="drivrutinen"' in html  # the search box keeps the words
    assert "0 lessons matched." in html_of(logged_in.get("/lessons?q=nothing+like+this"))
    assert "no lessons on this page" in html_of(logged_in.get("/lessons?page=9"))
    assert "No lesson matches" in html_of(logged_in.get("/lessons?q=nothing+like+this"))


def test_a_lesson_from_a_rollout_the_reader_cannot_open_is_shown_without_links(logged_in, lead):
    rollout, other, hidden = _two_teams(lead)
    html = html_of(logged_in.get("/lessons?q=bankid"))
    assert "1 lesson matched." in html and "Testa e-legitimationen" in html and "another rollout" in html
    assert "Rollout e-tjanst" not in html and "e-tjanst" not in html  # neither its name nor its key
    assert logged_in.get(f"/rollouts/e-tjanst/lessons/{hidden.id}").status_code == 404


def test_the_tag_filter_lists_the_tags_with_counts(logged_in, lead):
    _two_teams(lead)
    html = html_of(logged_in.get("/lessons"))
    assert 'href="/lessons?tag=utskrift"' in html and "utskrift (2 lessons)" in text_of(html)
    html = html_of(logged_in.get("/lessons?tag=utskrift"))
    assert "2 lessons matched." in html and "Skrivare" in html and "Testa e-legitimationen" in html
    assert "Information</" not in html and 'aria-current="true">utskrift' in html
    assert 'name="tag" value="utskrift"' in html  # a search keeps the tag
    assert "1 lesson matched." in html_of(logged_in.get("/lessons?tag=utskrift&q=skrivaren"))
    assert "1 lesson matched." in html_of(logged_in.get("/lessons?status=open&tag=information"))
    assert "0 lessons matched." in html_of(logged_in.get("/lessons?status=applied&tag=information"))


# --- suggestions and rollout tags ------------------------------------------------------

def test_a_new_rollout_with_tags_is_offered_lessons_of_similar_rollouts_to_carry_in(logged_in, lead):
    old, pilot, _wave1 = builders.pilot_in_review(lead, key="pc-2025")
    rollout_service.update_rollout(old, {"name": old.name, "tags": ["windows", "pc"]}, lead)
    proven = lessons.create_lesson(old, {"title": "Image the PCs before", "origin_wave": 0,
                                         "action": "Image every PC the week before", "tags": ["imaging"]}, lead)
    printers = builders.make_rollout("print-2025", lead=lead)
    rollout_service.update_rollout(printers, {"name": printers.name, "tags": "printers"}, lead)
    lessons.create_lesson(printers, {"title": "Unrelated", "tags": "pc"}, lead)
    response = logged_in.post("/rollouts/new", data={"key": "win12", "name": "Windows 12",
                                                     "tags": "Windows, imaging"})
    assert response.headers["Location"].endswith("/rollouts/win12")
    html = html_of(logged_in.get("/rollouts/win12"))
    shown = text_of(html)
    assert "Lessons from similar rollouts" in shown and "Image the PCs before" in shown
    assert "Tags: imaging windows" in shown  # the rollout's own tags
    assert "Shared tags imaging windows" in shown and "From the rollout Rollout pc-2025" in shown
    assert "Unrelated" not in shown  # no tag in common
    assert f'action="/rollouts/win12/lessons/carry/{proven.id}"' in html
    response = logged_in.post(f"/rollouts/win12/lessons/carry/{proven.id}")
    carried = db.session.scalar(select(Lesson).where(Lesson.source_lesson_id == proven.id))
    assert response.headers["Location"].endswith(f"/rollouts/win12/lessons/{carried.id}")
    shown = text_of(html_of(logged_in.get(response.headers["Location"])))
    assert "Carried from Rollout pc-2025" in shown and "Image every PC the week before" in shown
    assert f"/lessons/carry/{proven.id}" not in html_of(logged_in.get("/rollouts/win12"))


def test_a_rollout_without_tags_is_told_how_to_get_suggestions(logged_in, lead):
    builders.make_rollout(KEY, lead=lead)
    html = html_of(logged_in.get(f"/rollouts/{KEY}"))
    assert "Add tags on the edit page" in html and f'href="/rollouts/{KEY}/edit#tags"' in html


def test_the_rollout_forms_take_tags_and_the_vote_budget(logged_in, lead):
    page = html_of(logged_in.get("/rollouts/new"))
    assert 'name="tags"' in page and "suggest lessons from earlier rollouts" in page
    response = logged_in.post("/rollouts/new", data={"key": "r1", "name": "R", "tags": "ok, " + "x" * 60})
    assert response.status_code == 422 and 'id="tags-error"' in html_of(response)
    assert db.session.scalar(select(func.count()).select_from(Rollout)) == 0
    logged_in.post("/rollouts/new", data={"key": "r1", "name": "R", "tags": "Windows,  PC ,windows"})
    page = html_of(logged_in.get("/rollouts/r1/edit"))
    assert 'value="pc, windows"' in page and 'name="vote_budget"' in page and 'value="5"' in page
    base = {"name": "R", "reminder_days": 2, "anonymity_k": 5}
    response = logged_in.post("/rollouts/r1/edit", data={**base, "vote_budget": 0, "tags": "windows"})
    assert response.status_code == 422 and 'id="vote_budget-error"' in html_of(response)
    response = logged_in.post("/rollouts/r1/edit", data={**base, "vote_budget": 8, "tags": "e-service"})
    assert response.status_code == 302
    db.session.expire_all()
    rollout = db.session.scalar(select(Rollout))
    assert rollout.vote_budget == 8 and rollout.tags == ["e-service"]
    shown = text_of(html_of(logged_in.get("/rollouts/r1")))
    assert "Tags: e-service" in shown and "8 votes per person in a retrospective" in shown


# --- languages, roles, queries ----------------------------------------------------

def test_the_lesson_pages_speak_swedish_by_default_and_english_on_request(client, auth, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "Skrivare", "origin_wave": 0}, lead)
    auth.login()
    for path in (f"/rollouts/{KEY}/lessons", f"/rollouts/{KEY}/lessons/{lesson.id}", f"/rollouts/{KEY}/lessons/new"):
        html = html_of(client.get(path))
        assert '<html lang="sv">' in html and "Lärdomar" in html and "Våg 1" in html, path
    assert '<html lang="sv">' in html_of(client.get("/lessons"))
    client.get("/language/en")
    html = html_of(client.get(f"/rollouts/{KEY}/lessons"))
    assert '<html lang="en">' in html and 'Lessons of <span lang="sv">Rollout win11-2027</span>' in html
    assert "Wave 1" in html
    assert "Lesson library" in html_of(client.get("/lessons"))


def test_people_without_a_role_on_the_rollout_find_nothing(english, auth, lead, reviewer):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    lesson = lessons.create_lesson(rollout, {"title": "Skrivare", "origin_wave": 0}, lead)
    builders.make_user("out@example.se", "Out Sider")
    auth.login("out@example.se")
    base = f"/rollouts/{KEY}/lessons"
    for path in (base, f"{base}/new", f"{base}/{lesson.id}"):
        assert english.get(path).status_code == 404, path
    for path in (f"{base}/new", f"{base}/{lesson.id}", f"{base}/{lesson.id}/status", f"{base}/{lesson.id}/verify",
                 f"{base}/{lesson.id}/delete", f"{base}/carry/{lesson.id}"):
        assert english.post(path, data=lesson_form(status="dropped", reason="x")).status_code == 404, path
    html = html_of(english.get("/lessons"))  # the library is open to every user, without links
    assert "Skrivare" in html and f"{base}/{lesson.id}" not in html
    assert the_lesson().status == "open"
    auth.logout()
    auth.login("rita@example.se")  # a reviewer is on the team: reads and keeps lessons
    assert english.get(f"{base}/{lesson.id}").status_code == 200
    english.post(f"{base}/{lesson.id}/status", data={"status": "planned"})
    assert the_lesson().status == "planned"


def test_a_lesson_is_found_only_under_its_own_rollout(logged_in, lead):
    builders.pilot_in_review(lead)
    other, *_ = builders.pilot_in_review(lead, key="other-2027")
    lesson = lessons.create_lesson(other, {"title": "Elsewhere", "origin_wave": 0}, lead)
    assert logged_in.get(f"/rollouts/{KEY}/lessons/{lesson.id}").status_code == 404
    assert logged_in.get(f"/rollouts/other-2027/lessons/{lesson.id}").status_code == 200
    assert logged_in.get(f"/rollouts/{KEY}/lessons/999999").status_code == 404


def test_the_library_and_the_lessons_list_run_the_same_queries_for_5_and_60_lessons(logged_in, lead, reviewer):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    other_lead = builders.make_user("olle@example.se", "Olle Other")
    other, *_ = builders.pilot_in_review(other_lead, key="e-tjanst")

    def add(n: int, start: int) -> None:
        # every lesson has every part (owner, waves, tags), so that each page needs the same kinds of rows
        for i in range(start, start + n):
            where, actor = (rollout, lead) if i % 2 else (other, other_lead)
            lessons.create_lesson(where, {"title": f"Lesson {i}", "action": "Print the guide", "origin_wave": 0,
                                          "owner": actor.email, "metric": "satisfaction",
                                          "tags": ["guide", f"t{i}"]}, actor)

    paths = ("/lessons", "/lessons?q=guide", "/lessons?tag=guide&status=open", f"/rollouts/{KEY}/lessons",
             f"/rollouts/{KEY}/lessons?status=open&target=1")
    add(5, 0)
    small = {path: queries_for(logged_in, path) for path in paths}
    add(55, 5)
    large = {path: queries_for(logged_in, path) for path in paths}
    assert "20 lessons matched" not in html_of(logged_in.get("/lessons"))
    assert "60 lessons matched." in html_of(logged_in.get("/lessons"))
    assert small == large
