"""The participant's side through the test client: the personal link from the
invitation e-mail, answering and editing, errors next to the questions, the
closed window, links that do not work, and problem reports."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select, update

from rollout.extensions import db
from rollout.models import FeedbackLink, Person, ProblemReport, Response, Wave
from rollout.services import feedback, people, reconcile, waves

from . import builders

ROLLOUT_NAME = "Rollout win11-2027"
GOOD = {"q_satisfaction": "4", "q_worked_day_one": "yes", "q_information": "3",
        "q_went_well": "Inloggningen gick fort.\r\nSkrivaren fungerade.", "q_could_be_better": "",
        "q_celebrate": "", "q_hours_lost": "2,5"}


# --- helpers -------------------------------------------------------------------

def feedback_wave(lead, n: int = 2, *, extra_people: list[dict] | None = None) -> Wave:
    """A wave collecting feedback, its invitations delivered to the mailbox."""
    builders.make_people(n)
    ids = [f"p{i}" for i in range(1, n + 1)]
    if extra_people:
        people.upsert_people(extra_people, None)
        ids += [p["external_id"] for p in extra_people]
    rollout = builders.make_rollout(lead=lead)
    wave = builders.make_wave(rollout, lead, people=ids)
    waves.transition(wave, "active", None)
    waves.transition(wave, "feedback", None)
    report = reconcile.tick()
    assert report.sent == len(ids)
    return wave


def link_path(mailbox, address: str = "p1@example.se") -> str:
    links = mailbox.links(address)
    assert len(links) == 1, f"{address} got {len(links)} invitations"
    return urlsplit(links[0]).path


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


def html_of(response) -> str:
    return response.get_data(as_text=True)


def inputs(html: str, name: str) -> list[str]:
    return [tag for tag in re.findall(r"<input[^>]*>", html) if f'name="{name}"' in tag]


def checked(html: str, name: str) -> list[str]:
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in inputs(html, name) if " checked" in tag]


def error_of(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def responses(wave: Wave) -> int:
    return db.session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id))


def stored(path: str) -> dict:
    db.session.expire_all()
    return feedback.current_answers(feedback.visit(token_of(path)))


# --- opening the link ----------------------------------------------------------------

def test_the_link_in_the_invitation_opens_the_questionnaire_in_swedish(client, lead, mailbox):
    wave = feedback_wave(lead)
    path = link_path(mailbox)
    response = client.get(path)
    assert response.status_code == 200
    html = html_of(response)
    assert '<html lang="sv">' in html
    assert ROLLOUT_NAME in html
    assert "Hur nöjd är du med bytet som helhet?" in html
    assert "How satisfied are you" not in html
    # each question a group or a labelled field, built from the stored questions
    assert re.search(r'<fieldset[^>]*>\s*<legend>Hur nöjd är du med bytet som helhet\? <span class="required">', html)
    assert [re.search(r'value="(\d+)"', t).group(1) for t in inputs(html, "q_satisfaction")] == list("12345")
    assert all('type="radio"' in t for t in inputs(html, "q_satisfaction") + inputs(html, "q_worked_day_one"))
    assert re.search(r'<textarea[^>]*maxlength="2000"[^>]*name="q_went_well"', html)
    assert 'inputmode="decimal"' in inputs(html, "q_hours_lost")[0]
    assert checked(html, "q_satisfaction") == []
    # the closing date is shown, and opening the link is recorded
    db.session.expire_all()
    assert feedback.visit(token_of(path)).link.last_opened_at is not None
    assert wave.feedback_closes_at is not None


def test_answer_then_reopen_and_edit_keeps_one_response(english, lead, mailbox):
    wave = feedback_wave(lead)
    path = link_path(mailbox)
    sent = english.post(path, data=GOOD)
    assert sent.status_code == 303 and sent.headers["Location"].endswith(path + "/thanks")
    thanks = english.get(path + "/thanks")
    assert thanks.status_code == 200
    text = html_of(thanks)
    assert "Thank you" in text and "retrospective" in text and "next wave" in text
    assert f'href="{path}"' in text, "the thank-you page links back to the form"
    assert f'href="{path}/problem"' in text
    assert responses(wave) == 1
    assert stored(path) == {"satisfaction": 4, "worked_day_one": "yes", "information": 3,
                            "went_well": "Inloggningen gick fort.\nSkrivaren fungerade.", "hours_lost": 2.5}

    reopened = html_of(english.get(path))
    assert checked(reopened, "q_satisfaction") == ["4"]
    assert checked(reopened, "q_worked_day_one") == ["yes"]
    assert "Inloggningen gick fort." in reopened
    assert 'value="2.5"' in inputs(reopened, "q_hours_lost")[0]
    assert "You sent your answers on" in reopened

    edited = dict(GOOD, q_satisfaction="2", q_worked_day_one="no", q_went_well="", q_hours_lost="")
    assert english.post(path, data=edited).status_code == 303
    assert responses(wave) == 1
    assert stored(path) == {"satisfaction": 2, "worked_day_one": "no", "information": 3}
    db.session.expire_all()
    assert db.session.scalar(select(Response).where(Response.wave_id == wave.id)).edits == 1


def test_a_double_submit_is_one_response(client, lead, mailbox):
    wave = feedback_wave(lead)
    path = link_path(mailbox)
    first = client.post(path, data=GOOD)
    second = client.post(path, data=GOOD)
    assert first.status_code == second.status_code == 303
    assert responses(wave) == 1
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).responses_count == 1
    assert stored(path)["satisfaction"] == 4
    # a Swedish page shows the decimal comma the person wrote
    assert 'value="2,5"' in inputs(html_of(client.get(path)), "q_hours_lost")[0]


def test_the_person_language_decides_and_the_switch_wins(client, lead, mailbox):
    feedback_wave(lead, 1, extra_people=[{"external_id": "en1", "name": "Emma English", "email": "emma@example.se",
                                          "unit": "Enhet A", "language": "en"}])
    path = link_path(mailbox, "emma@example.se")
    html = html_of(client.get(path))
    assert '<html lang="en">' in html
    assert "How satisfied are you with the change overall?" in html
    assert "Hur nöjd" not in html
    assert "This link is personal" in html
    # the language switch on the page goes back to the same form, now in Swedish
    switch = re.search(r'href="(/language/sv\?next=[^"]+)"', html).group(1)
    back = client.get(unescape(switch))
    assert urlsplit(back.headers["Location"]).path == path
    assert "Hur nöjd är du med bytet som helhet?" in html_of(client.get(path))
    # and the Swedish person's link is still Swedish in a fresh browser
    other = client.application.test_client()
    assert '<html lang="sv">' in html_of(other.get(link_path(mailbox, "p1@example.se")))


# --- answers the service refuses ---------------------------------------------------------

@pytest.mark.parametrize("change, field, message", [
    ({"q_satisfaction": "9"}, "q_satisfaction", "Choose a value from 1 to 5."),
    ({"q_went_well": "x" * 2001}, "q_went_well", "At most"),
    ({"q_worked_day_one": ""}, "q_worked_day_one", "Answer this question."),
    ({"q_worked_day_one": "maybe"}, "q_worked_day_one", "Answer yes or no."),
    ({"q_hours_lost": "many"}, "q_hours_lost", "Give a number."),
    ({"q_hours_lost": "500"}, "q_hours_lost", "Give a number from 0 to 200."),
])
def test_a_refused_answer_is_said_next_to_its_question(english, lead, mailbox, change, field, message):
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    response = english.post(path, data=dict(GOOD, **change))
    assert response.status_code == 422
    html = html_of(response)
    assert message in error_of(html, field)
    assert "There is a problem" in html and f'href="#{field}' in html
    assert "<title>Error:" in html
    assert responses(wave) == 0
    # what the person gave is still there to correct
    assert checked(html, "q_information") == ["3"]
    assert field == "q_hours_lost" or 'value="2,5"' in inputs(html, "q_hours_lost")[0]


def test_a_crafted_post_with_an_unknown_question_stores_nothing(english, lead, mailbox):
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    response = english.post(path, data=dict(GOOD, q_salary="100000"))
    assert response.status_code == 422
    html = html_of(response)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert "There is no question salary." in summary
    assert responses(wave) == 0


def test_a_missing_required_answer_is_said_for_every_such_question(english, lead, mailbox):
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    html = html_of(english.post(path, data={}))
    assert error_of(html, "q_satisfaction") == "Error: Answer this question."
    assert error_of(html, "q_worked_day_one") == "Error: Answer this question."
    assert error_of(html, "q_information") == ""
    assert 'aria-describedby="q_satisfaction-hint q_satisfaction-error"' in html
    # the summary: a question's own "?" takes no colon after it (not "overall?: Answer…")
    assert 'href="#q_satisfaction-0">How satisfied are you with the change overall? Answer this question.</a>' in html
    assert responses(wave) == 0


# --- a closed window ------------------------------------------------------------------------

def test_a_closed_window_shows_the_answers_read_only_and_refuses_changes(english, lead, mailbox):
    wave = feedback_wave(lead)
    path = link_path(mailbox)
    assert english.post(path, data=GOOD).status_code == 303
    waves.transition(wave, "review", None)

    page = english.get(path)
    assert page.status_code == 200
    html = html_of(page)
    assert "The feedback window closed on" in html
    assert inputs(html, "q_satisfaction") == [] and "<textarea" not in html
    assert re.search(r"<dt>How satisfied are you with the change overall\?</dt><dd>4 of 5</dd>", html)
    assert "Inloggningen gick fort." in html

    refused = english.post(path, data=dict(GOOD, q_satisfaction="1"))
    assert refused.status_code == 409
    assert "The feedback window closed on" in html_of(refused)
    assert stored(path)["satisfaction"] == 4
    assert responses(wave) == 1

    # someone who never answered sees the message and no form
    other = html_of(english.get(link_path(mailbox, "p2@example.se")))
    assert "The feedback window closed on" in other and "You did not send any answers" in other
    # but problems are, until the team has decided (see the test below)
    assert english.post(path + "/problem", data={"category": "login", "severity": "minor",
                                                 "description": "x"}).status_code == 303


def test_the_window_shuts_at_its_closing_time_and_while_paused(english, lead, mailbox):
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    waves.transition(wave, "paused", None)
    paused = english.get(path)
    assert paused.status_code == 200 and "paused" in html_of(paused) and inputs(html_of(paused), "q_satisfaction") == []
    assert english.post(path, data=GOOD).status_code == 409
    waves.transition(wave, wave.paused_from, None)
    assert inputs(html_of(english.get(path)), "q_satisfaction")

    # the closing time has passed, and no tick has moved the wave to review yet
    wave.feedback_closes_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.commit()
    late = english.post(path, data=GOOD)
    assert late.status_code == 409 and "The feedback window closed on" in html_of(late)
    assert responses(wave) == 0


def test_personal_pages_are_not_cached_and_head_is_harmless(client, lead, mailbox):
    feedback_wave(lead, 1)
    path = link_path(mailbox)
    for response in (client.get(path), client.head(path), client.get("/f/" + secrets.token_urlsafe(32))):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.head(path).status_code == 200


# --- links that do not work --------------------------------------------------------------

def test_a_revoked_or_unknown_link_is_a_plain_404(client, lead, mailbox):
    wave = feedback_wave(lead)
    path = link_path(mailbox)
    assert client.get(path).status_code == 200
    person = db.session.scalar(select(Person).where(Person.external_id == "p1"))
    feedback.revoke_link(wave, person, lead)

    for url in (path, path + "/thanks", path + "/problem", "/f/" + secrets.token_urlsafe(32), "/f/x"):
        response = client.get(url)
        assert response.status_code == 404, url
        body = html_of(response)
        assert "win11" not in body and "Rollout win11" not in body and wave.name not in body, url
        assert "<form" not in body.split("<main", 1)[1], url
    assert client.post(path, data=GOOD).status_code == 404
    assert responses(wave) == 0


def test_a_cancelled_wave_is_a_plain_404(client, lead, mailbox):
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    waves.transition(wave, "cancelled", None)
    response = client.get(path)
    assert response.status_code == 404
    assert "win11" not in html_of(response)


# --- problem reports ------------------------------------------------------------------

def test_a_problem_report_is_stored_for_the_wave(english, lead, mailbox):
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    form = english.get(path)
    assert f'href="{path}/problem"' in html_of(form), "the form page links to the problem report"

    page = english.get(path + "/problem")
    assert page.status_code == 200
    html = html_of(page)
    assert '<option value="login">Login and access</option>' in html
    assert [re.search(r'value="(\w+)"', t).group(1) for t in inputs(html, "severity")] == ["blocker", "major", "minor"]
    assert "I cannot do my work at all" in html

    refused = english.post(path + "/problem", data={"category": "", "severity": "", "description": " "})
    assert refused.status_code == 422
    refused_html = html_of(refused)
    assert "Choose a category." in error_of(refused_html, "category")
    assert "Choose how serious the problem is." in error_of(refused_html, "severity")
    assert "Describe the problem." in error_of(refused_html, "description")
    assert db.session.scalar(select(func.count()).select_from(ProblemReport)) == 0

    sent = english.post(path + "/problem", data={"category": "printing", "severity": "minor",
                                                 "description": "The printer on floor 2 asks for a PIN."})
    assert sent.status_code == 303
    confirmation = html_of(english.get(sent.headers["Location"]))
    assert "The problem is reported" in confirmation and "told at once" not in confirmation
    report = db.session.scalar(select(ProblemReport))
    assert (report.wave_id, report.category, report.severity) == (wave.id, "printing", "minor")
    assert report.person.external_id == "p1"
    assert mailbox.to("lead@example.se") == [], "a minor problem does not e-mail the leads"


def test_a_blocker_emails_the_leads_at_once(client, lead, mailbox):
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    page = html_of(client.get(path + "/problem"))
    assert '<option value="login">Inloggning och behörighet</option>' in page, "categories in the page's language"
    sent = client.post(path + "/problem", data={"category": "login", "severity": "blocker",
                                                "description": "Jag kan inte logga in alls."})
    assert sent.status_code == 303
    # no tick: the report itself sends the mail
    mails = mailbox.to("lead@example.se")
    assert len(mails) == 1
    assert "Jag kan inte logga in alls." in mailbox.text(mails[0])
    client.get("/language/en")
    assert "the leads of the rollout have been told at once" in html_of(client.get(sent.headers["Location"]))
    assert db.session.scalar(select(ProblemReport.wave_id)) == wave.id


def test_problems_are_reported_until_the_team_has_decided_and_the_invitation_says_so(english, lead, mailbox):
    """The invitation promised "at any time" while the link refused after the window closed: now a
    problem counts until the decision (the team is still reviewing), and the e-mail says exactly that."""
    wave = feedback_wave(lead, 1)
    path = link_path(mailbox)
    invitation = mailbox.text(mailbox.to("p1@example.se")[0])
    assert "until the team has decided on this wave" in invitation or "tills teamet har beslutat" in invitation
    waves.transition(wave, "review", lead)
    page = english.get(path + "/problem")
    assert page.status_code == 200 and 'name="description"' in html_of(page)
    sent = english.post(path + "/problem", data={"category": "printing", "severity": "major",
                                                 "description": "Found after I had answered."})
    assert sent.status_code == 303
    assert db.session.scalar(select(ProblemReport.description)) == "Found after I had answered."
    waves.decide(wave, "go", "It went well", lead)
    refused = english.post(path + "/problem", data={"category": "printing", "severity": "minor",
                                                    "description": "Too late"})
    assert refused.status_code == 409
    assert "until the team has decided on the wave, and it has" in html_of(refused)
    assert db.session.scalar(select(func.count()).select_from(ProblemReport)) == 1


def test_opening_a_link_again_within_the_minute_writes_nothing(client, lead, mailbox):
    """Thousands open their links within the hour, and a reload or the page after a submit opens
    it again: the last opening is noted to the minute, so those requests write nothing."""
    feedback_wave(lead)
    path = link_path(mailbox)
    assert client.get(path).status_code == 200
    writes: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("UPDATE FEEDBACK_LINKS"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(path).status_code == 200
        assert writes == []
        # a minute later the opening is noted again
        db.session.execute(update(FeedbackLink).values(last_opened_at=datetime.now(timezone.utc) - timedelta(minutes=2)))
        db.session.commit()
        writes.clear()
        assert client.get(path).status_code == 200
        assert len(writes) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
