"""The whole loop in a real browser, as the team would live it: pilot feedback
-> the pilot's retrospective -> a lesson targeted at wave 1 -> wave 1 refuses
to start until the lesson is applied -> wave 1's participants see what was
done and answer -> the lesson is verified with the metric before and after.
Then the lesson library finds it by a word of its action.

axe-core checks every new page on the way; the retrospective and the library
are checked in Swedish too.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rollout.models import Wave
from rollout.services import rollouts, waves

from .. import builders
from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

KEY = "pc-2027"
ACTION = "Install the printer driver in the image before wave 1"


@pytest.fixture
def pilot_collecting(live_server, lead_user):
    """A rollout whose pilot (5 people) collects feedback, four of them have answered unhappily,
    and a planned wave 1 (12 people). Returns the fifth pilot member's token and wave 1's tokens."""
    with live_server.app.test_request_context():
        from rollout.extensions import db
        from rollout.models import User
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        builders.make_people(5, unit="Pilot", prefix="pil")
        builders.make_people(12, unit="Rest", prefix="r")
        rollout = rollouts.create_rollout({"key": KEY, "name": "Ny PC-plattform", "tags": "pc, printing"}, lead)
        pilot = builders.make_wave(rollout, lead, name="Pilot", units=["Pilot"])
        builders.make_wave(rollout, lead, name="Wave 1", units=["Rest"])
        waves.transition(pilot, "active", lead)
        waves.transition(pilot, "feedback", lead)
        tokens = builders.wave_tokens(pilot)
        last = sorted(tokens)[-1]
        builders.answer_wave(pilot, [2, 1, 2, 2], texts={"could_be_better": ["Nothing printed", "", "", ""]})
        return tokens[last]


def log_in(page: Page, live, email: str, password: str) -> None:
    page.goto(live("/login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def flash(page: Page):
    return page.get_by_role("status")


def test_a_lesson_from_the_pilot_is_applied_before_wave_1_and_verified_after_it(
        page: Page, live_server, lead_user, pilot_collecting, check_a11y):
    live = live_server
    page.goto(live("/language/en"))

    # -- the fifth pilot participant answers from their personal link
    page.goto(live(f"/f/{pilot_collecting}"))
    page.get_by_role("group", name=re.compile("^How satisfied")).get_by_role("radio", name="2", exact=True).check()
    page.get_by_role("group", name=re.compile("^Could you work as usual")).get_by_role("radio", name="No").check()
    page.get_by_label("What could have been better?").fill("The printer driver was missing on the new PC.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1, name="Thank you for your feedback")).to_be_visible()
    expect(page.get_by_role("heading", name="You said, we did")).to_have_count(0)  # nothing done yet

    # -- the lead closes the pilot's feedback and opens its retrospective
    log_in(page, live, lead_user["email"], lead_user["password"])
    page.goto(live(f"/rollouts/{KEY}/waves/0"))
    page.get_by_role("button", name="Close feedback").click()
    page.get_by_role("button", name="Yes, close feedback").click()
    page.get_by_role("link", name="Retrospective").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Retrospective of wave 0"))).to_be_visible()
    evidence = page.get_by_role("region", name="Free-text answers")
    expect(evidence.get_by_text("The printer driver was missing on the new PC.", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Problems reported")).to_be_visible()
    check_a11y(page, "the pilot's retrospective, as it opens")

    # a participant's answer becomes a card; the team adds one of its own
    page.get_by_role("button", name=re.compile(r"^Make a card .*printer driver was missing")).click()
    add = page.get_by_role("region", name="Add a card")
    add.get_by_role("radio", name="Could be better").check()
    add.get_by_label("Text on the card").fill("Printing failed on day one")
    page.get_by_role("button", name="Add the card").click()
    expect(flash(page).filter(has_text="card")).to_be_visible()
    board = page.get_by_role("region", name="Cards in no theme")
    expect(board.locator("p.card-text", has_text="Printing failed on day one")).to_be_visible()

    # group both into a theme, then dot-vote
    page.get_by_label(re.compile("^Choose the card: The printer driver")).check()
    page.get_by_label(re.compile("^Choose the card: Printing failed")).check()
    page.get_by_label("Move the chosen cards to").select_option("new")
    page.get_by_label("Title of the new theme").fill("Printing")
    page.get_by_role("button", name="Move the chosen cards").click()
    theme = page.locator("li.retro-theme", has=page.get_by_role("heading", name=re.compile("^Printing")))
    expect(theme.locator("p.card-text", has_text="Printing failed on day one")).to_be_visible()
    theme.get_by_role("button", name=re.compile("^Vote for: Printing failed")).click()
    theme = page.locator("li.retro-theme", has=page.get_by_role("heading", name=re.compile("^Printing")))
    expect(theme.get_by_role("heading", name=re.compile("1 vote"))).to_be_visible()
    expect(page.get_by_text("You have 4 of 5 votes left.")).to_be_visible()
    check_a11y(page, "the retrospective with a theme and votes")

    # -- the theme becomes a lesson for wave 1, owned by the lead, linked to satisfaction
    theme.get_by_role("link", name=re.compile("^Make a lesson of this theme")).click()
    expect(page.get_by_label("Title")).to_have_value("Printing")
    page.get_by_label("What to do").fill(ACTION)
    page.get_by_label("Owner").select_option(lead_user["email"])
    expect(page.get_by_label("Target wave")).to_have_value("1")
    page.get_by_label("Linked metric").select_option("satisfaction")
    page.get_by_label("Tags").fill("printing, drivers")
    check_a11y(page, "the new lesson form")
    page.get_by_role("button", name="Save the lesson").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Printing"))).to_be_visible()
    lesson_url = page.url

    # -- the pilot is decided go (against the gate's verdict: say why)
    page.goto(live(f"/rollouts/{KEY}/waves/0"))
    page.get_by_label("Go: the next wave may start").check()
    page.get_by_label("Rationale").fill("The pilot's problem is the printer driver; the lesson fixes it.")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_role("button", name="Yes, decide go").click()
    expect(page.get_by_text("The decision was recorded.")).to_be_visible()

    # -- wave 1 refuses to start while the lesson is open, and says why
    page.goto(live(f"/rollouts/{KEY}/waves/1"))
    page.get_by_role("button", name="Start the wave").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("still open or planned.*Printing"))
    with live.app.app_context():
        from rollout.extensions import db
        assert db.session.query(Wave).filter_by(number=1).one().state == "planned"

    # the owner plans and applies the lesson
    page.goto(lesson_url)
    page.get_by_role("radio", name="Planned").check()
    page.get_by_role("button", name="Save the status").click()
    expect(flash(page).filter(has_text="planned")).to_be_visible()
    page.goto(live(f"/rollouts/{KEY}/waves/1"))
    page.get_by_role("button", name="Start the wave").click()
    expect(page.get_by_role("alert")).to_contain_text("still open or planned")
    page.goto(lesson_url)
    page.get_by_role("radio", name="Applied").check()
    page.get_by_role("button", name="Save the status").click()
    expect(flash(page).filter(has_text="applied")).to_be_visible()
    check_a11y(page, "the lesson, applied")

    page.goto(live(f"/rollouts/{KEY}/waves/1"))
    page.get_by_role("button", name="Start the wave").click()
    expect(page.get_by_text(re.compile("still open or planned"))).to_have_count(0)
    page.get_by_role("button", name="Yes, start the wave").click()
    page.get_by_role("button", name="Open feedback").click()
    page.get_by_role("button", name="Yes, open feedback").click()

    # -- wave 1: a participant sees what was done since the pilot; the wave answers happily
    with live.app.test_request_context():
        from rollout.extensions import db
        wave1 = db.session.query(Wave).filter_by(number=1).one()
        assert wave1.state == "feedback"
        token = sorted(builders.wave_tokens(wave1).items())[-1][1]
        builders.answer_wave(wave1, [5, 4, 5, 5, 4, 5, 5, 4, 5, 5, 4])
    participant = page.context.browser.new_context(locale="en-GB")
    their_page = participant.new_page()
    their_page.goto(live("/language/en"))
    their_page.goto(live(f"/f/{token}"))
    done = their_page.get_by_role("region", name="You said, we did")
    expect(done.get_by_text("Printing")).to_be_visible()
    expect(done.get_by_text(ACTION)).to_be_visible()
    check_a11y(their_page, "the wave 1 questionnaire with 'you said, we did'")
    participant.close()

    # -- wave 1's review: the lesson shows its metric before and after, and is verified
    page.goto(live(f"/rollouts/{KEY}/waves/1"))
    page.get_by_role("button", name="Close feedback").click()
    page.get_by_role("button", name="Yes, close feedback").click()
    page.goto(lesson_url)
    verification = page.locator("section.verification")
    expect(verification).to_contain_text("0 %")  # nobody satisfied in the pilot
    expect(verification).to_contain_text("100 %")  # everybody in wave 1
    expect(verification.get_by_text(re.compile("Proposal: effective"))).to_be_visible()
    check_a11y(page, "the lesson's verification")
    verification.get_by_role("button", name="Confirm: verified effective").click()
    expect(page.get_by_text("Verified: effective").first).to_be_visible()

    # the wave 1 retrospective lists the carried lesson with its verification
    page.goto(live(f"/rollouts/{KEY}/waves/1/retro"))
    carried = page.get_by_role("region", name="Lessons carried into this wave")
    expect(carried.get_by_role("link", name="Printing")).to_be_visible()
    check_a11y(page, "the wave 1 retrospective")

    # the pilot's retrospective as Markdown has the theme, its votes and the lesson
    markdown = page.request.get(live(f"/rollouts/{KEY}/waves/0/retro.md"))
    assert markdown.ok and "Printing" in markdown.text() and ACTION.split(" before")[0] in markdown.text()

    # -- the library finds the lesson by a word of its action, in English and in Swedish
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Lesson library").click()
    page.get_by_label("Words").fill("driver")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Printing", exact=True)).to_be_visible()
    check_a11y(page, "the lesson library with a search")
    page.get_by_role("link", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    check_a11y(page, "the lesson library in Swedish")
    page.goto(live(f"/rollouts/{KEY}/waves/0/retro"))
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Retrospective of")
    check_a11y(page, "the pilot's retrospective in Swedish")
