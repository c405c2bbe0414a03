"""Check-ins in a real browser: a lead adds two check-ins on the wave page, the tick e-mails
them (a real SMTP server on loopback), two participants answer through the links in their
e-mails -- one with the keyboard only -- and the trend shows on the wave page. Every page on the
way is checked with axe-core."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from rollout.models.types import utcnow
from rollout.services import reconcile, waves

from .. import builders
from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def active_wave(live_server, live_mailbox):
    with live_server.app.test_request_context():
        lead = builders.make_user("lead@example.se", "Lena Lead")
        builders.make_people(2)
        rollout = builders.make_rollout(lead=lead)
        wave = builders.make_wave(rollout, lead, people=["p1", "p2"])
        waves.transition(wave, "active", None)
        return wave.id


def tick(live_server, days: int) -> None:
    with live_server.app.test_request_context():
        reconcile.tick(utcnow() + timedelta(days=days, minutes=1))


def latest_link(box, address: str) -> str:
    links = box.links(address)
    assert links, f"{address} got no e-mail"
    return links[-1]


def add_checkin(page: Page, day: str) -> None:
    section = page.locator("section.checkins")
    adding = section.locator("details.add-checkin")
    if adding.get_attribute("open") is None:
        adding.locator("summary").click()
    expect(section.get_by_label("Question 1 in English")).to_have_value("How is it going?")
    section.get_by_role("textbox", name=re.compile(r"^Day \(required\)")).fill(day)
    section.get_by_role("button", name="Add the check-in").click()
    expect(page.get_by_text(f"The check-in on day {day} is planned.")).to_be_visible()


def answer(browser, link: str, rating: str, text: str, check_a11y, *, keyboard: bool = False) -> None:
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    try:
        page.goto(link)
        box = page.get_by_role("region", name="En kort avstämning")
        expect(box).to_be_visible()
        check_a11y(page, "the participant's page with an open check-in")
        going = box.get_by_role("group", name=re.compile("^Hur går det"))
        if keyboard:
            # nothing chosen: the required rating says so, next to it and in the summary
            box.get_by_role("button", name="Skicka avstämningen").click()
            expect(page.get_by_role("alert").filter(has_text="Det finns ett problem")).to_be_visible()
            check_a11y(page, "the check-in with an error")
            box = page.get_by_role("region", name="En kort avstämning")
            going = box.get_by_role("group", name=re.compile("^Hur går det"))
            going.get_by_role("radio", name="1", exact=True).focus()
            page.keyboard.press("Space")
            for _ in range(int(rating) - 1):
                page.keyboard.press("ArrowRight")
            page.keyboard.press("Tab")
            page.keyboard.type(text)
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")
        else:
            going.get_by_text(rating, exact=True).click()
            box.get_by_label("Vad står i vägen?").fill(text)
            box.get_by_role("button", name="Skicka avstämningen").click()
        expect(page.get_by_role("heading", level=1, name="Tack för att du svarade på avstämningen")).to_be_visible()
        check_a11y(page, "the check-in's thank-you page")
    finally:
        context.close()


def test_a_lead_adds_check_ins_the_tick_sends_them_participants_answer_and_the_trend_shows(
        page: Page, browser, live_server, live_mailbox, active_wave, check_a11y):
    page.goto(live_server("/language/en"))
    page.goto(live_server("/login"))
    page.get_by_label("E-mail address").fill("lead@example.se")
    page.get_by_label("Password").fill(builders.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server("/rollouts/win11-2027/waves/0"))
    expect(page.get_by_role("heading", name="Check-ins")).to_be_visible()
    check_a11y(page, "the wave page with the check-in form")
    add_checkin(page, "1")
    add_checkin(page, "3")
    rows = page.locator("table.checkins-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("not sent yet")
    check_a11y(page, "the wave page with two planned check-ins")

    tick(live_server, 1)
    assert len(live_mailbox.to("p1@example.se")) == 1 and len(live_mailbox.to("p2@example.se")) == 1
    answer(browser, latest_link(live_mailbox, "p1@example.se"), "5", "Inget", check_a11y, keyboard=True)
    answer(browser, latest_link(live_mailbox, "p2@example.se"), "4", "Skrivaren", check_a11y)

    tick(live_server, 3)
    tick(live_server, 3)  # a second tick sends nothing again
    assert len(live_mailbox.to("p1@example.se")) == 2 and len(live_mailbox.to("p2@example.se")) == 2
    answer(browser, latest_link(live_mailbox, "p1@example.se"), "2", "Skrivaren igen", check_a11y)
    answer(browser, latest_link(live_mailbox, "p2@example.se"), "3", "Långsamt", check_a11y)

    page.reload()
    rows = page.locator("table.checkins-table tbody tr")
    expect(rows.nth(0)).to_contain_text("mean 4.50")
    expect(rows.nth(1)).to_contain_text("mean 2.50")
    expect(rows.nth(1)).to_contain_text("Skrivaren igen")
    figure = page.locator("figure#chart-checkins-0")
    expect(figure.locator("img")).to_have_attribute("alt", re.compile("Day 1: mean 4.50"))
    figure.scroll_into_view_if_needed()  # the image loads lazily
    page.wait_for_function("() => document.querySelector('figure#chart-checkins-0 img').naturalWidth > 0")
    check_a11y(page, "the wave page with the check-ins' trend")


def test_a_participant_answers_and_changes_a_check_in_without_javascript_above_the_questionnaire(
        page_without_js: Page, live_server, live_mailbox, active_wave):
    # (no axe here: it runs as a script, and scripts do not run on this page; the other test checks these pages)
    page = page_without_js
    with live_server.app.test_request_context():
        from rollout.extensions import db
        from rollout.models import Wave
        from rollout.services import checkins
        wave = db.session.get(Wave, active_wave)
        checkins.add_checkin(wave, {"day": 0}, None)
        waves.transition(wave, "feedback", None)
    tick(live_server, 0)
    link = latest_link(live_mailbox, "p1@example.se")
    page.goto(link)
    box = page.get_by_role("region", name="En kort avstämning")
    expect(box).to_be_visible()
    # the check-in stands above the wave's questionnaire
    html = page.content()  # (no page.evaluate: scripts do not run here)
    assert html.index('class="checkin"') < html.index('name="q_satisfaction"')
    box.get_by_role("button", name="Skicka avstämningen").click()  # the required rating is missing
    expect(page.get_by_role("alert").filter(has_text="Det finns ett problem")).to_be_visible()
    page.get_by_role("group", name=re.compile("^Hur går det")).get_by_text("3", exact=True).click()
    page.get_by_role("button", name="Skicka avstämningen").click()
    expect(page.get_by_role("heading", level=1, name="Tack för att du svarade på avstämningen")).to_be_visible()
    page.get_by_role("link", name="Tillbaka till din sida").click()
    box = page.get_by_role("region", name="En kort avstämning")
    expect(box.get_by_role("radio", name="3", exact=True)).to_be_checked()
    box.get_by_role("radio", name="4", exact=True).check()
    box.get_by_role("button", name="Skicka den ändrade avstämningen").click()
    expect(page.get_by_role("heading", level=1, name="Tack för att du svarade på avstämningen")).to_be_visible()
    with live_server.app.test_request_context():
        from rollout.services import feedback
        assert checkins.open_checkin(feedback.visit(link.rsplit("/", 1)[1])).answers == {"going": 4}
