"""What `make test` runs: the whole suite on SQLite, then again on PostgreSQL
when one is reachable, and says plainly what it skipped and why."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from urllib.parse import urlsplit

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def reachable(url: str) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main() -> int:
    args = sys.argv[1:]
    notes = []
    if chromium() is None:
        notes.append("SKIPPED the browser tests: Chromium is not installed (apt-get install chromium).")
    pg_url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    runs = [("SQLite", {})]
    if reachable(pg_url):
        runs.append(("PostgreSQL", {"TEST_DATABASE_URL": pg_url}))
    else:
        notes.append(f"SKIPPED the PostgreSQL run: no server answers at {pg_url} (set TEST_DATABASE_URL).")
    if notes and os.environ.get("CI", "").lower() == "true":
        # CI must run everything: a missing database server or browser is a failure there, not a skip
        for note in notes:
            print(note.replace("SKIPPED", "MISSING in CI:"))
        return 1
    failed = []
    # The chart module is pure (no app, no database): it runs once, alone in its process. Its
    # byte-for-byte checks have failed now and then when a worker had drawn the app's charts
    # first (matplotlib keeps state between drawings); see the open issue on chart determinism.
    print("\n=== The chart module, alone ===", flush=True)
    if subprocess.call([sys.executable, "-m", "pytest", "tests/test_charts.py", *args]) != 0:
        failed.append("charts")
    for label, extra in runs:
        print(f"\n=== The suite on {label} ===", flush=True)
        env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
        env.update(extra)
        # two workers: the machine has two cores; each worker has its own database
        workers = [] if any(a.startswith("-n") for a in args) else ["-n", "2"]
        code = subprocess.call([sys.executable, "-m", "pytest", *workers, "--ignore=tests/test_charts.py", *args],
                               env=env)
        if code != 0:
            failed.append(f"{label} (exit {code})")
    print()
    for note in notes:
        print(note)
    if failed:
        print("FAILED on: " + ", ".join(failed))
        return 1
    print("All runs passed: " + ", ".join(label for label, _ in runs) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
