"""Ideas from the floor in a real browser: a member of staff (no account) files an idea, is shown
a similar one while typing and on sending, and supports it instead; the council takes that idea
under review and accepts it into a lesson of a rollout; the proposer and the supporter receive
the e-mail on a real SMTP server. axe-core checks each page; the form works without JavaScript."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rollout.services import accounts, ideas, rollouts

from .. import builders
from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

EXISTING = {"name": "Olle Ekonom", "email": "olle@example.se", "unit": "Ekonomi", "language": "en",
            "problem": "The printers on the third floor lose their connection every morning",
            "idea": "Shared printers with one print queue for the whole building", "reach": "up_to_50"}


@pytest.fixture
def world(live_server, lead_user):
    with live_server.app.test_request_context():
        from rollout.extensions import db
        from rollout.models import User
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        rollouts.create_rollout({"key": "print-2027", "name": "New printers"}, lead)
        accounts.create_user("rad@example.se", "Rut Council", builders.PASSWORD, council=True, language="en")
        return ideas.submit(EXISTING, "10.0.0.1").id


def fill_idea(page: Page) -> None:
    page.get_by_label("Your name").fill("Siv Staff")
    page.get_by_label("Your e-mail address").fill("siv@example.se")
    page.get_by_label("Your unit").fill("Kundcenter")
    page.get_by_label("The problem").fill("My printer loses its connection")
    page.get_by_label("Your idea").fill("Printers that keep their connection")
    page.get_by_role("radio", name="A few of us (up to 10)").check()


def test_staff_support_a_similar_idea_and_the_council_accepts_it_into_a_lesson(
        page: Page, live_server, live_mailbox, world, check_a11y):
    live = live_server
    page.goto(live("/language/en"))
    page.goto(live("/ideas/new"))
    expect(page.get_by_role("heading", level=1, name="Send an idea")).to_be_visible()
    check_a11y(page, "the idea form")
    fill_idea(page)
    # while typing, the script shows the similar idea (the page without it shows it on sending)
    expect(page.locator("#similar-live").get_by_role("button", name="Support this one instead")).to_be_visible()
    page.get_by_role("button", name="Send the idea").click()
    similar = page.get_by_role("region", name="Similar ideas and lessons already exist")
    expect(similar.get_by_text(EXISTING["idea"])).to_be_visible()
    check_a11y(page, "the idea form with similar ideas")
    similar.get_by_role("button", name="Support this one instead").click()
    expect(page.get_by_role("heading", level=1, name="Thank you for your support")).to_be_visible()
    check_a11y(page, "the thank-you page")

    # the council triages
    page.goto(live("/login"))
    page.get_by_label("E-mail address").fill("rad@example.se")
    page.get_by_label("Password").fill(builders.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Ideas", exact=True).click()
    column = page.get_by_role("region", name=re.compile("^New"))
    expect(column.get_by_text("1 supporter")).to_be_visible()
    check_a11y(page, "the council's board")
    column.get_by_role("link", name=re.compile("Shared printers")).click()
    page.get_by_role("button", name="Take under review").click()
    expect(page.get_by_role("status")).to_contain_text("The decision was recorded")
    lesson = page.get_by_role("region", name="Accept as a lesson in a rollout")
    lesson.get_by_label("Key of the rollout the lesson belongs to").fill("print-2027")
    lesson.get_by_label("Title of the lesson").fill("One print queue for the building")
    check_a11y(page, "an idea under review")
    lesson.get_by_role("button", name="Accept as a lesson").click()
    page.get_by_role("button", name="Yes, record the decision").click()
    expect(page.get_by_role("link", name="One print queue for the building")).to_be_visible()

    # the proposer and the supporter are told, each once per decision
    subjects = sorted(message["Subject"] for message in live_mailbox.to("olle@example.se"))
    assert subjects == ["Your idea is under review by the council", "Your idea was accepted"]
    [accepted] = [m for m in live_mailbox.to("olle@example.se") if m["Subject"] == "Your idea was accepted"]
    assert "One print queue for the building" in live_mailbox.text(accepted)
    assert len(live_mailbox.to("siv@example.se")) == 2


def test_the_idea_form_works_without_javascript(page_without_js: Page, live_server, world):
    page = page_without_js
    page.goto(live_server("/language/en"))
    page.goto(live_server("/ideas/new"))
    page.get_by_role("button", name="Send the idea").click()
    expect(page.get_by_role("alert")).to_contain_text("Describe the problem.")
    fill_idea(page)
    page.get_by_role("button", name="Send the idea").click()
    expect(page.get_by_role("button", name="Support this one instead")).to_be_visible()
    page.get_by_role("button", name="Send mine anyway").click()
    expect(page.get_by_role("heading", level=1, name="Thank you for your idea")).to_be_visible()
