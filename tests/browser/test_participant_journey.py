"""The participant's journey in a real browser, from the link in the invitation
e-mail: on a phone-sized screen, answer (the rating with the keyboard only),
see the thank-you page, come back and change an answer, report a blocker; and
the same form without JavaScript.

Every page on the way is checked with axe-core, and must fit a 375 px screen
without sideways scrolling.
"""
from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import ProblemReport, Response
from rollout.services import feedback, reconcile, waves

from .. import builders
from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

ROLLOUT_NAME = "Rollout win11-2027"


@pytest.fixture
def wave_collecting_feedback(live_server, live_mailbox):
    """A rollout with a lead and a wave of two people whose invitations have been sent."""
    app = live_server.app
    with app.test_request_context():
        lead = builders.make_user("lead@example.se", "Lena Lead")
        builders.make_people(2)
        rollout = builders.make_rollout(lead=lead)
        wave = builders.make_wave(rollout, lead, people=["p1", "p2"])
        waves.transition(wave, "active", None)
        waves.transition(wave, "feedback", None)
        assert reconcile.tick().sent == 2
        return wave.id


def focused(page: Page) -> dict:
    return page.evaluate("() => ({id: document.activeElement.id, tag: document.activeElement.tagName.toLowerCase()})")


def tab_until(page: Page, wanted, limit: int = 40) -> None:
    """Press Tab until `wanted(focused element)` holds; fail when it never does."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return
        seen.append(f"{now['tag']}#{now['id']}")
    pytest.fail("Tab never reached the wanted element; the focus went through: " + ", ".join(seen))


def invitation_link(box, address: str, live_server) -> str:
    links = box.links(address)
    assert len(links) == 1, f"{address} got {len(links)} invitations"
    assert links[0].startswith(live_server.url + "/f/")
    return links[0]


def fits_the_screen(page: Page, where: str) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where} is {overflow}px wider than the {page.viewport_size['width']}px screen"


def group(page: Page, prompt: str):
    return page.get_by_role("group", name=re.compile("^" + re.escape(prompt)))


def stored_answers(live_server, link: str) -> dict:
    with live_server.app.test_request_context():
        return feedback.current_answers(feedback.visit(link.rsplit("/", 1)[1]))


def test_participant_answers_edits_and_reports_a_problem_on_a_phone(phone_page: Page, live_server, live_mailbox,
                                                                    wave_collecting_feedback, check_a11y):
    page = phone_page
    link = invitation_link(live_mailbox, "p1@example.se", live_server)

    # -- the link opens the form in Swedish, the person's language
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ROLLOUT_NAME)
    expect(group(page, "Hur nöjd är du med bytet som helhet?")).to_be_visible()
    fits_the_screen(page, "the form in Swedish")
    check_a11y(page, "the questionnaire in Swedish")

    # -- the language switch on the page keeps the person on their form
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(link)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    satisfaction = group(page, "How satisfied are you with the change overall?")
    expect(satisfaction).to_be_visible()
    expect(page.get_by_text("This link is personal")).to_be_visible()

    # -- sending nothing: the required questions say so, next to them and in the summary
    page.get_by_role("button", name="Send my answers").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("^How satisfied"))).to_be_visible()
    expect(satisfaction.get_by_text("Answer this question.")).to_be_visible()
    fits_the_screen(page, "the form with errors")
    check_a11y(page, "the questionnaire with errors")

    # -- the rating with the keyboard only: Tab into the group, Space, arrows
    tab_until(page, lambda e: e["id"] == "q_satisfaction-0")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(satisfaction.get_by_role("radio", name="4", exact=True)).to_be_checked()
    assert focused(page)["id"] == "q_satisfaction-3"
    # ... and on to the yes/no question with Tab
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "q_worked_day_one-0"
    page.keyboard.press("Space")
    expect(group(page, "Could you work as usual on day one?").get_by_role("radio", name="Yes")).to_be_checked()

    # -- the rest by touch
    group(page, "Did you get enough information and training?").get_by_text("3", exact=True).tap()
    page.get_by_label("What went well?").fill("Quick login.\nThe printer just worked.")
    page.get_by_label("About how many working hours").fill("2,5")
    page.get_by_role("button", name="Send my answers").tap()

    expect(page).to_have_url(link + "/thanks")
    expect(page.get_by_role("heading", level=1, name="Thank you for your feedback")).to_be_visible()
    expect(page.get_by_text("retrospective")).to_be_visible()
    fits_the_screen(page, "the thank-you page")
    check_a11y(page, "the thank-you page")
    assert stored_answers(live_server, link) == {"satisfaction": 4, "worked_day_one": "yes", "information": 3,
                                                 "went_well": "Quick login.\nThe printer just worked.",
                                                 "hours_lost": 2.5}

    # -- back to the form: the answers are there; change one and send again
    page.get_by_role("link", name="Change your answers").tap()
    expect(page).to_have_url(link)
    satisfaction = group(page, "How satisfied are you with the change overall?")
    expect(satisfaction.get_by_role("radio", name="4", exact=True)).to_be_checked()
    expect(page.get_by_label("What went well?")).to_have_value("Quick login.\nThe printer just worked.")
    check_a11y(page, "the questionnaire with earlier answers")
    satisfaction.get_by_text("5", exact=True).tap()
    page.get_by_role("button", name="Send my answers").tap()
    expect(page).to_have_url(link + "/thanks")
    assert stored_answers(live_server, link)["satisfaction"] == 5
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1

    # -- something is not working: report a blocker
    page.get_by_role("link", name="Report a problem").tap()
    expect(page.get_by_role("heading", level=1, name="Report a problem")).to_be_visible()
    fits_the_screen(page, "the problem form")
    check_a11y(page, "the problem form")
    page.get_by_label("What is the problem about?").select_option(label="Printing")
    page.get_by_role("radio", name=re.compile("^Blocker")).check()
    page.get_by_label("Describe the problem").fill("Nothing prints since the change.")
    page.get_by_role("button", name="Send the report").tap()
    expect(page.get_by_role("heading", level=1, name="The problem is reported")).to_be_visible()
    expect(page.get_by_text("told at once")).to_be_visible()
    fits_the_screen(page, "the problem confirmation")
    check_a11y(page, "the problem confirmation")
    with live_server.app.app_context():
        report = db.session.scalar(select(ProblemReport))
        assert (report.wave_id, report.severity, report.category) == (wave_collecting_feedback, "blocker", "printing")
    mails = live_mailbox.to("lead@example.se")
    assert len(mails) == 1 and "Nothing prints since the change." in live_mailbox.text(mails[0])

    # -- a link that does not work says only that
    page.goto(live_server(f"/f/{secrets.token_urlsafe(32)}"))
    expect(page.get_by_role("heading", level=1, name="This link does not work")).to_be_visible()
    assert "win11" not in page.content()
    check_a11y(page, "the page of a link that does not work")


def test_the_form_works_without_javascript(page_without_js: Page, live_server, live_mailbox,
                                           wave_collecting_feedback):
    # (no axe-core here: it runs as JavaScript in the page; the journey above checks these pages)
    page = page_without_js
    link = invitation_link(live_mailbox, "p2@example.se", live_server)
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    group(page, "Hur nöjd är du med bytet som helhet?").get_by_text("2", exact=True).click()
    group(page, "Kunde du arbeta som vanligt redan första dagen?").get_by_role("radio").last.check()
    page.get_by_label("Vad kunde ha varit bättre?").fill("Mer utbildning före bytet.")
    page.locator("form.questionnaire button[type=submit]").click()
    expect(page).to_have_url(link + "/thanks")
    # the way back to the form is a plain link
    expect(page.locator(f'main a[href="{link.removeprefix(live_server.url)}"]').first).to_be_visible()
    assert stored_answers(live_server, link) == {"satisfaction": 2, "worked_day_one": "no",
                                                 "could_be_better": "Mer utbildning före bytet."}
