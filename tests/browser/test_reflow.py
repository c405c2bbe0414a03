"""Reflow (WCAG 1.4.10): at 320 CSS pixels -- a phone, or 1280 px at 400 % zoom -- the review
team's pages scroll only up and down. Wide tables scroll in their own region; the page does not."""
from __future__ import annotations

import pytest

from rollout.extensions import db
from rollout.models import User
from rollout.services import demo, people, waves

from .. import builders
from .conftest import _keep_evidence, needs_chromium, overflow

pytestmark = [pytest.mark.browser, needs_chromium]

NARROW = {"width": 320, "height": 640}
LONG = "Maximiliana-Konstantinopolitanska Kommunikationsansvarigsdottir"


@pytest.fixture
def narrow_page(browser, live_server, request):
    context = browser.new_context(locale="sv-SE", viewport=NARROW)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    _keep_evidence(request, page)
    context.close()


def log_in(page, live, email: str, password: str, language: str) -> None:
    page.goto(live(f"/language/{language}"))
    page.goto(live("/login"))
    page.get_by_label("E-post" if language == "sv" else "E-mail address").fill(email)
    page.get_by_label("Lösenord" if language == "sv" else "Password").fill(password)
    page.get_by_role("button", name="Logga in" if language == "sv" else "Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def widest(page) -> list[str]:
    """The elements that reach past the window, to say what made the page too wide."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                     && !e.closest('.table-scroll') && !e.closest('.visually-hidden'))
        .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                               + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')""")


def assert_reflows(page, check_a11y, where: str) -> None:
    assert overflow(page) == 0, f"{where} is {overflow(page)} px wider than 320 px: {widest(page)}"
    check_a11y(page, f"{where} at 320 px")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_results_pages_reflow_at_320_px(narrow_page, live_server, check_a11y, language):
    with live_server.app.test_request_context():
        demo.load_demo()
    log_in(narrow_page, live_server, "lead@example.se", demo.DEMO_PASSWORD, language)
    for path in ("/rollouts/win11-2027/results", "/rollouts/win11-2027/waves/0/results"):
        narrow_page.goto(live_server(path))
        narrow_page.wait_for_load_state("load")  # the charts are in, at their scaled size
        assert_reflows(narrow_page, check_a11y, path)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_wave_of_thirty_with_long_names_reflows_at_320_px(narrow_page, live_server, lead_user, check_a11y,
                                                            language):
    with live_server.app.test_request_context():
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        rows = builders.person_rows(30, unit="Samhällsbyggnadsförvaltningen", prefix="long")
        for row in rows:
            row["name"] = f"{LONG} {row['name']}"
            row["email"] = f"{row['external_id']}.kommunikationsansvarig@samhallsbyggnadsforvaltningen.example.se"
        people.upsert_people(rows, None)
        rollout = builders.make_rollout(lead=lead)
        wave = builders.make_wave(rollout, lead, name="Pilot", units=["Samhällsbyggnadsförvaltningen"])
        waves.transition(wave, "active", lead)
    log_in(narrow_page, live_server, lead_user["email"], lead_user["password"], language)
    narrow_page.goto(live_server("/rollouts/win11-2027/waves/0"))
    assert narrow_page.locator("#people-caption").count() == 1
    assert narrow_page.get_by_text(LONG).count() >= 30  # every member is listed, long names and all
    assert_reflows(narrow_page, check_a11y, "the wave with its members")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_retro_board_reflows_at_320_px(narrow_page, live_server, lead_user, check_a11y, language):
    from rollout.services import retro

    with live_server.app.test_request_context():
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        _rollout, pilot, _wave1 = builders.pilot_in_review(lead, texts={
            "went_well": ["Snabb installation", "", "Trevlig support"],
            "could_be_better": [f"Skrivaren fungerade inte: {LONG}", "För lite information i förväg", ""]})
        card = retro.add_card(pilot, {"kind": "better", "text": f"Skrivarkön försvann {LONG}"}, lead)
        theme = retro.create_theme(pilot, {"title": "Utskrifter"}, lead)
        retro.group(pilot, [card.id], theme.id, lead)
    log_in(narrow_page, live_server, lead_user["email"], lead_user["password"], language)
    narrow_page.goto(live_server("/rollouts/win11-2027/waves/0/retro"))
    assert_reflows(narrow_page, check_a11y, "the retrospective board")


# every page of the review team's work on the demo, at 320 px and at 200 % zoom of a 1280 px
# window (640 CSS pixels, two device pixels to each: what the browser's zoom makes of it)
TEAM_PAGES = ("/rollouts/win11-2027", "/rollouts/win11-2027/results", "/rollouts/win11-2027/waves/0",
              "/rollouts/win11-2027/waves/0/results", "/rollouts/win11-2027/waves/0/retro",
              "/rollouts/win11-2027/waves/1", "/rollouts/win11-2027/team", "/rollouts/win11-2027/problems/",
              "/rollouts/win11-2027/questionnaire/", "/rollouts/win11-2027/audit", "/rollouts/etjanst-2026/lessons",
              "lesson", "/lessons", "/people/")
ADMIN_PAGES = ("/admin/users", "user", "/admin/units", "/admin/outbox", "message", "/admin/audit",
               "/admin/settings", "/people/import", "/people/new", "/jobs/")
WINDOWS = {"320 px": {"viewport": NARROW, "device_scale_factor": 1},
           "200 % zoom": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}}


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("window", list(WINDOWS))
def test_every_page_of_the_team_reflows_on_a_phone_and_at_200_percent_zoom(browser, demo_server, check_a11y,
                                                                           request, window, language):
    from sqlalchemy import select

    from rollout.models import Lesson, Notification, Rollout
    with demo_server.app.app_context():
        lesson_id = db.session.scalar(select(Lesson.id).join(Rollout, Rollout.id == Lesson.rollout_id)
                                      .where(Rollout.key == "etjanst-2026").order_by(Lesson.id).limit(1))
        named = {"lesson": f"/rollouts/etjanst-2026/lessons/{lesson_id}",
                 "user": f"/admin/users/{db.session.scalar(select(User.id).where(User.email == 'lead@example.se'))}",
                 "message": f"/admin/outbox/{db.session.scalar(select(Notification.id).limit(1))}"}
    context = browser.new_context(locale="sv-SE", **WINDOWS[window])
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        for email, paths in (("lead@example.se", TEAM_PAGES), ("admin@example.se", ADMIN_PAGES)):
            context.clear_cookies()
            log_in(page, demo_server, email, demo.DEMO_PASSWORD, language)
            for path in paths:
                reflows(page, demo_server, named.get(path, path), window, check_a11y)
    finally:
        _keep_evidence(request, page)
        context.close()


def reflows(page, live, path: str, window: str, check_a11y) -> None:
    """The page at `path` is no wider than the window (and, at 320 px, has no axe-core finding)."""
    response = page.goto(live(path))
    assert response.status == 200, path
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.innerWidth") == WINDOWS[window]["viewport"]["width"]
    assert overflow(page) == 0, f"{path} is {overflow(page)} px too wide at {window}: {widest(page)}"
    if window == "320 px":  # the same page, the same findings: axe-core once per page
        check_a11y(page, f"{path} at {window}")
