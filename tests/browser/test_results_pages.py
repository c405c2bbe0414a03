"""The review team's pages in a real browser: results, charts with their text
alternatives and tables, the gate and the decision -- axe-core on each, in
Swedish and English, and the decision made with the keyboard."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rollout.services import demo

from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def log_in(page, live, language="en"):
    page.goto(live(f"/language/{language}"))
    page.goto(live("/login"))
    page.get_by_label("E-post" if language == "sv" else "E-mail address").fill("lead@example.se")
    page.get_by_label("Lösenord" if language == "sv" else "Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in" if language == "sv" else "Log in").click()


@pytest.mark.parametrize("language", ["en", "sv"])
def test_results_pages_are_accessible(page, demo_server, check_a11y, language):
    log_in(page, demo_server, language)
    for path in ("/rollouts/win11-2027", "/rollouts/win11-2027/results", "/rollouts/win11-2027/waves/0/results",
                 "/rollouts/win11-2027/gate", "/rollouts/win11-2027/questionnaire/",
                 "/rollouts/win11-2027/problems/"):
        page.goto(demo_server(path))
        expect(page.locator("html")).to_have_attribute("lang", language)
        check_a11y(page, f"{path} ({language})")
    page.goto(demo_server("/rollouts/win11-2027/results"))
    image = page.locator("#chart-satisfaction img")
    assert "75 %" in image.get_attribute("alt")
    image.scroll_into_view_if_needed()
    # it loads (a function, not a string: the Content-Security-Policy forbids evaluating strings)
    page.wait_for_function("() => document.querySelector('#chart-satisfaction img').naturalWidth > 0")


def test_the_lead_decides_with_the_keyboard_beside_the_verdict(page, demo_server, check_a11y):
    log_in(page, demo_server)
    page.goto(demo_server("/rollouts/win11-2027/waves/0"))
    page.get_by_role("button", name="Close feedback").click()
    page.get_by_role("button", name="Yes, close feedback").click()
    expect(page.get_by_text("The gate says:")).to_be_visible()
    check_a11y(page, "wave in review")
    page.get_by_label("Go: the next wave may start").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Record the decision").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("say why you decide otherwise")
    page.get_by_label("Go: the next wave may start").check()
    page.get_by_label("Rationale").fill("The IT unit is the pilot; we know the two problems and have fixed them.")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_role("button", name="Yes, decide go").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The decision was recorded.")).to_be_visible()
    page.goto(demo_server("/rollouts/win11-2027/waves/0/results"))
    expect(page.get_by_text("decided against the verdict")).to_be_visible()
    check_a11y(page, "wave results after the decision")
