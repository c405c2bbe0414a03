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


def deployment_block() -> str:
    """The README's deployment commands, the first `sh` block of its "Deploy it" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Deploy it"):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `python -m build --wheel` makes from a copy of the checkout."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    run([sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", source])
    wheels = list((work / "dist").glob("rollout-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def deployed(wheel, tmp_path_factory):
    """The README's deployment block run by bash as it stands: its paths, wheel and database
    swapped for this machine's, the two servers (gunicorn, the scheduler) left running in the
    background. Yields the virtual environment, the address gunicorn serves, and the scheduler's log."""
    block = deployment_block()
    named = re.search(r"rollout-[\w.]+-py3-none-any\.whl", block)
    assert named and named.group(0) == wheel.name, f"the README installs {named and named.group(0)}, the build makes {wheel.name}"
    work = tmp_path_factory.mktemp("deployed")
    venv, far, logs = work / "opt-rollout", work / "elsewhere", work / "logs"
    far.mkdir()
    logs.mkdir()
    (far / wheel.name).write_bytes(wheel.read_bytes())  # copied to the host, as the README says
    port = free_port()
    with database(work) as url:
        lines = []
        for line in block.splitlines():
            line = line.replace("/opt/rollout", str(venv))
            line = re.sub(r"^export DATABASE_URL=\S+", f"export DATABASE_URL='{url}'", line)
            server = re.match(r"^(gunicorn|rollout scheduler)\b", line)
            if server:  # a server: in the background, its output in a log, its pid kept
                command = line.split("  #")[0]
                name = server.group(1).split()[-1]
                line = f"{command} > {logs / name}.log 2>&1 & echo $! >> {logs / 'pids'}"
            lines.append(line)
        script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8",
               "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2",
               "ROLLOUT_SCHEDULER_INTERVAL": "1"}
        # `user create` asks for the password twice; without a terminal (a new session) it reads stdin
        done = subprocess.run(["bash", "-c", script], cwd=far, env=env, input="a long password 1\n" * 2,
                              capture_output=True, text=True, timeout=600, start_new_session=True)
        pids = [int(pid) for pid in (logs / "pids").read_text().split()] if (logs / "pids").exists() else []
        try:
            assert done.returncode == 0, f"{script}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            assert len(pids) == 2, "gunicorn and the scheduler were started"
            yield {"venv": venv, "base": f"http://127.0.0.1:{port}", "logs": logs, "url": url, "output": done}
        finally:
            for pid in pids:
                try:
                    os.kill(pid, 15)
                except ProcessLookupError:
                    pass
            for pid in pids:
                for _ in range(300):
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        break
                    time.sleep(0.1)


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


def serving(base: str, logs: Path | None = None) -> "Browser":
    browser = Browser(base)
    for _ in range(300):
        try:
            browser.get("/login")
            return browser
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer" + (f": {(logs / 'gunicorn.log').read_text()[-2000:]}" if logs else ""))


def test_the_readmes_deployment_installs_upgrades_serves_and_ticks(deployed):
    venv = deployed["venv"]
    where = run([venv / "bin" / "python", "-c", "import rollout; print(rollout.__file__)"], cwd="/").stdout
    assert where.strip().startswith(str(venv)), f"the installed copy is imported, not the checkout: {where}"
    upgraded = deployed["output"].stderr + deployed["output"].stdout
    assert "0001_foundation" in upgraded and "0015_tally_shards" in upgraded  # the revisions came with the package
    assert "Created administrator it-chef@kommun.se" in deployed["output"].stdout

    browser = serving(deployed["base"], deployed["logs"])
    _status, login = browser.get("/login")
    assert '<html lang="sv">' in login and "<h1>Logga in</h1>" in login and "Lösenord" in login
    assert browser.get("/static/style.css")[0] == 200
    assert browser.log_in("it-chef@kommun.se", "a long password 1").endswith("/rollouts/")
    status, page = browser.get("/rollouts/")
    assert status == 200 and "Utrullningar" in headings(page), headings(page)

    scheduler_log = deployed["logs"] / "scheduler.log"
    for _ in range(300):
        if "scheduler started" in scheduler_log.read_text():
            break
        time.sleep(0.1)
    assert "scheduler started" in scheduler_log.read_text(), scheduler_log.read_text()[-2000:]


def test_the_installed_copy_loads_the_demo_and_serves_it_in_swedish_and_english(deployed, tmp_path):
    far = tmp_path / "elsewhere"  # no source, no templates, no migrations anywhere near
    far.mkdir()
    bin_ = deployed["venv"] / "bin"
    with database(tmp_path) as url:
        env = {"PATH": f"{bin_}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
               "DATABASE_URL": url, "SECRET_KEY": "installed-package-test",
               "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
        run([bin_ / "rollout", "db", "upgrade"], cwd=far, env=env)
        head = run([bin_ / "rollout", "db", "current"], cwd=far, env=env).stdout
        assert "(head)" in head, head
        loaded = run([bin_ / "rollout", "demo"], cwd=far, env=env).stdout
        assert "Loaded the demo" in loaded and "win11-2027" in loaded, loaded

        port = free_port()
        server = subprocess.Popen(
            [bin_ / "gunicorn", "-c", "python:rollout.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
             "rollout:create_app()"], cwd=far, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            browser = serving(f"http://127.0.0.1:{port}")
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
