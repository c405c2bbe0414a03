"""The README's screenshots, taken anew from the demo: `make screenshots`.

Loads the demo into a fresh SQLite database, serves it on a free port, and takes
docs/screenshot.png (the pilot wave) and docs/retrospective.png (a theme of the
earlier rollout's retrospective) with Debian's Chromium, in Swedish, 1280 px wide.
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from rollout import create_app
    from rollout.extensions import db
    from rollout.services import demo

    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db", "SECRET_KEY": "screenshots",
                          "PUBLIC_URL": f"http://127.0.0.1:{port}", "SCHEDULER_INTERVAL": 0})
        with app.app_context():
            db.create_all()
            demo.load_demo()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                                     args=BROWSER_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base + "/login")
                page.fill("#email", "lead@example.se")
                page.fill("#password", demo.DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.goto(base + "/rollouts/win11-2027/waves/0")
                page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), full_page=False)
                page.goto(base + "/rollouts/etjanst-2026/waves/0/retro")
                theme = page.locator(".retro-theme").first
                (theme if theme.count() else page).screenshot(path=str(ROOT / "docs" / "retrospective.png"))
                browser.close()
        finally:
            server.shutdown()
    print("docs/screenshot.png and docs/retrospective.png are taken anew")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
