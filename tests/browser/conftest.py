"""Fixtures for the real-browser tests: a live server on a free port, one
headless Chromium for the session, and axe-core to check every page.

The tests are skipped (with the reason) when Chromium is not installed, except in CI (the
environment variable CI set), where a missing Chromium fails them.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from rollout.extensions import db

from .. import builders
from ..conftest import make_app, wipe
from ..run_all import chromium, in_ci

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
# axe-core findings at these levels fail a test; "moderate" and "minor" are best practice only
BLOCKING_IMPACTS = ("serious", "critical")
SKIP_REASON = ("Chromium is not installed (/usr/bin/chromium or `chromium` on PATH): "
               "apt-get install chromium to run the browser tests")
# the mark of every browser test module; in CI the tests run anyway, and the browser fixture fails
needs_chromium = pytest.mark.skipif(chromium() is None and not in_ci(os.environ), reason=SKIP_REASON)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so a failing test can save what the browser showed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def overflow(page) -> int:
    """How many CSS pixels the page is wider than its window (WCAG 1.4.10 wants none at 320 px)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


class InFlight:
    """A WSGI app counting the requests it is serving, so that a test can wait until none is."""

    def __init__(self, app):
        self.app, self.count, self.idle = app, 0, threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.count += 1
        try:
            result = self.app(environ, start_response)
            try:
                return list(result)  # the body is produced here, inside the count
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait_idle(self, timeout: float) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.count == 0, timeout=timeout)


@dataclass
class LiveServer:
    app: Flask
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(database_url, tmp_path):
    """The app served by werkzeug in a thread, with CSRF on, on a fresh database."""
    app = make_app(database_url, SECRET_KEY="browser-test-secret", WTF_CSRF_ENABLED=True)
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        db.create_all()  # creates only what is missing
    in_flight = InFlight(app.wsgi_app)
    server = make_server("127.0.0.1", 0, in_flight, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        # a request the page started (a chart image, a job page's update) may still be running in its
        # own thread: emptying the tables under it would deadlock with it
        in_flight.wait_idle(timeout=15)
        wipe(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def demo_server(live_server):
    """The live server with the demo loaded (`make run`'s data)."""
    from rollout.services import demo
    with live_server.app.test_request_context():
        demo.load_demo()
    return live_server


@pytest.fixture
def lead_user(live_server):
    """A user who may log in, plan rollouts (the first they plan makes them its lead) and keep the
    people directory, as in a small organisation."""
    with live_server.app.test_request_context():
        user = builders.make_user("lead@example.se", "Lena Lead", people_manager=True)
        return {"email": user.email, "password": builders.PASSWORD, "name": user.name}


@pytest.fixture(scope="session")
def browser():
    path = chromium()
    if path is None:
        if in_ci(os.environ):
            pytest.fail(f"CI is set, so the browser tests may not be skipped: {SKIP_REASON}")
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import expect, sync_playwright

    # a loaded CI machine can be slow; a real failure still shows within seconds
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=BROWSER_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _new_page(browser, **options):
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _keep_evidence(request, page) -> None:
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    from playwright.sync_api import Error as PlaywrightError

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / request.node.name
    try:
        page.screenshot(path=f"{stem}.png", full_page=True)
        Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except (PlaywrightError, OSError) as error:  # the evidence must not hide the failure itself
        print(f"could not save the page of the failed test: {error}")
    else:
        print(f"the page at the failure: {stem}.png and {stem}.html")


def _blocked_by_policy(page) -> list[str]:
    """The Content-Security-Policy violations the page reports (a script or style the policy stopped)."""
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    return blocked


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (cookies, storage) per test; closed before the server stops. The test
    fails if the page broke the Content-Security-Policy (something inline, or from elsewhere)."""
    context, page = _new_page(browser)
    blocked = _blocked_by_policy(page)
    yield page
    _keep_evidence(request, page)
    context.close()
    assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def page_without_js(browser, live_server, request):
    context, page = _new_page(browser, java_script_enabled=False)
    yield page
    _keep_evidence(request, page)
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:8]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
            lines.append(f"       {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


@pytest.fixture
def check_a11y(axe):
    """check_a11y(page, "what this page is"): fail on serious or critical axe-core findings."""
    def check(page, where: str) -> None:
        results = axe.run(page)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        assert not blocking, (f"axe-core found {len(blocking)} serious/critical accessibility problem(s) on "
                              f"{where} ({page.url}):\n{describe_violations(blocking)}")
        # WCAG 2.1 4.1.1 (Parsing) still asks for unique ids; axe-core no longer checks it
        duplicates = page.evaluate("""() => {
            const seen = {};
            for (const e of document.querySelectorAll('[id]')) seen[e.id] = (seen[e.id] || 0) + 1;
            return Object.keys(seen).filter(id => seen[id] > 1); }""")
        assert not duplicates, f"ids used more than once on {where} ({page.url}): {duplicates}"
    return check


# --- the participant's side: a phone, and e-mail to a real SMTP server ------------------

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone_page(browser, live_server, request):
    """A fresh browser context the size of a small phone (375 CSS pixels wide)."""
    context = browser.new_context(locale="sv-SE", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    _keep_evidence(request, page)
    context.close()


@pytest.fixture
def live_mailbox(live_server):
    """The live app sends its mail to a real SMTP server on loopback, with links to the live server."""
    from ..conftest import Mailbox

    box = Mailbox()
    live_server.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=box.port,
                                  MAIL_DEFAULT_SENDER="rollout@kommun.example", PUBLIC_URL=live_server.url)
    yield box
    box.stop()
