"""The background jobs in a real browser: the list and a job's page -- axe-core in Swedish and
English at 320 CSS pixels -- a running import's page following its progress in place, and a queued
import cancelled with the keyboard, without JavaScript, through its confirmation."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import Job, User
from rollout.services import imports, jobs

from ..test_jobs import csv_of
from .conftest import needs_chromium, overflow

pytestmark = [pytest.mark.browser, needs_chromium]

BAD = b"external_id,name,email\nj1,Anna,not-an-address\nj1,Anna Andersson,anna@example.se\n"


@pytest.fixture
def job_ids(live_server, lead_user):
    """The lead's jobs: one done, one failed with its errors, one cancelled, one queued."""
    with live_server.app.test_request_context():
        lead = db.session.scalar(select(User).where(User.email == lead_user["email"]))
        done = imports.start_import(csv_of(3), lead, at_once=True)
        failed = imports.start_import(BAD, lead, at_once=True)
        cancelled = jobs.cancel(imports.start_import(csv_of(20), lead, at_once=False), lead)
        queued = imports.start_import(csv_of(30, start=100), lead, at_once=False)
        return {"done": done.id, "failed": failed.id, "cancelled": cancelled.id, "queued": queued.id}


def log_in(page, live, user: dict, language: str) -> None:
    page.goto(live(f"/language/{language}"))
    page.goto(live("/login"))
    page.get_by_label("E-post" if language == "sv" else "E-mail address").fill(user["email"])
    page.get_by_label("Lösenord" if language == "sv" else "Password").fill(user["password"])
    page.get_by_role("button", name="Logga in" if language == "sv" else "Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_jobs_pages_are_accessible_and_reflow(browser, live_server, lead_user, job_ids, check_a11y, language):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        log_in(page, live_server, lead_user, language)
        # a job still to run updates itself in place (static/job.js, no page reload): checked as it is
        paths = ["/jobs/", *(f"/jobs/{job_id}" for job_id in job_ids.values())]
        for path in paths:
            page.goto(live_server(path))
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert overflow(page) <= 0, f"{path} is {overflow(page)}px wider than a 320px screen"
            check_a11y(page, f"{path} ({language})")
        page.goto(live_server("/jobs/"))
        table = page.get_by_role("table")
        expect(table.get_by_role("row")).to_have_count(5)  # the header and four jobs
        page.goto(live_server(f"/jobs/{job_ids['queued']}?updates=off"))
        page.get_by_role("button", name="Avbryt jobbet…" if language == "sv" else "Cancel the job…").click()
        yes = "Ja, avbryt jobbet" if language == "sv" else "Yes, cancel the job"
        expect(page.get_by_role("button", name=yes)).to_be_visible()  # the confirmation has loaded
        assert overflow(page) <= 0, "the confirmation is wider than a 320px screen"
        check_a11y(page, f"the confirmation to cancel a job ({language})")
    finally:
        context.close()


def test_a_queued_import_is_cancelled_with_the_keyboard_without_javascript(page_without_js, live_server, lead_user,
                                                                           job_ids):
    page = page_without_js
    log_in(page, live_server, lead_user, "en")
    page.goto(live_server("/people/import"))
    page.get_by_role("link", name="Earlier imports and other background jobs").click()
    expect(page).to_have_url(live_server("/jobs/"))
    page.get_by_role("link", name=f"Import of people {job_ids['queued']}").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Waiting to start…")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)  # nothing takes the focus away
    expect(page.get_by_text("You may leave this page: the work goes on.")).to_be_visible()
    page.get_by_role("button", name="Cancel the job…").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel job {job_ids['queued']}: Import of people?")
    expect(page.get_by_text("it is cancelled at once and nothing of it is done")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel the job").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server(f"/jobs/{job_ids['queued']}"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Cancelled")
    expect(page.get_by_text("nothing was imported")).to_be_visible()
    with live_server.app.app_context():
        assert db.session.get(Job, job_ids["queued"]).state == "cancelled"
        db.session.remove()


def test_a_running_jobs_page_follows_its_progress_in_place_then_shows_the_outcome(page, live_server, lead_user,
                                                                                 job_ids):
    """With JavaScript the page asks for itself every few seconds and updates the progress where it
    is, keeping the focus; once the job is done, it shows the outcome. No meta refresh."""
    log_in(page, live_server, lead_user, "en")
    page.goto(live_server(f"/jobs/{job_ids['queued']}"))
    expect(page.get_by_text("This page updates itself every 3 seconds")).to_be_visible()
    expect(page.get_by_text("You may leave this page: the work goes on.")).to_be_hidden()
    page.get_by_role("button", name="Cancel the job…").focus()
    with live_server.app.app_context():
        job = db.session.get(Job, job_ids["queued"])
        job.progress_done = 12
        db.session.commit()
    expect(page.locator("#job-progress")).to_have_attribute("value", "12", timeout=10_000)
    expect(page.get_by_text("12 of 30 saved.")).to_be_visible()
    assert page.evaluate("document.activeElement.textContent") == "Cancel the job…", "the focus stayed"
    with live_server.app.app_context():
        jobs.run_pending()
    expect(page.get_by_role("heading", level=2)).to_have_text("Done", timeout=10_000)
    expect(page.get_by_text("Imported: 30 new and 0 updated people.")).to_be_visible()
