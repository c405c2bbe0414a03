"""The staff's pages about personal data in a real browser: organisation roles, the retention
settings, a rollout's retention plan, a person's export and erasure -- axe-core on each in
Swedish and English at 320 CSS pixels, and the erasure confirmed with the keyboard and without
JavaScript."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import Person, User
from rollout.services import demo

from .conftest import needs_chromium, overflow

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def demo_server(live_server):
    with live_server.app.test_request_context():
        demo.load_demo()
        ids = {"lead": db.session.scalar(select(User.id).where(User.email == "lead@example.se")),
               "person": db.session.scalar(select(Person.id).where(Person.external_id == "e1030"))}
    live_server.ids = ids
    return live_server


def log_in(page, live, email: str, language: str = "en") -> None:
    page.goto(live(f"/language/{language}"))
    page.goto(live("/login"))
    page.get_by_label("E-post" if language == "sv" else "E-mail address").fill(email)
    page.get_by_label("Lösenord" if language == "sv" else "Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in" if language == "sv" else "Log in").click()


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_personal_data_pages_are_accessible_and_reflow(browser, demo_server, check_a11y, language):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        log_in(page, demo_server, "admin@example.se", language)
        ids = demo_server.ids
        for path in ("/admin/settings", f"/admin/users/{ids['lead']}", "/admin/users", "/rollouts/win11-2027",
                     "/rollouts/win11-2027/edit", f"/people/{ids['person']}/edit", f"/people/{ids['person']}/erase",
                     "/people/import", "/admin/outbox"):
            page.goto(demo_server(path))
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert overflow(page) <= 0, f"{path} is {overflow(page)}px wider than a 320px screen"
            check_a11y(page, f"{path} ({language})")
    finally:
        context.close()


def test_an_admin_grants_a_role_and_sets_retention_with_the_keyboard(page, demo_server):
    log_in(page, demo_server, "admin@example.se")
    page.goto(demo_server(f"/admin/users/{demo_server.ids['lead']}"))
    page.get_by_label("People manager").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save the roles").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").or_(page.locator(".flash-success"))).to_contain_text("were saved")
    expect(page.get_by_label("People manager")).to_be_checked()
    page.goto(demo_server("/admin/settings"))
    page.get_by_label("Keep free texts and problem descriptions (days)").fill("9999")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()  # the error summary, with the field's own message
    field = page.get_by_label("Keep free texts and problem descriptions (days)")
    expect(field).to_have_attribute("aria-invalid", "true")


def test_a_people_manager_erases_a_person_after_typing_the_id_without_javascript(page_without_js, demo_server):
    page = page_without_js
    log_in(page, demo_server, "people@example.se")
    page.goto(demo_server(f"/people/{demo_server.ids['person']}/edit"))
    page.get_by_role("link", name="Erase this person…").click()
    expect(page.get_by_text("Erasure cannot be undone.")).to_be_visible()
    page.get_by_label("Type the person's external id to confirm").fill("e9999")
    page.get_by_role("button", name="Erase").click()
    expect(page.get_by_role("alert")).to_be_visible()  # the wrong id: nothing erased
    page.get_by_label("Type the person's external id to confirm").fill("e1030")
    page.get_by_role("button", name="Erase").click()
    expect(page.get_by_text("was erased")).to_be_visible()
    with demo_server.app.app_context():
        assert db.session.scalar(select(Person.id).where(Person.external_id == "e1030")) is None
