"""Gunicorn started and stopped by the benchmark (on a free loopback port, with the repository's
gunicorn.conf.py as deployed), and the load client that drives it: threads, each sending one
request after another with http.client (the standard library; no load-testing package is installed)."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Callable, Iterator

from .common import ROOT, SECRET, median, percentile

WORKERS = 4
CONF = ROOT / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its port and its master's pid (whose children are the workers)."""

    port: int
    pid: int

    def worker_pids(self) -> list[int]:
        """The master's child processes now (Linux /proc): its workers."""
        children: list[int] = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.pid:
                children.append(int(entry))
        return sorted(children)


@contextmanager
def gunicorn_server(app: str, database_url: str, ready_path: str, workers: int | None = WORKERS) -> Iterator[Server]:
    """gunicorn with the repository's gunicorn.conf.py (as deployed), `workers` processes (None:
    what the conf chooses), on 127.0.0.1:<a free port> and `database_url`, without access log;
    yields the server once `ready_path` answers 200, and stops it afterwards (INT: gunicorn's quick
    shutdown, nothing is in flight by then; KILL after 30 s)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "GUNICORN_ACCESSLOG": "",
           "ROLLOUT_SCHEDULER_IN_PROCESS": "false", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gunicorn", "--config", str(CONF), "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning", "--timeout", "120"]
    if workers is not None:
        command += ["--workers", str(workers)]
    # the error log goes to a file, not a pipe nobody reads (a full pipe would stop the master)
    with tempfile.TemporaryFile() as errors:
        server = subprocess.Popen([*command, app], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors,
                                  start_new_session=True)
        try:
            _wait_until_ready(server, port, ready_path, errors)
            yield Server(port, server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextmanager
def gunicorn(app: str, database_url: str, ready_path: str, workers: int | None = WORKERS) -> Iterator[int]:
    """`gunicorn_server`, yielding its port."""
    with gunicorn_server(app, database_url, ready_path, workers) as server:
        yield server.port


def _wait_until_ready(server: subprocess.Popen, port: int, path: str, errors: IO[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            errors.seek(0)
            raise RuntimeError(f"gunicorn stopped: {errors.read().decode(errors='replace')[-2000:]}")
        try:
            status, _body = request(port, "GET", path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn on port {port} did not answer {path} within {timeout:.0f} s")


def request(port: int, method: str, path: str, body: dict | None = None, timeout: float = 60) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Load:
    """What one load run did: requests answered 2xx, the others, and each one's latency."""

    seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (f"{self.per_second:.0f} req/s ({self.ok} ok, {self.errors} errors, p50 "
                f"{1000 * median(self.latencies):.0f} ms, p95 {1000 * percentile(self.latencies, 0.95):.0f} ms)")


def load(port: int, clients: int, seconds: float, next_request: Callable[[int], tuple[str, dict]]) -> Load:
    """`clients` threads POST for `seconds`; `next_request(n)` gives the n-th request's path and
    JSON body (n counts over all threads, so each request can answer for another person)."""
    result = Load()
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < stop_at:
            with lock:
                n = next(counter)
            path, body = next_request(n)
            start = time.perf_counter()
            try:
                status, _ = request(port, "POST", path, body)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - start
            with lock:
                result.latencies.append(elapsed)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    result.ok += 1
                else:
                    result.errors += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result
