"""The idea pages: the public form without an account (errors next to the fields, nothing stored),
similar ideas shown before sending with "support this one instead" and "send mine anyway", the
thank-you page, the council's board, an idea's page with its decisions (asked to confirm), the
ideas by unit, the admin granting the council role, and the links from the participant's pages."""
from __future__ import annotations

from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import Idea, Notification, User
from rollout.services import accounts, ideas

from . import builders

FORM = {"name": "Siv Svensson", "email": "siv@example.se", "unit": "Kundcenter",
        "problem": "Skrivarna på plan tre tappar kopplingen varje morgon",
        "idea": "Gemensamma skrivare med utskriftskö", "reach": "up_to_50"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_form_is_public_and_bad_input_is_shown_next_to_the_fields(app, english, ctx):
    page = english.get("/ideas/new")
    assert page.status_code == 200 and "Send an idea" in page.get_data(as_text=True)
    response = english.post("/ideas/new", data={**FORM, "email": "nope", "problem": "", "reach": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and 'id="problem-error"' in html and 'id="reach-error"' in html
    assert "Describe the problem." in html
    assert count(Idea) == 0


def test_an_idea_is_sent_and_thanked_for_in_the_page_language(app, english, ctx):
    response = english.post("/ideas/new", data=FORM)
    assert response.status_code == 302 and "/ideas/thanks" in response.headers["Location"]
    idea = db.session.scalar(select(Idea))
    assert (idea.name, idea.language, idea.state) == ("Siv Svensson", "en", "new")
    assert "Thank you for your idea" in english.get(response.headers["Location"]).get_data(as_text=True)


def test_the_honeypot_thanks_a_robot_and_stores_nothing(app, client, ctx):
    response = client.post("/ideas/new", data={**FORM, "website": "http://spam.example"})
    assert response.status_code == 302
    assert count(Idea) == 0


def test_a_similar_idea_is_shown_first_and_may_be_supported_instead(app, english, ctx):
    existing = ideas.submit({**FORM, "email": "first@example.se", "language": "sv"}, "10.0.0.1")
    mine = {**FORM, "name": "Per", "email": "per@example.se", "unit": "Ekonomi",
            "problem": "Skrivaren tappar kopplingen", "idea": "Ny skrivare"}
    page = english.post("/ideas/new", data=mine)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Similar ideas and lessons already exist" in html
    assert f'name="support" value="{existing.id}"' in html and "Send mine anyway" in html
    assert count(Idea) == 1  # nothing sent yet
    supported = english.post("/ideas/new", data={**mine, "send_anyway": "1", "support": str(existing.id)})
    assert supported.status_code == 302 and f"supported={existing.id}" in supported.headers["Location"]
    db.session.refresh(existing)
    assert existing.supporters == 1 and count(Idea) == 1
    assert "Your support is counted" in english.get(supported.headers["Location"]).get_data(as_text=True)


def test_send_mine_anyway_sends_it(app, english, ctx):
    ideas.submit({**FORM, "email": "first@example.se"}, "10.0.0.1")
    response = english.post("/ideas/new", data={**FORM, "email": "per@example.se", "send_anyway": "1"})
    assert response.status_code == 302 and count(Idea) == 2


def test_too_many_ideas_from_one_address_are_refused(app, english, ctx):
    app.config["IDEAS_PER_HOUR"] = 1
    assert english.post("/ideas/new", data={**FORM, "send_anyway": "1"}).status_code == 302
    response = english.post("/ideas/new", data={**FORM, "email": "b@example.se", "send_anyway": "1"})
    assert response.status_code == 429 and "Too many ideas" in response.get_data(as_text=True)
    assert count(Idea) == 1


def test_the_similar_ideas_while_typing_show_no_names(app, client, ctx):
    ideas.submit(FORM, "10.0.0.1")
    found = client.get("/ideas/similar?q=skrivarna+kopplingen").get_json()
    assert len(found["ideas"]) == 1 and "Siv" not in str(found)


def _council_member(auth):
    accounts.create_user("rad@example.se", "Rut Råd", builders.PASSWORD, council=True)
    auth.login("rad@example.se")


def test_the_council_triages_on_the_board_and_confirms_what_cannot_be_undone(app, english, auth, ctx, lead):
    builders.make_rollout("print-2027", lead)
    idea = ideas.submit(FORM, "10.0.0.1")
    _council_member(auth)
    board = english.get("/ideas/")
    assert board.status_code == 200 and "Gemensamma skrivare" in board.get_data(as_text=True)
    english.post(f"/ideas/{idea.id}/decision", data={"decision": "review"})
    db.session.refresh(idea)
    assert idea.state == "under_review"
    data = {"decision": "accept_lesson", "accept_lesson-rollout": "print-2027", "accept_lesson-title": "Skrivare"}
    asked = english.post(f"/ideas/{idea.id}/decision", data=data)
    assert asked.status_code == 200 and "Yes, record the decision" in asked.get_data(as_text=True)
    db.session.refresh(idea)
    assert idea.state == "under_review"
    done = english.post(f"/ideas/{idea.id}/decision", data={**data, "confirmed": "1"})
    assert done.status_code == 302
    db.session.refresh(idea)
    assert idea.state == "accepted" and idea.lesson.title == "Skrivare"
    assert count(Notification) == 2  # under review, accepted: the proposer only
    page = english.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Became the lesson" in page
    auth.logout()
    auth.login()  # the rollout's lead reads where the lesson came from
    lesson_page = english.get(f"/rollouts/print-2027/lessons/{idea.lesson_id}")
    assert "Made of an idea from the floor" in lesson_page.get_data(as_text=True)


def test_a_decline_without_reason_is_shown_next_to_the_field(app, english, auth, ctx):
    idea = ideas.submit(FORM, "10.0.0.1")
    ideas.decide(idea, "review", {}, None)
    _council_member(auth)
    response = english.post(f"/ideas/{idea.id}/decision", data={"decision": "decline", "decline-reason": ""})
    assert response.status_code == 422 and 'id="decline-reason-error"' in response.get_data(as_text=True)
    wrong = english.post(f"/ideas/{idea.id}/decision", data={"decision": "review"}, follow_redirects=True)
    assert "already under review" in wrong.get_data(as_text=True)


def test_the_ideas_by_unit_show_the_needs_several_units_share(app, english, auth, ctx):
    idea = ideas.submit(FORM, "10.0.0.1")
    ideas.support(idea, {"name": "Per", "email": "per@example.se", "unit": "Ekonomi"}, "x")
    _council_member(auth)
    html = english.get("/ideas/units").get_data(as_text=True)
    assert "Needs shared by several units" in html and "ekonomi, kundcenter" in html


def test_an_admin_grants_the_council_role(app, english, auth, ctx, admin):
    user = accounts.create_user("nils@example.se", "Nils", builders.PASSWORD)
    auth.login("admin@example.se")
    english.post(f"/admin/users/{user.id}/roles", data={"is_council": "y"})
    db.session.expire_all()
    assert db.session.get(User, user.id).is_council
    auth.logout()
    auth.login("nils@example.se")
    assert english.get("/ideas/").status_code == 200


def test_the_cli_creates_a_council_member(app, runner, ctx):
    result = runner.invoke(args=["rollout", "user", "create", "rad@example.se", "--name", "Rut", "--council",
                                 "--password", builders.PASSWORD])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.is_council).where(User.email == "rad@example.se")) is True


def test_the_participants_pages_link_to_the_idea_form(app, english, ctx, lead):
    from rollout.services import feedback, waves
    builders.make_people(2, unit="Pilot")
    rollout = builders.make_rollout("print-2027", lead)
    wave = builders.make_wave(rollout, lead, name="Pilot", units=["Pilot"])
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    feedback.queue_invitations(wave)
    token = next(iter(builders.wave_tokens(wave).values()))
    html = english.get(f"/f/{token}").get_data(as_text=True)
    assert "Send your idea to the council" in html and "/ideas/new" in html


def test_you_said_we_did_shows_an_idea_once_the_lesson_it_became_is_applied(app, english, ctx, lead):
    from rollout.services import feedback, lessons, waves
    builders.make_people(2, unit="Pilot")
    rollout = builders.make_rollout("print-2027", lead)
    wave = builders.make_wave(rollout, lead, name="Pilot", units=["Pilot"])
    idea = ideas.submit(FORM, "10.0.0.1")
    ideas.decide(idea, "review", {}, None)
    ideas.decide(idea, "accept_lesson", {"rollout": "print-2027"}, None)
    assert ideas.done_in(rollout) == []  # accepted, but nothing changed yet
    for status in ("planned", "applied"):
        lessons.update_lesson(idea.lesson, {"status": status}, lead)
    assert ideas.done_in(rollout) == [idea]
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    feedback.queue_invitations(wave)
    invitation = db.session.scalar(select(Notification).where(Notification.kind == "invitation").limit(1))
    assert "Idéer från medarbetare som blev en förändring" in invitation.body_text
    assert FORM["idea"] in invitation.body_text and FORM["idea"] in invitation.body_html
    token = next(iter(builders.wave_tokens(wave).values()))
    html = english.get(f"/f/{token}").get_data(as_text=True)
    assert "Ideas from staff that became a change" in html and FORM["idea"] in html


def test_a_rollout_made_of_an_idea_says_so_to_its_first_lead(app, english, auth, ctx):
    idea = ideas.submit(FORM, "10.0.0.1")
    _council_member(auth)
    english.post(f"/ideas/{idea.id}/decision", data={"decision": "review"})
    data = {"decision": "accept_rollout", "accept_rollout-key": "skrivare-2027",
            "accept_rollout-name": "Gemensamma skrivare", "confirmed": "1"}
    assert english.post(f"/ideas/{idea.id}/decision", data=data).status_code == 302
    html = english.get("/rollouts/skrivare-2027").get_data(as_text=True)
    assert "Made of an idea from the floor" in html and f"/ideas/{idea.id}" in html


def test_the_idea_pages_speak_swedish(app, client, ctx):
    html = client.get("/ideas/new").get_data(as_text=True)
    assert '<html lang="sv">' in html and "Skicka en idé" in html and "Hur många berörs av problemet?" in html
    response = client.post("/ideas/new", data={**FORM, "problem": ""})
    assert "Beskriv problemet." in response.get_data(as_text=True)
