"""Every action of the web UI that cannot be undone asks first (WCAG 3.3.4): a POST without
`confirmed=1` changes nothing and answers 200 with a confirmation page that names the thing,
says what will happen and re-posts the same fields; the POST with `confirmed=1` acts. Actions
that can be undone (pause, resume, an extend decision, removing someone else from a team) do
not ask, and neither does one a guard refuses: its reason shows at once."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import (
    ApiToken,
    Decision,
    FeedbackLink,
    Lesson,
    Notification,
    RetroCard,
    RetroTheme,
    RolloutRole,
    User,
    Wave,
)
from rollout.services import accounts, feedback, gates, lessons, retro, waves
from rollout.services import rollouts as rollout_service

from . import builders
from .conftest import make_app
from .helpers import text_of as words_of

KEY = "win11-2027"


# --- helpers ---------------------------------------------------------------------------

def everything() -> dict:
    """Every row of every table, to show that asking changed nothing."""
    db.session.expire_all()
    rows = {table.name: sorted((tuple(str(v) for v in row) for row in db.session.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables}
    db.session.rollback()
    return rows


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    return words_of(main)


class ConfirmForm(HTMLParser):
    """The confirmation page's form: where it posts, its hidden fields, its button and its way back."""

    def __init__(self, html: str):
        super().__init__()
        self.action, self.fields, self.button, self.back = None, [], None, None
        self._in_form = self._in_button = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post" and "logout" not in (attrs.get("action") or ""):
            self._in_form, self.action = True, attrs.get("action")
        elif self._in_form and tag == "input" and attrs.get("type") == "hidden":
            self.fields.append((attrs["name"], attrs.get("value", "")))
        elif self._in_form and tag == "button":
            self._in_button, self.button = True, ""
        elif self._in_form and tag == "a":
            self.back = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "button":
            self._in_button = False

    def handle_data(self, data):
        if self._in_button:
            self.button += data


def asks(client, path: str, data: dict | None = None, *, names: tuple[str, ...], button: str):
    """POST without confirmation: 200, the confirmation page naming the thing, nothing changed."""
    before = everything()
    response = client.post(path, data=data or {})
    assert response.status_code == 200, response.status_code
    shown = text_of(response)
    for name in names:
        assert name in shown, f"{name!r} not on the confirmation page: {shown}"
    assert "cannot be undone" in shown or "cannot undo" in shown
    form = ConfirmForm(response.get_data(as_text=True))
    assert form.button.strip() == button and form.back and form.back.startswith("/")
    assert ("confirmed", "1") in form.fields
    for name, value in (data or {}).items():
        assert (name, value) in form.fields, f"{name} is not sent again"
    assert everything() == before, "asking changed the database"
    return form


def confirm(client, form: ConfirmForm):
    """Press the confirmation page's button: post its fields to its address."""
    data: dict[str, list[str]] = {}
    for name, value in form.fields:
        data.setdefault(name, []).append(value)
    response = client.post(form.action, data=data)
    assert response.status_code == 302, response.status_code
    db.session.expire_all()
    return response


@pytest.fixture
def reviewer(ctx):
    return builders.make_user("reviewer@example.se", "Rita Reviewer")


def wave_with_feedback(lead) -> Wave:
    builders.make_people(3)
    rollout = builders.make_rollout(lead=lead)
    wave = builders.make_wave(rollout, lead, name="Pilot", percentage=100)
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    return wave


def the_wave(number: int = 0) -> Wave:
    db.session.expire_all()
    return db.session.scalar(select(Wave).where(Wave.number == number))


# --- the wave's moves --------------------------------------------------------------------

def test_cancelling_a_wave_asks_first(logged_in, lead):
    builders.make_people(3)
    wave = builders.make_wave(builders.make_rollout(lead=lead), lead, name="Pilot", percentage=100)
    form = asks(logged_in, f"/rollouts/{KEY}/waves/0/transition", {"to": "cancelled"},
                names=("Cancel wave 0: Pilot?", "stops for good"), button="Yes, cancel the wave")
    assert form.action == f"/rollouts/{KEY}/waves/0/transition"
    assert form.back == f"/rollouts/{KEY}/waves/0#moves-title"
    assert the_wave().state == "planned"
    confirm(logged_in, form)
    assert the_wave().state == "cancelled" and wave.id == the_wave().id


def test_starting_a_wave_asks_first_and_says_how_many_members_it_fixes(logged_in, lead):
    builders.make_people(3)
    builders.make_wave(builders.make_rollout(lead=lead), lead, name="Pilot", percentage=100)
    form = asks(logged_in, f"/rollouts/{KEY}/waves/0/transition", {"to": "active"},
                names=("Start wave 0: Pilot?", "the 3 people its selection takes today"),
                button="Yes, start the wave")
    assert the_wave().state == "planned" and the_wave().members_count == 0
    confirm(logged_in, form)
    assert the_wave().state == "active" and the_wave().members_count == 3


def test_opening_feedback_asks_before_any_invitation_is_sent(logged_in, lead):
    builders.make_people(3)
    wave = builders.make_wave(builders.make_rollout(lead=lead), lead, name="Pilot", percentage=100)
    waves.transition(wave, "active", lead)
    form = asks(logged_in, f"/rollouts/{KEY}/waves/0/transition", {"to": "feedback"},
                names=("Open feedback for wave 0: Pilot?", "each of its 3 members"), button="Yes, open feedback")
    assert db.session.scalar(select(db.func.count()).select_from(FeedbackLink)) == 0
    confirm(logged_in, form)
    assert the_wave().state == "feedback"  # the links are made now, the invitations by the next tick
    assert db.session.scalar(select(db.func.count()).select_from(FeedbackLink)) == 3


def test_closing_feedback_asks_first_and_names_the_way_back(logged_in, lead):
    wave_with_feedback(lead)
    form = asks(logged_in, f"/rollouts/{KEY}/waves/0/transition", {"to": "review"},
                names=("Close feedback for wave 0: Pilot?", "only an extend decision", "another 7 days"),
                button="Yes, close feedback")
    assert the_wave().state == "feedback"
    confirm(logged_in, form)
    assert the_wave().state == "review"


def test_pausing_and_resuming_do_not_ask(logged_in, lead):
    wave_with_feedback(lead)
    response = logged_in.post(f"/rollouts/{KEY}/waves/0/transition", data={"to": "paused"})
    assert response.status_code == 302 and the_wave().state == "paused"
    response = logged_in.post(f"/rollouts/{KEY}/waves/0/transition", data={"to": "feedback"})
    assert response.status_code == 302 and the_wave().state == "feedback"


def test_a_move_a_guard_refuses_is_refused_at_once_with_the_reason(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    response = logged_in.post(f"/rollouts/{KEY}/waves/1/transition", data={"to": "active"}, follow_redirects=True)
    assert "Wave 0 (Pilot) must be done" in text_of(response) and the_wave(1).state == "planned"


def test_reviewers_are_refused_not_asked(english, auth, lead, reviewer):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    auth.login(reviewer.email)
    assert english.post(f"/rollouts/{KEY}/waves/1/transition", data={"to": "cancelled"}).status_code == 403
    assert english.post(f"/rollouts/{KEY}/waves/0/decision",
                        data={"decision": "go", "rationale": "Fine"}).status_code == 403
    assert the_wave(1).state == "planned" and the_wave(0).state == "review"


# --- the decision ---------------------------------------------------------------------

@pytest.mark.parametrize(("decision", "title", "button", "effect"), [
    ("go", "Decide go for wave 0: Pilot?", "Yes, decide go", "the next wave may start"),
    ("no_go", "Decide no go for wave 0: Pilot?", "Yes, decide no go", "no later wave of the rollout can start"),
])
def test_go_and_no_go_ask_first_with_the_rationale_and_the_verdict(logged_in, lead, decision, title, button, effect):
    builders.pilot_in_review(lead)
    data = {"decision": decision, "rationale": "Two lines:\r\nwe know the printer problem."}
    form = asks(logged_in, f"/rollouts/{KEY}/waves/0/decision", data,
                names=(title, effect, "The gate says:", "we know the printer problem"), button=button)
    assert db.session.scalar(select(db.func.count()).select_from(Decision)) == 0
    confirm(logged_in, form)
    pilot = the_wave()
    assert pilot.state == "done" and pilot.decision == decision
    assert db.session.scalar(select(Decision.rationale)) == "Two lines:\r\nwe know the printer problem."


def test_extend_does_not_ask_for_it_can_be_closed_again(logged_in, lead):
    builders.pilot_in_review(lead)
    response = logged_in.post(f"/rollouts/{KEY}/waves/0/decision", data={"decision": "extend", "rationale": ""})
    assert response.status_code == 302 and the_wave().state == "feedback"


def test_a_decision_against_the_verdict_without_a_rationale_is_refused_at_once(logged_in, lead):
    builders.pilot_in_review(lead)
    verdict = gates.evaluate(the_wave()).verdict
    decision = "no_go" if verdict == "go" else "go"
    response = logged_in.post(f"/rollouts/{KEY}/waves/0/decision", data={"decision": decision, "rationale": ""},
                              follow_redirects=True)
    assert "say why you decide otherwise" in text_of(response)
    assert the_wave().state == "review" and db.session.scalar(select(db.func.count()).select_from(Decision)) == 0


# --- personal links -----------------------------------------------------------------

def test_revoking_a_link_asks_first(logged_in, lead):
    wave = wave_with_feedback(lead)
    link = db.session.scalar(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id))
    path = f"/rollouts/{KEY}/waves/0/members/{link.person_id}/revoke-link?page=2"
    form = asks(logged_in, path, names=(f"Revoke the link of {link.person.name}?", "never works again"),
                button="Yes, revoke the link")
    assert form.action == path  # the page of members to come back to
    assert form.back == f"/rollouts/{KEY}/waves/0?page=2#people-title"
    assert db.session.get(FeedbackLink, link.id).revoked_at is None
    confirm(logged_in, form)
    assert db.session.get(FeedbackLink, link.id).revoked_at is not None


def test_sending_a_new_link_asks_first_for_it_revokes_the_old_one(logged_in, lead):
    wave = wave_with_feedback(lead)
    link = db.session.scalar(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id))
    old_hash = link.token_hash
    form = asks(logged_in, f"/rollouts/{KEY}/waves/0/members/{link.person_id}/new-link",
                names=(f"Send a new link to {link.person.name}?", "stops working at once"),
                button="Yes, send a new link")
    confirm(logged_in, form)
    assert db.session.get(FeedbackLink, link.id).token_hash != old_hash
    assert db.session.scalar(select(Notification.to_address).where(Notification.kind == "new_link")) \
        == link.person.email
    # a revoked link has nothing left to stop: the page does not say it would
    feedback.revoke_link(wave, link.person, lead)
    response = logged_in.post(f"/rollouts/{KEY}/waves/0/members/{link.person_id}/new-link")
    assert response.status_code == 200 and "stops working" not in text_of(response)


# --- the retrospective ----------------------------------------------------------------

def test_deleting_a_card_asks_first_and_quotes_it(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Printers & drivers <late>"}, lead)
    retro.vote(card, lead)
    card_id = card.id
    path = f"/rollouts/{KEY}/waves/0/retro/cards/{card_id}/delete?code=went_well&page=2"
    form = asks(logged_in, path, names=("Delete this card?", "“Printers & drivers <late>”", "Its 1 vote goes back"),
                button="Yes, delete the card")
    assert form.action == path
    assert form.back == f"/rollouts/{KEY}/waves/0/retro?page=2&code=went_well#card-{card_id}"
    confirm(logged_in, form)
    assert db.session.get(RetroCard, card_id) is None


def test_deleting_a_theme_asks_first(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Printers"}, lead)
    theme = retro.create_theme(pilot, {"title": "Printing", "cards": [card.id]}, lead)
    theme_id, card_id = theme.id, card.id
    form = asks(logged_in, f"/rollouts/{KEY}/waves/0/retro/themes/{theme_id}/delete",
                names=("Delete the theme “Printing”?", "Its cards stay on the board"), button="Yes, delete the theme")
    assert form.back == f"/rollouts/{KEY}/waves/0/retro#theme-{theme_id}"
    confirm(logged_in, form)
    assert db.session.get(RetroTheme, theme_id) is None and db.session.get(RetroCard, card_id).theme_id is None


# --- lessons ------------------------------------------------------------------------

def test_deleting_a_lesson_asks_first(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    lesson = lessons.create_lesson(rollout, {"title": "A mistake", "origin_wave": 0}, lead)
    lesson_id = lesson.id
    form = asks(logged_in, f"/rollouts/{KEY}/lessons/{lesson_id}/delete",
                names=("Delete the lesson “A mistake”?", f"deleted from Rollout {KEY}"), button="Yes, delete the lesson")
    assert form.back == f"/rollouts/{KEY}/lessons/{lesson_id}"
    confirm(logged_in, form)
    assert db.session.get(Lesson, lesson_id) is None


# --- administration -------------------------------------------------------------------

@pytest.fixture
def as_admin(english, auth, admin):
    auth.login(admin.email)
    return english


def test_revoking_a_token_asks_first(as_admin, lead):
    token, _secret = accounts.create_token(lead, "the HR import job")
    form = asks(as_admin, f"/admin/tokens/{token.id}/revoke",
                names=(f"Revoke the token {token.prefix}…?", "Lena Lead", "the HR import job"),
                button="Yes, revoke the token")
    assert form.back == f"/admin/users/{lead.id}"
    confirm(as_admin, form)
    assert db.session.get(ApiToken, token.id).revoked_at is not None


def test_deactivating_an_account_asks_first_when_it_would_revoke_tokens(as_admin, lead):
    builders.make_token(lead)
    form = asks(as_admin, f"/admin/users/{lead.id}/active",
                names=("Deactivate Lena Lead?", "Their 1 API token is revoked"), button="Yes, deactivate Lena Lead")
    assert db.session.get(User, lead.id).active
    confirm(as_admin, form)
    assert not db.session.get(User, lead.id).active
    # activating again, and deactivating an account with no token left, can both be undone: no question
    assert as_admin.post(f"/admin/users/{lead.id}/active").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, lead.id).active
    assert as_admin.post(f"/admin/users/{lead.id}/active").status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, lead.id).active


# --- the team -------------------------------------------------------------------------

def test_removing_yourself_from_a_team_asks_first_and_someone_else_does_not(logged_in, lead, reviewer):
    rollout = builders.make_rollout(lead=lead)
    builders.make_user("second@example.se", "Sam Second")
    rollout_service.set_role(rollout, "second@example.se", "lead", lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    roles = {role.user.email: role.id for role in rollout_service.team(rollout)}
    response = logged_in.post(f"/rollouts/{KEY}/team/{roles[reviewer.email]}/remove")
    assert response.status_code == 302 and db.session.get(RolloutRole, roles[reviewer.email]) is None
    form = asks(logged_in, f"/rollouts/{KEY}/team/{roles[lead.email]}/remove",
                names=(f"Remove yourself from the team of Rollout {KEY}?", "another lead"),
                button="Yes, remove me from the team")
    assert form.back == f"/rollouts/{KEY}/team"
    confirm(logged_in, form)
    assert db.session.get(RolloutRole, roles[lead.email]) is None


# --- the page itself: in Swedish, with CSRF on ------------------------------------------

def test_the_confirmation_page_in_swedish_switches_language_back_to_where_it_came_from(client, auth, lead):
    builders.make_people(3)
    builders.make_wave(builders.make_rollout(lead=lead), lead, name="Pilot", percentage=100)
    client.get("/language/sv")
    auth.login()
    response = client.post(f"/rollouts/{KEY}/waves/0/transition", data={"to": "cancelled"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="sv">' in html
    assert f'href="/language/en?next=/rollouts/{KEY}/waves/0%23moves-title"' in html
    assert the_wave().state == "planned"


def test_the_confirmation_carries_a_fresh_csrf_token(database_url, tmp_path, app, ctx, lead):
    protected = make_app(database_url, SECRET_KEY="test-secret", WTF_CSRF_ENABLED=True)
    protected.instance_path = str(tmp_path / "protected")
    client = protected.test_client()
    builders.make_people(3)
    builders.make_wave(builders.make_rollout(lead=lead), lead, name="Pilot", percentage=100)

    def token_of(html: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    login = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": lead.email, "password": builders.PASSWORD, "csrf_token": token_of(login)})
    page = client.get(f"/rollouts/{KEY}/waves/0").get_data(as_text=True)
    assert client.post(f"/rollouts/{KEY}/waves/0/transition", data={"to": "cancelled"}).status_code == 400
    asked = client.post(f"/rollouts/{KEY}/waves/0/transition", data={"to": "cancelled", "csrf_token": token_of(page)})
    assert asked.status_code == 200 and the_wave().state == "planned"
    form = ConfirmForm(asked.get_data(as_text=True))
    assert [name for name, _value in form.fields].count("csrf_token") == 1
    confirm(client, form)
    assert the_wave().state == "cancelled"
