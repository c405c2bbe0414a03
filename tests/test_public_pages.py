"""The public pages: the privacy notice and the accessibility statement, without
signing in, in Swedish and English; the links to them from every page's footer,
from the participant's pages and from every e-mail the app sends."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from rollout.services import feedback, lessons, people, reconcile, rollouts, settings, waves

from . import builders
from .helpers import text_of as words_of

PUBLIC_URL = "https://rollout.kommun.example"
DIGG_FORM = ("https://www.digg.se/analys-och-uppfoljning/lagen-om-tillganglighet-till-digital-offentlig-service-"
             "dos-lagen/anmal-bristande-tillganglighet")
EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "rollout" / "templates" / "email"
GOOD = {"q_satisfaction": "4", "q_worked_day_one": "yes", "q_information": "3", "q_went_well": "",
        "q_could_be_better": "", "q_celebrate": "", "q_hours_lost": ""}


def html_of(response) -> str:
    return response.get_data(as_text=True)


def text_of(response) -> str:
    """The page as a reader sees it: tags out, entities read, whitespace as single spaces."""
    return words_of(html_of(response))


@pytest.fixture
def organisation(app):
    app.config.update(ORGANISATION_NAME="Exempels kommun", PRIVACY_CONTACT="dataskydd@kommun.example",
                      DATA_PROTECTION_OFFICER="dso@kommun.example", ACCESSIBILITY_CONTACT="webb@kommun.example",
                      PUBLIC_URL=PUBLIC_URL)
    return app


# --- the privacy notice ----------------------------------------------------------------

def test_the_privacy_notice_in_swedish_without_signing_in(client, organisation):
    response = client.get("/privacy")
    assert response.status_code == 200
    html, text = html_of(response), text_of(response)
    assert '<html lang="sv">' in html and "<h1>Så behandlar vi dina personuppgifter</h1>" in html
    assert "Exempels kommun är personuppgiftsansvarig" in text
    assert 'href="mailto:dataskydd@kommun.example"' in html and 'href="mailto:dso@kommun.example"' in html
    for stored in ("e-postadress", "enhet", "katalog", "vågor", "hashvärde", "problem", "e-postmeddelanden"):
        assert stored in text
    assert "artikel 6.1 e" in text and "uppgift av allmänt intresse" in text
    assert "Efter 365 dagar raderas det du skrivit" in text and "Efter 365 dagar raderas de personliga" in text
    assert "ansvariga och granskare" in text and "visas bara som antal" in text
    assert "Integritetsskyddsmyndigheten (IMY)" in text and 'href="https://www.imy.se/"' in html
    # the honest threat model
    assert ("en driftansvarig som har både tillgång till databasen och till serverns hemliga nyckel "
            "(SECRET_KEY) kan räkna om kontrollvärdet") in text
    assert "Med enbart tillgång till databasen går det inte att koppla ett svar till en person." in text
    assert "åtkomstloggar" in text and "Påminnelser skickas till alla i vågen" in text
    assert "tiden bara som datum" in text and "inget om vilket språk" in text


def test_the_privacy_notice_in_english(english, organisation):
    response = english.get("/privacy")
    assert response.status_code == 200
    html, text = html_of(response), text_of(response)
    assert '<html lang="en">' in html and "<h1>How we handle your personal data</h1>" in html
    assert "Exempels kommun is the controller" in text and 'href="mailto:dataskydd@kommun.example"' in html
    assert "Article 6(1)(e)" in text
    assert '<span lang="sv">Integritetsskyddsmyndigheten</span>' in html and "imy.se" in text
    assert ("an operator who has both access to the database and the server's secret key (SECRET_KEY) "
            "can recompute the check value") in text
    assert "With access to the database alone, an answer cannot be linked to a person." in text
    assert "Reminders go to everyone in the wave" in text
    assert "Så behandlar" not in text


def test_the_language_of_the_link_decides_unless_the_reader_chose_one(client, organisation):
    assert '<html lang="en">' in html_of(client.get("/privacy?lang=en"))
    assert '<html lang="sv">' in html_of(client.get("/privacy?lang=xx"))
    client.get("/language/sv")
    assert '<html lang="sv">' in html_of(client.get("/privacy?lang=en"))


def test_the_retention_the_admins_set_is_what_the_notice_says(client, ctx, admin):
    settings.set_retention_defaults(200, 30, admin)
    text = text_of(client.get("/privacy"))
    assert "Efter 30 dagar raderas det du skrivit i fritext" in text
    assert "Efter 200 dagar raderas de personliga länkarna" in text
    assert "After 30 days, what you wrote" in text_of(client.get("/privacy?lang=en"))


def test_without_contacts_the_reader_is_sent_to_the_rollout_lead(client, english):
    html, text = html_of(english.get("/privacy")), text_of(english.get("/privacy"))
    assert "mailto:" not in html and 'href=""' not in html
    assert "ask the lead of the rollout" in text and "Organisationen has a data protection officer" in text
    client.get("/language/sv")
    html, text = html_of(client.get("/accessibility")), text_of(client.get("/accessibility"))
    assert "mailto:" not in html and "fråga den som leder införandet" in text


def test_an_operator_can_add_a_paragraph_in_each_language(client, app):
    app.config.update(PRIVACY_NOTICE_EXTRA_SV="Behandlingen stöds av kommunallagen.\n\nFråga <oss>.",
                      PRIVACY_NOTICE_EXTRA_EN="The processing rests on the Local Government Act.")
    html = html_of(client.get("/privacy"))
    assert "<p>Behandlingen stöds av kommunallagen.</p>" in html and "<p>Fråga &lt;oss&gt;.</p>" in html
    assert "Local Government Act" not in html
    assert "<p>The processing rests on the Local Government Act.</p>" in html_of(client.get("/privacy?lang=en"))


# --- the accessibility statement -----------------------------------------------------------

def test_the_accessibility_statement_in_swedish_without_signing_in(client, organisation):
    response = client.get("/accessibility")
    assert response.status_code == 200
    html, text = html_of(response), text_of(response)
    assert '<html lang="sv">' in html and "<h1>Tillgänglighetsredogörelse för Rollout</h1>" in html
    assert "Exempels kommun står bakom Rollout" in text and "2018:1937" in text
    assert "delvis förenlig med lagen om tillgänglighet till digital offentlig service" in text
    assert "WCAG 2.1 nivå AA och EN 301 549" in text
    assert "själva diagrammet går inte att navigera i" in text and "inga PDF-dokument" in text
    assert "axe-core" in text and "tangentbord" in text and "2 december 2026" in text
    assert 'href="mailto:webb@kommun.example"' in html
    assert f'<a href="{DIGG_FORM}">Anmäl bristande tillgänglighet</a>' in html
    assert "Myndigheten för digital förvaltning (DIGG)" in text


def test_the_accessibility_statement_in_english(english, organisation):
    response = english.get("/accessibility")
    html, text = html_of(response), text_of(response)
    assert response.status_code == 200 and '<html lang="en">' in html
    assert "<h1>Accessibility statement for Rollout</h1>" in html and "Exempels kommun is behind Rollout" in text
    assert "partially compliant" in text and "WCAG 2.1 level AA and EN 301 549" in text
    assert "the chart itself cannot be navigated" in text and "December 2, 2026" in text
    assert f'href="{DIGG_FORM}"' in html and '<span lang="sv">Anmäl bristande tillgänglighet</span>' in html
    assert 'href="mailto:webb@kommun.example"' in html


def test_the_statement_follows_the_configuration(client, app):
    app.config.update(ACCESSIBILITY_COMPLIANCE="full", ACCESSIBILITY_SHORTCOMINGS=[],
                      ACCESSIBILITY_ASSESSED="2027-03-15", ACCESSIBILITY_METHOD="Granskning av extern konsult.",
                      SERVICE_NAME="Införandetjänsten")
    text = text_of(client.get("/accessibility"))
    assert "Införandetjänsten är helt förenlig" in text and "delvis" not in text
    assert "Vi känner inte till några brister" in text
    assert "Granskning av extern konsult." in text and "15 mars 2027" in text
    app.config.update(ACCESSIBILITY_SHORTCOMINGS=["Filmen saknar syntolkning."])
    assert "<li>Filmen saknar syntolkning.</li>" in html_of(client.get("/accessibility"))
    # ROLLOUT_ACCESSIBILITY_SHORTCOMINGS=2 reads as JSON: a number, once a 500 (not iterable)
    app.config.update(ACCESSIBILITY_SHORTCOMINGS=2)
    assert "<li>2</li>" in html_of(client.get("/accessibility"))


def test_the_public_pages_are_read_only(client):
    for path in ("/privacy", "/accessibility"):
        assert client.post(path).status_code == 405


# --- the links to them ------------------------------------------------------------------

def footer_of(html: str) -> str:
    return html[html.index('<footer class="site-footer'):]


def test_every_footer_links_both_pages(app, logged_in):
    footer = footer_of(html_of(app.test_client().get("/login")))
    assert 'href="/privacy?lang=sv"' in footer and 'href="/accessibility?lang=sv"' in footer
    footer = footer_of(html_of(logged_in.get("/rollouts/")))
    assert 'href="/privacy?lang=en"' in footer and 'href="/accessibility?lang=en"' in footer


def feedback_wave(lead, *, anonymous=False, people_=None):
    builders.make_people(2)
    ids = ["p1", "p2"]
    for row in people_ or []:
        people.upsert_people([row], None)
        ids.append(row["external_id"])
    rollout = builders.make_rollout(lead=lead, anonymous=anonymous)
    wave = builders.make_wave(rollout, lead, people=ids)
    waves.transition(wave, "active", None)
    waves.transition(wave, "feedback", None)
    reconcile.tick()
    return wave


def path_of(mailbox, address: str) -> str:
    [link] = mailbox.links(address)
    return urlsplit(link).path


def privacy_note(html: str) -> str:
    return re.search(r'<p class="privacy-note">(.*?)</p>', html, re.S).group(1)


def test_the_participant_pages_link_the_privacy_notice(client, lead, mailbox):
    wave = feedback_wave(lead)
    path = path_of(mailbox, "p1@example.se")
    form = html_of(client.get(path))
    assert 'href="/privacy?lang=sv"' in privacy_note(form), "the questionnaire links the notice"
    assert 'href="/privacy?lang=sv"' in footer_of(form) and 'href="/accessibility?lang=sv"' in footer_of(form)
    assert 'href="/privacy' in privacy_note(html_of(client.get(path + "/problem")))
    sent = client.post(path, data=GOOD)
    assert sent.status_code == 303
    assert 'href="/privacy' in privacy_note(html_of(client.get(sent.headers["Location"])))
    reported = client.post(path + "/problem", data={"category": "printing", "severity": "minor",
                                                    "description": "Skrivaren krånglar."})
    assert 'href="/privacy' in privacy_note(html_of(client.get(reported.headers["Location"])))
    reconcile.tick(wave.feedback_closes_at + timedelta(seconds=1))
    closed = html_of(client.get(path))
    assert "notice-closed" in closed and 'href="/privacy' in privacy_note(closed)
    client.get("/language/en")
    assert "This rollout is not anonymous" in privacy_note(html_of(client.get(path)))


def test_the_participant_reads_the_notice_in_their_own_language(client, lead, mailbox):
    feedback_wave(lead, anonymous=True, people_=[{"external_id": "emma", "name": "Emma", "email": "emma@example.se",
                                                   "unit": "Enhet A", "language": "en"}])
    note = privacy_note(html_of(client.get(path_of(mailbox, "emma@example.se"))))
    assert 'href="/privacy?lang=en"' in note and "This rollout is anonymous" in note
    assert '<html lang="en">' in html_of(client.get("/privacy?lang=en"))


# --- every e-mail links the notice -----------------------------------------------------------

def assert_links_the_notice(mailbox, message, url: str) -> None:
    assert url in mailbox.text(message).split(), f"no {url} in the text of {message['Subject']!r}"
    assert f'href="{url}"' in message.get_body(preferencelist=("html",)).get_content()


def test_every_email_links_the_privacy_notice(ctx, lead, mailbox, organisation):
    wave = feedback_wave(lead, people_=[{"external_id": "emma", "name": "Emma", "email": "emma@example.se",
                                         "unit": "Enhet A", "language": "en"}])
    [invitation] = mailbox.to("p1@example.se")
    assert_links_the_notice(mailbox, invitation, PUBLIC_URL + "/privacy")
    [english_invitation] = mailbox.to("emma@example.se")
    assert_links_the_notice(mailbox, english_invitation, PUBLIC_URL + "/privacy?lang=en")

    reconcile.tick(wave.feedback_closes_at - timedelta(days=1))
    reminder = mailbox.to("p1@example.se")[-1]
    assert reminder is not invitation
    assert_links_the_notice(mailbox, reminder, PUBLIC_URL + "/privacy")

    token = mailbox.links("p2@example.se")[0].rsplit("/", 1)[1]
    feedback.report_problem(token, {"category": "login", "severity": "blocker", "description": "Går inte"})
    [alert] = mailbox.to(lead.email)
    assert_links_the_notice(mailbox, alert, PUBLIC_URL + "/privacy")

    rollout, pilot, wave1 = builders.pilot_in_review(lead, key="lessons-2027")
    reviewer = builders.make_user("rita@example.se", "Rita Reviewer")
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    lessons.create_lesson(rollout, {"title": "Fix the printer driver", "origin_wave": 0,
                                    "owner": reviewer.email}, lead)
    [owner_mail] = mailbox.to(reviewer.email)
    assert_links_the_notice(mailbox, owner_mail, PUBLIC_URL + "/privacy")


def test_every_email_template_ends_with_the_privacy_line():
    """A new kind of e-mail cannot forget it: each one (a subject) has both bodies with the line."""
    kinds = sorted(p.name.removesuffix(".subject.txt") for p in EMAIL_TEMPLATES.glob("*.subject.txt"))
    assert {"invitation", "reminder", "blocker", "lesson_owner"} <= set(kinds)
    for kind in kinds:
        for body in (f"{kind}.txt", f"{kind}.html"):
            assert '{% include "email/_privacy.' in (EMAIL_TEMPLATES / body).read_text(), body


def test_an_anonymous_form_says_what_anonymity_means_before_the_questions(client, lead, mailbox):
    feedback_wave(lead, anonymous=True, people_=[{"external_id": "emma", "name": "Emma", "email": "emma@example.se",
                                                   "unit": "Enhet A", "language": "en"}])
    form = html_of(client.get(path_of(mailbox, "emma@example.se")))
    assert form.index('<h2 id="anonymity-title">Your answers are anonymous</h2>') < form.index("<form")
    assert "only once at least 5 people in your wave have answered" in form


def test_a_named_form_has_no_anonymity_notice(client, lead, mailbox):
    feedback_wave(lead, people_=[{"external_id": "emma", "name": "Emma", "email": "emma@example.se",
                                  "unit": "Enhet A", "language": "en"}])
    assert "anonymity-title" not in html_of(client.get(path_of(mailbox, "emma@example.se")))
