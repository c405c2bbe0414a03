"""What the first pilot found, as a lead and a participant see it in a real browser: an open
blocker is a banner that says what it blocks, a refused decision keeps the choice and the text
with the reason next to the field, and "You said, we did" and what anonymity means come before
the questions; each page passes axe-core at 320 CSS pixels in English and Swedish."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rollout.extensions import db
from rollout.models import Rollout, Wave
from rollout.services import demo, feedback, waves

from .conftest import needs_chromium, overflow
from .test_confirmations import WAVE0, log_in

pytestmark = [pytest.mark.browser, needs_chromium]


def _pilot(live) -> Wave:
    return db.session.query(Wave).join(Rollout).filter(Rollout.key == "win11-2027", Wave.number == 0).one()


@pytest.mark.parametrize("language", ["en", "sv"])
def test_an_open_blocker_is_a_banner_at_the_top_of_the_wave_page(page, demo_server, check_a11y, language):
    with demo_server.app.test_request_context():
        token = demo.feedback_links(1)[0][1].rsplit("/", 1)[1]
        feedback.report_problem(token, {"category": "login", "severity": "blocker",
                                        "description": "Jag kommer inte in i verksamhetssystemet"})
    page.set_viewport_size({"width": 320, "height": 800})
    log_in(page, demo_server, language)
    page.goto(demo_server(WAVE0))
    banner = page.get_by_role("alert").filter(has_text="1")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("no go" if language == "en" else "stopp")
    heading = page.get_by_role("heading", level=1)
    assert banner.bounding_box()["y"] < page.get_by_role("heading", name="Feedback" if language == "en"
                                                         else "Återkoppling").bounding_box()["y"]
    assert heading.bounding_box()["y"] < banner.bounding_box()["y"]
    assert overflow(page) == 0
    check_a11y(page, f"the wave page with a blocker ({language})")


def test_a_refused_decision_keeps_the_choice_and_says_why_next_to_the_field(page, demo_server, check_a11y):
    with demo_server.app.test_request_context():
        pilot = _pilot(demo_server)
        waves.transition(pilot, "review", None)
    log_in(page, demo_server, "en")
    page.goto(demo_server(WAVE0))
    page.get_by_label("Go: the next wave may start").check()
    page.get_by_role("button", name="Record the decision").click()
    rationale = page.get_by_label("Rationale")
    expect(page.get_by_label("Go: the next wave may start")).to_be_checked()
    expect(rationale).to_have_attribute("aria-invalid", "true")
    error = page.locator("#rationale-error")
    expect(error).to_contain_text("say why you decide otherwise")
    assert "rationale-error" in rationale.get_attribute("aria-describedby")
    page.get_by_role("link", name="Rationale").first.click()  # the summary leads to the field
    expect(rationale).to_be_focused()
    rationale.fill("The pilot is the IT unit; we trust it.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", name="Decide go for wave 0: IT-enheten och nära kollegor?")).to_be_visible()
    check_a11y(page, "the decision's confirmation")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_participant_reads_what_anonymity_means_before_the_questions(page, live_server, check_a11y,
                                                                        language):
    from .. import builders
    with live_server.app.test_request_context():
        lead = builders.make_user("lead@example.se", "Lena Lead")
        builders.make_people(5, prefix="anon")
        rollout = builders.make_rollout("anon-2027", lead=lead, anonymous=True)
        wave = builders.make_wave(rollout, lead, percentage=100)
        waves.transition(wave, "active", lead)
        waves.transition(wave, "feedback", lead)
        token = builders.wave_tokens(wave)["anon1"]
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_server(f"/language/{language}"))
    page.goto(live_server(f"/f/{token}"))
    notice = page.get_by_role("region", name="Your answers are anonymous" if language == "en"
                              else "Dina svar är anonyma")
    expect(notice).to_be_visible()
    first_question = page.locator("form.questionnaire fieldset, form.questionnaire .field").first
    assert notice.bounding_box()["y"] < first_question.bounding_box()["y"]
    assert overflow(page) == 0
    check_a11y(page, f"the anonymous questionnaire ({language})")
