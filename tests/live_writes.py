"""An app served over HTTP while participants write to it: werkzeug in a thread (as the browser
tests serve), a writer submitting and editing through personal links one submission after
another, a reader meanwhile, and the record of what was acknowledged when -- against which what a
database (or a backup of it) holds can be checked."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.serving import make_server

from .conftest import ROOT


@contextmanager
def serving(app):
    """`app` served over HTTP by werkzeug in threads, as the browser tests do; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="backup-test-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def backup_while_serving(url: str, file: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """`flask --app wsgi rollout backup FILE` in a process of its own, and the moments between which
    its copy was taken: while it had an SQLite database file open (seen in /proc: it opens the file
    for the backup only), or, on PostgreSQL, while it ran."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "rollout", "backup", str(file)]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ended = None
    if url.startswith("sqlite:///"):
        database = str(Path(url.removeprefix("sqlite:///")).resolve())
        opened, not_yet = None, began
        while process.poll() is None and ended is None:
            looked = time.perf_counter()
            held = database in open_files(process.pid)
            if held and opened is None:
                opened = not_yet  # it had not opened the file at the look before
            elif not held and opened is not None:
                ended = looked  # closed: the copy is done
            not_yet = looked
            time.sleep(0.001)
        began = began if opened is None else opened
    stdout, stderr = process.communicate(timeout=120)
    ended = ended or time.perf_counter()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), began, ended


def open_files(pid: int) -> set[str]:
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    found = set()
    for name in names:
        try:
            found.add(os.readlink(f"/proc/{pid}/fd/{name}"))
        except OSError:
            pass  # closed meanwhile
    return found


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Sent:
    token: str
    answers: dict
    started: float  # time.perf_counter()
    ended: float = 0.0
    acknowledged: bool = False


@dataclass
class Traffic:
    """Participants submitting and editing one after another through their personal links (the
    API and the page's form in turn), and someone reading the form and the results meanwhile."""

    port: int
    tokens: list[str]
    results_path: str  # the results in the API, read with
    api_token: str
    sent: list[Sent] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def acknowledged(self, before: float = float("inf")) -> int:
        return sum(s.acknowledged and s.ended < before for s in self.sent)

    def write(self) -> None:
        turn = 0
        while not self.stop.is_set() and turn < 5000:
            token = self.tokens[turn % len(self.tokens)]
            answers = {"satisfaction": 1 + turn % 5, "worked_day_one": ("yes", "no")[turn % 2],
                       "hours_lost": turn % 7, "went_well": f"Snabb installation {turn}"}
            sent = Sent(token, answers, time.perf_counter())
            self.sent.append(sent)
            try:
                if turn % 2:
                    status, body = request(self.port, "POST", f"/api/v1/feedback/{token}",
                                           json.dumps({"answers": answers}).encode(),
                                           {"Content-Type": "application/json"})
                    expected = 200
                else:
                    form = urlencode({f"q_{code}": str(value) for code, value in answers.items()}).encode()
                    status, body = request(self.port, "POST", f"/f/{token}", form,
                                           {"Content-Type": "application/x-www-form-urlencoded"})
                    expected = 303
            except OSError as error:  # no answer: not acknowledged
                status, body, expected = 0, repr(error).encode(), 200
            sent.ended = time.perf_counter()
            sent.acknowledged = status == expected
            if not sent.acknowledged:
                self.failures.append(f"submit {turn}: {status} {body[:300]!r}")
            turn += 1

    def read(self) -> None:
        turn = 0
        while not self.stop.is_set() and turn < 5000:
            if turn % 2:
                path, headers = f"/f/{self.tokens[turn % len(self.tokens)]}", {}
            else:
                path, headers = self.results_path, {"Authorization": f"Bearer {self.api_token}"}
            try:
                status, body = request(self.port, "GET", path, headers=headers)
            except OSError as error:
                status, body = 0, repr(error).encode()
            if status != 200:
                self.failures.append(f"GET {path}: {status} {body[:300]!r}")
            turn += 1

    @contextmanager
    def running(self):
        threads = [threading.Thread(target=self.write, daemon=True), threading.Thread(target=self.read, daemon=True)]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(timeout=30)

    def wait_for(self, acknowledged: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.acknowledged() < acknowledged and time.monotonic() < deadline and not self.failures:
            time.sleep(0.02)
        assert self.acknowledged() >= acknowledged, f"the writer got stuck: {self.failures[:3]}"

    def possible(self, token: str, began: float, ended: float) -> tuple[list[dict], bool]:
        """What a backup taken at some moment between `began` and `ended` may hold for `token`: the
        answers last acknowledged before `began`, or those of a submission sent after them but
        before `ended`; and whether it may hold nothing (none was acknowledged before `began`)."""
        mine = [s for s in self.sent if s.token == token]
        last = max((i for i, s in enumerate(mine) if s.acknowledged and s.ended < began), default=None)
        later = [s.answers for s in mine[(last or 0) + (last is not None):] if s.started < ended]
        return ([mine[last].answers] if last is not None else []) + later, last is None

    def moments(self, began: float, ended: float) -> list[dict[str, dict]]:
        """Everybody's answers as the database held them after each submission in turn (the writer
        sends one at a time), from the last one acknowledged before `began` to the last one sent
        before `ended`: a backup that is one moment's database holds one of these."""
        held: dict[str, dict] = {}
        moments = []
        for sent in self.sent:
            if sent.started >= ended:
                break
            if sent.acknowledged and sent.ended < began:
                moments = []  # an earlier moment than this one is no longer possible
            held = {**held, sent.token: sent.answers}
            moments.append(held)
        return moments


def stored_answers(port: int, token: str) -> dict:
    status, body = request(port, "GET", f"/api/v1/feedback/{token}")
    assert status == 200, body
    return json.loads(body)["answers"]
