"""What `make test` runs: the whole suite on SQLite, then again on PostgreSQL
when one is reachable, and says plainly what it skipped and why.

In CI (the environment variable CI set to anything) nothing may be skipped: a
PostgreSQL server that does not answer, or a missing Chromium, fails the run
before any test starts.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def in_ci(env: Mapping[str, str]) -> bool:
    """CI sets CI (to "true" mostly); any non-empty value counts."""
    return bool(env.get("CI", "").strip())


def postgres_url(env: Mapping[str, str]) -> str:
    return env.get("TEST_DATABASE_URL") or DEFAULT_PG


def reachable(url: str) -> bool:
    """Whether something answers on the host and port of the database URL."""
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def chromium() -> str | None:
    """Debian's Chromium, which the browser tests drive."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Plan:
    """The runs to make; what is left out and why (said at the end); in CI, what is missing and
    why (a failure before any test runs)."""

    runs: list[tuple[str, dict[str, str]]]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)


def plan(env: Mapping[str, str], *, postgres_answers: bool, chromium_found: bool) -> Plan:
    """Which runs `make test` makes, given the environment and what the machine has."""
    pg_url = postgres_url(env)
    result = Plan(runs=[("SQLite", {})])
    absent = []
    if not chromium_found:
        absent.append(("the browser tests", "Chromium is not installed (apt-get install chromium)"))
    if postgres_answers:
        result.runs.append(("PostgreSQL", {"TEST_DATABASE_URL": pg_url}))
    else:
        absent.append(("the PostgreSQL run",
                       f"no server answers at {pg_url} (start PostgreSQL, or set TEST_DATABASE_URL)"))
    if in_ci(env):
        result.missing = absent
    else:
        result.skipped = absent
    return result


def main() -> int:
    args = sys.argv[1:]
    env = os.environ
    decided = plan(env, postgres_answers=reachable(postgres_url(env)), chromium_found=chromium() is not None)
    for what, why in decided.missing:
        print(f"FAILED: CI is set (CI={env['CI']!r}), so {what} may not be skipped, and cannot run: {why}.",
              file=sys.stderr)
    if decided.missing:
        return 1
    failed = []
    for label, extra in decided.runs:
        print(f"\n=== The suite on {label} ===", flush=True)
        run_env = {k: v for k, v in env.items() if k != "TEST_DATABASE_URL"}
        run_env.update(extra)
        # two workers: the machine has two cores; each worker has its own database. The chart
        # tests run among the others: a chart's bytes do not depend on what the worker drew before.
        workers = [] if any(a.startswith("-n") for a in args) else ["-n", "2"]
        code = subprocess.call([sys.executable, "-m", "pytest", *workers, *args], env=run_env)
        if code != 0:
            failed.append(f"{label} (exit {code})")
    print()
    for what, why in decided.skipped:
        print(f"SKIPPED {what}: {why}.")
    if failed:
        print("FAILED on: " + ", ".join(failed))
        return 1
    print("All runs passed: " + ", ".join(label for label, _ in decided.runs) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
