"""Actions that cannot be undone ask first, in a real browser: the confirmation page reached and
answered with the keyboard alone and without JavaScript (the same fields, a multi-line rationale
too, go through), and the page checked with axe-core in Swedish and English at 320 CSS pixels."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import Decision, Rollout, Wave
from rollout.services import demo

from .conftest import needs_chromium, overflow

pytestmark = [pytest.mark.browser, needs_chromium]

WAVE0 = "/rollouts/win11-2027/waves/0"


def log_in(page, live, language: str = "en") -> None:
    page.goto(live(f"/language/{language}"))
    page.goto(live("/login"))
    page.get_by_label("E-post" if language == "sv" else "E-mail address").fill("lead@example.se")
    page.get_by_label("Lösenord" if language == "sv" else "Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in" if language == "sv" else "Log in").click()


def tab_to(page, target, most: int = 40) -> None:
    """Press Tab from the top of the page until `target` has the focus: it is in the tab order."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} is not reached with the Tab key")


def state_of_pilot(live) -> str:
    with live.app.app_context():
        return db.session.scalar(select(Wave.state).join(Rollout).where(Rollout.key == "win11-2027",
                                                                        Wave.number == 0))


def test_closing_feedback_and_deciding_are_confirmed_with_the_keyboard_without_javascript(page_without_js,
                                                                                          demo_server):
    page = page_without_js
    log_in(page, demo_server)
    page.goto(demo_server(WAVE0))
    tab_to(page, page.get_by_role("button", name="Close feedback"))
    page.keyboard.press("Enter")

    # the confirmation page: nothing has happened yet; it says what will, and that it cannot be undone
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Close feedback for wave 0: .*\?$"))).to_be_visible()
    expect(page.get_by_text("Members can no longer answer")).to_be_visible()
    expect(page.get_by_text(re.compile("^This cannot be undone"))).to_be_visible()
    assert state_of_pilot(demo_server) == "feedback"
    yes = page.get_by_role("button", name="Yes, close feedback")
    tab_to(page, yes)
    page.keyboard.press("Tab")  # the way back comes right after the button
    expect(page.get_by_role("link", name="No, go back")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(yes).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Wave 0 is now: in review.")).to_be_visible()
    assert state_of_pilot(demo_server) == "review"

    # a decision: the form's fields, a rationale of two lines among them, reach the second step intact
    go = page.get_by_label("Go: the next wave may start")
    tab_to(page, go)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Rationale"))
    page.keyboard.type("The pilot is the IT unit.")
    page.keyboard.press("Enter")
    page.keyboard.type("We know the printer problem and have fixed it.")
    tab_to(page, page.get_by_role("button", name="Record the decision"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Decide go for wave 0"))).to_be_visible()
    expect(page.get_by_text("We know the printer problem")).to_be_visible()
    with demo_server.app.app_context():
        assert db.session.scalar(select(Decision.id).join(Wave).join(Rollout).where(
            Rollout.key == "win11-2027")) is None
    tab_to(page, page.get_by_role("button", name="Yes, decide go"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("The decision was recorded.")).to_be_visible()
    with demo_server.app.app_context():
        decision = db.session.scalar(select(Decision).join(Wave).join(Rollout).where(Rollout.key == "win11-2027"))
        assert decision.decision == "go"
        assert re.fullmatch(r"The pilot is the IT unit\.\r?\nWe know the printer problem and have fixed it\.",
                            decision.rationale)
    assert state_of_pilot(demo_server) == "done"


def test_no_go_back_leaves_the_wave_as_it_was(page_without_js, demo_server):
    page = page_without_js
    log_in(page, demo_server)
    page.goto(demo_server(WAVE0))
    page.get_by_role("button", name="Cancel the wave").click()
    page.get_by_role("link", name="No, go back").click()
    expect(page).to_have_url(demo_server(WAVE0 + "#moves-title"))
    expect(page.get_by_role("button", name="Cancel the wave")).to_be_visible()
    assert state_of_pilot(demo_server) == "feedback"


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_confirmation_page_is_accessible_and_reflows_at_320_pixels(browser, demo_server, check_a11y, language):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        log_in(page, demo_server, language)
        page.goto(demo_server(WAVE0))
        page.get_by_role("button", name="Avbryt vågen" if language == "sv" else "Cancel the wave").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert overflow(page) <= 0, f"the confirmation page is {overflow(page)}px wider than a 320px screen"
        check_a11y(page, f"the confirmation to cancel a wave ({language})")
        # the language switch goes back to the wave (the confirmation's address takes POST only)
        page.get_by_role("link", name="English" if language == "sv" else "Svenska").click()
        expect(page).to_have_url(demo_server(WAVE0 + "#moves-title"))
        assert state_of_pilot(demo_server) == "feedback"
    finally:
        context.close()
