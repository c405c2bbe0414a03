"""The retrospective board with JavaScript: a card dragged onto a theme goes into it (the same
form the checkboxes send without JavaScript), and back among the cards in no theme."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rollout.extensions import db
from rollout.models import RetroCard, User
from rollout.services import retro

from .. import builders
from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def test_a_card_dragged_onto_a_theme_goes_into_it(page: Page, live_server, lead_user, check_a11y):
    with live_server.app.test_request_context():
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        rollout, pilot, _wave1 = builders.pilot_in_review(lead)
        card = retro.add_card(pilot, {"kind": "better", "text": "The printer queue was lost"}, lead)
        theme = retro.create_theme(pilot, {"title": "Printing"}, lead)
        card_id, theme_id = card.id, theme.id
    page.goto(live_server("/language/en"))
    page.goto(live_server("/login"))
    page.get_by_label("E-mail address").fill(lead_user["email"])
    page.get_by_label("Password").fill(lead_user["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server("/rollouts/win11-2027/waves/0/retro"))
    expect(page.get_by_text("Or drag a card onto a theme.")).to_be_visible()
    page.locator(f"#card-{card_id}").drag_to(page.locator(f"#theme-{theme_id}"))
    expect(page.get_by_role("status").filter(has_text="moved into the theme")).to_be_visible()
    expect(page.locator(f"#theme-{theme_id} #card-{card_id}")).to_be_visible()
    check_a11y(page, "the board after a drag")
    page.locator(f"#card-{card_id}").drag_to(page.locator("#loose-cards"))
    expect(page.get_by_role("status").filter(has_text="in no theme now")).to_be_visible()
    expect(page.locator(f"#loose-cards #card-{card_id}")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(RetroCard, card_id).theme_id is None


def test_the_board_works_without_javascript_and_with_the_keyboard(page_without_js: Page, live_server, lead_user):
    page = page_without_js
    with live_server.app.test_request_context():
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        builders.pilot_in_review(lead)
    page.goto(live_server("/language/en"))
    page.goto(live_server("/login"))
    page.get_by_label("E-mail address").fill(lead_user["email"])
    page.get_by_label("Password").fill(lead_user["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server("/rollouts/win11-2027/waves/0/retro"))
    expect(page.get_by_text("Or drag a card onto a theme.")).to_have_count(0)  # no script, no promise of dragging
    add = page.get_by_role("region", name="Add a card")
    add.get_by_role("radio", name="Celebrate").check()
    add.get_by_label("Text on the card").fill("Cake for the service desk")
    add.get_by_label("Text on the card").press("Tab")
    page.keyboard.press("Enter")  # the focus is on "Add the card"
    expect(page.get_by_role("status").filter(has_text="card")).to_be_visible()
    page.get_by_label("Choose the card: Cake for the service desk").check()
    page.get_by_label("Move the chosen cards to").select_option("new")
    page.get_by_label("Title of the new theme").fill("Thanks")
    page.get_by_role("button", name="Move the chosen cards").click()
    expect(page.get_by_role("status").filter(has_text="was made")).to_be_visible()  # the new page is in
    page.get_by_role("button", name="Vote for: Cake for the service desk").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You have 4 of 5 votes left.")).to_be_visible()
    theme = page.locator("li.retro-theme", has=page.get_by_role("heading", name="Thanks"))
    expect(theme.get_by_role("heading", name="Thanks 1 vote")).to_be_visible()
    # (axe-core needs JavaScript: the same page is checked with it in the other tests)
