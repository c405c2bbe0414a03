"""Wins in a real browser: a pilot participant celebrates something and ticks "may we share
this?", the lead shares it as a win from the pilot's results, and a participant of wave 1 finds
it on their questionnaire under "What went well before you". axe-core checks the pages on the way;
everything is done with plain forms (no JavaScript needed)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rollout.services import rollouts, waves

from .. import builders
from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

KEY = "chat-2027"
CELEBRATION = "The whole unit had the new chat working before lunch"


@pytest.fixture
def pilot_collecting(live_server, lead_user):
    """A rollout whose pilot (5 people) collects feedback, and a planned wave 1 (4 people);
    returns a pilot member's token."""
    with live_server.app.test_request_context():
        from rollout.extensions import db
        from rollout.models import User
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        builders.make_people(5, unit="Pilot", prefix="pil")
        builders.make_people(4, unit="Rest", prefix="r")
        rollout = rollouts.create_rollout({"key": KEY, "name": "Ny chatt"}, lead)
        pilot = builders.make_wave(rollout, lead, name="Pilot", units=["Pilot"])
        builders.make_wave(rollout, lead, name="Wave 1", units=["Rest"])
        waves.transition(pilot, "active", lead)
        waves.transition(pilot, "feedback", lead)
        return builders.wave_tokens(pilot)["pil1"]


def test_a_shared_celebration_of_the_pilot_appears_on_the_next_waves_questionnaire(
        page: Page, live_server, lead_user, pilot_collecting, check_a11y):
    live = live_server
    page.goto(live("/language/en"))

    # -- the pilot participant celebrates, and says it may be shared
    page.goto(live(f"/f/{pilot_collecting}"))
    page.get_by_role("group", name=re.compile("^How satisfied")).get_by_role("radio", name="5", exact=True).check()
    page.get_by_role("group", name=re.compile("^Could you work as usual")).get_by_role("radio", name="Yes").check()
    page.get_by_label(re.compile("celebrate")).fill(CELEBRATION)
    consent = page.locator("#share-celebrate")
    expect(consent).not_to_be_checked()
    check_a11y(page, "the questionnaire with 'may we share this?'")
    consent.check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1, name="Thank you for your feedback")).to_be_visible()

    # -- the lead shares it as a win from the pilot's results
    page.goto(live("/login"))
    page.get_by_label("E-mail address").fill(lead_user["email"])
    page.get_by_label("Password").fill(lead_user["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(live(f"/rollouts/{KEY}/waves/0/results"))
    expect(page.get_by_role("heading", name="Wins of this wave")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Share as a win\W*The whole unit")).click()
    expect(page.get_by_role("status").filter(has_text="Shared as a win")).to_be_visible()
    page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Wins").click()
    expect(page.get_by_role("heading", level=1, name="Wins")).to_be_visible()
    expect(page.locator("ul.wins blockquote").get_by_text(CELEBRATION, exact=True)).to_be_visible()
    check_a11y(page, "the wins page")

    # -- the pilot goes well; wave 1 collects feedback
    with live.app.test_request_context():
        from rollout.extensions import db
        from rollout.models import User, Wave
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        pilot = db.session.query(Wave).filter_by(number=0).one()
        wave1 = db.session.query(Wave).filter_by(number=1).one()
        waves.transition(pilot, "review", lead)
        waves.decide(pilot, "go", "The pilot went well", lead)
        waves.transition(wave1, "active", lead)
        waves.transition(wave1, "feedback", lead)
        token = builders.wave_tokens(wave1)["r1"]

    # -- wave 1's participant sees it on their questionnaire
    participant = page.context.browser.new_context(locale="en-GB")
    their_page = participant.new_page()
    their_page.goto(live("/language/en"))
    their_page.goto(live(f"/f/{token}"))
    before = their_page.get_by_role("region", name="What went well before you")
    expect(before.get_by_text(CELEBRATION)).to_be_visible()
    expect(before).to_contain_text("the pilot")
    check_a11y(their_page, "the wave 1 questionnaire with the pilot's win")
    participant.close()
