"""The public pages in a real browser: the privacy notice and the accessibility
statement in both languages, checked with axe-core, reflowing at 320 CSS pixels
(WCAG 1.4.10) and readable without JavaScript."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import needs_chromium, overflow

pytestmark = [pytest.mark.browser, needs_chromium]

PAGES = [("/privacy", "sv", "Så behandlar vi dina personuppgifter"),
         ("/privacy?lang=en", "en", "How we handle your personal data"),
         ("/accessibility", "sv", "Tillgänglighetsredogörelse för Rollout"),
         ("/accessibility?lang=en", "en", "Accessibility statement for Rollout")]


@pytest.mark.parametrize("path,language,heading", PAGES)
def test_the_public_page_is_accessible_and_reflows(browser, live_server, check_a11y, path, language, heading):
    context = browser.new_context(locale="sv-SE", viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto(live_server(path))
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page.evaluate("() => document.documentElement.lang") == language
        for landmark in ("banner", "main", "contentinfo"):
            expect(page.get_by_role(landmark)).to_have_count(1)
        assert overflow(page) <= 0, f"{path} is {overflow(page)}px wider than a 320px screen"
        check_a11y(page, f"the public page {path}")
    finally:
        context.close()


def test_the_footer_leads_to_both_pages_without_javascript(page_without_js, live_server):
    page = page_without_js
    page.goto(live_server("/login"))
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Accessibility").or_(footer.get_by_role("link", name="Tillgänglighet")).click()
    expect(page.get_by_role("link", name="Anmäl bristande tillgänglighet")).to_be_visible()
    page.go_back()
    page.get_by_role("contentinfo").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Så behandlar vi dina personuppgifter")
