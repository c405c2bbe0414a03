"""The package as an IT technician installs it: the wheel `python -m build` makes from a copy of
the checkout, installed with its dependencies into a fresh virtual environment in a temporary
folder, and run from a folder far from any source -- `rollout db upgrade` on an empty database,
`rollout demo`, then gunicorn with the package's own settings, as the README's deployment section
says. The pages must come out whole (templates, static files, migrations are in the package) and
in Swedish and English (the compiled catalogs are too). On the suite's database: an SQLite file,
or a fresh PostgreSQL database when the suite runs on PostgreSQL."""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import fresh_postgres_database

ROOT = Path(__file__).resolve().parent.parent
# what a checkout holds that is not the source: the package is built from the rest
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "instance",
                                    "test-artifacts", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules")
DEMO_PASSWORD = "rollout-demo"


def run(command: list, **options) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=600, **options)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed, as `pip install` from an index would."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    run([sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", source])
    wheels = list((work / "dist").glob("rollout-*.whl"))
    assert len(wheels) == 1, wheels
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv])
    run([venv / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", wheels[0]])
    return venv


@contextmanager
def database(tmp_path: Path):
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base:
        with fresh_postgres_database(base, "rollout_package") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'installed.sqlite'}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Pages over HTTP with cookies, and the form token a page carries."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def log_in(self, email: str, password: str) -> str:
        _status, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, "the login form carries its CSRF token"
        data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email, "password": password})
        with self.opener.open(self.base + "/login", data.encode(), timeout=30) as response:
            return response.geturl()


def headings(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h[12]\b[^>]*>.*?</h[12]>", page, re.S)]


def test_the_installed_wheel_upgrades_a_database_loads_the_demo_and_serves_both_languages(installed, tmp_path):
    far = tmp_path / "elsewhere"  # no source, no templates, no migrations anywhere near
    far.mkdir()
    bin_ = installed / "bin"
    with database(tmp_path) as url:
        env = {"PATH": f"{bin_}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
               "DATABASE_URL": url, "SECRET_KEY": "installed-package-test",
               "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
        where = run([bin_ / "python", "-c", "import rollout; print(rollout.__file__)"], cwd=far, env=env).stdout
        assert where.strip().startswith(str(installed)), f"the installed copy is imported, not the checkout: {where}"

        upgraded = run([bin_ / "rollout", "db", "upgrade"], cwd=far, env=env)
        assert "0001_foundation" in upgraded.stderr + upgraded.stdout  # the revisions came with the package
        head = run([bin_ / "rollout", "db", "current"], cwd=far, env=env).stdout
        assert "(head)" in head, head
        loaded = run([bin_ / "rollout", "demo"], cwd=far, env=env).stdout
        assert "Loaded the demo" in loaded and "win11-2027" in loaded, loaded

        port = free_port()
        server = subprocess.Popen(
            [bin_ / "gunicorn", "-c", "python:rollout.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
             "rollout:create_app()"], cwd=far, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            browser = Browser(f"http://127.0.0.1:{port}")
            for _ in range(300):
                try:
                    status, login = browser.get("/login")
                    break
                except OSError:
                    assert server.poll() is None, server.stdout.read() if server.stdout else "gunicorn stopped"
                    time.sleep(0.1)
            else:
                raise AssertionError("gunicorn did not answer")

            assert status == 200
            assert '<html lang="sv">' in login and "<h1>Logga in</h1>" in login and "Lösenord" in login
            assert browser.get("/static/style.css")[0] == 200
            assert browser.log_in("lead@example.se", DEMO_PASSWORD).endswith("/rollouts/")
            status, swedish = browser.get("/rollouts/win11-2027")
            assert status == 200 and '<html lang="sv">' in swedish
            assert {"Vågor", "I korthet", "Personuppgifter"} <= set(headings(swedish)), headings(swedish)
            assert "Waves" not in headings(swedish)

            browser.get("/language/en")
            status, english = browser.get("/rollouts/win11-2027")
            assert status == 200 and '<html lang="en">' in english
            assert {"Waves", "At a glance", "Personal data"} <= set(headings(english)), headings(english)
            assert '<h1 lang="sv">Ny PC-plattform 2027</h1>' in english  # the team's Swedish name, marked so
            visitor = Browser(browser.base)
            visitor.get("/language/en")
            _status, login = visitor.get("/login")
            assert '<html lang="en">' in login and "<h1>Log in</h1>" in login and "Logga in" not in login
        finally:
            server.terminate()
            server.wait(timeout=30)
