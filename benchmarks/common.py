"""What the figures of `make bench` share: the sizes (BENCH_SIZES), a fresh database per
figure (a new PostgreSQL database on the server, or a new SQLite file, dropped afterwards),
the app bound to it, SQL statement and commit counters, and the row of the printed table."""
from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret"
# production hashes with scrypt (half a second each); a benchmark's accounts need no such cost
FAST_PASSWORD_HASH = "pbkdf2:sha256:1000"


@dataclass(frozen=True)
class Sizes:
    """How big each figure's data is. `full` is the issue's; `quick` fits a few minutes."""

    name: str
    submit_seconds: float  # how long the load runs against each server
    submit_clients: int  # concurrent client threads, the same for the app and the bare endpoint
    submit_people: int  # members with a link (each request answers for another one)
    results_small: int
    results_large: int
    import_small: int
    import_large: int
    wave_people: int  # people among whom a 10 % wave starts
    invitations: int  # members invited by one tick (extrapolated to INVITATION_GOAL)
    repeats: int  # best of this many runs for the short in-process timings (a few ms each: on a shared
    # machine a handful of runs seldom holds one undisturbed; numerator and denominator alike)


SIZES = {
    "full": Sizes("full", 20, 16, 4000, 1_000, 100_000, 10_000, 100_000, 1_000_000, 2_000, 25),
    "quick": Sizes("quick", 6, 16, 1500, 1_000, 20_000, 2_000, 20_000, 20_000, 200, 5),
}


def chosen_sizes() -> Sizes:
    """BENCH_SIZES=quick or full (the default)."""
    name = os.environ.get("BENCH_SIZES", "full").strip().lower() or "full"
    if name not in SIZES:
        raise SystemExit(f"BENCH_SIZES={name!r}: choose one of {', '.join(SIZES)}")
    return SIZES[name]


def chosen_backends() -> list[str]:
    """BENCH_DATABASES=postgresql,sqlite (the default: both)."""
    names = [n.strip() for n in os.environ.get("BENCH_DATABASES", "postgresql,sqlite").split(",") if n.strip()]
    unknown = [n for n in names if n not in ("postgresql", "sqlite")]
    if unknown:
        raise SystemExit(f"BENCH_DATABASES: unknown {', '.join(unknown)} (postgresql, sqlite)")
    return names


def postgres_reachable() -> Optional[str]:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(make_url(PG_SERVER))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001  (any failure means: skip PostgreSQL)
        return f"{error.__class__.__name__}: {str(error).splitlines()[0]}"
    return None


@contextmanager
def fresh_database(backend: str, figure: str) -> Iterator[str]:
    """The URL of a new, empty database for one figure, dropped (or deleted) afterwards. On
    PostgreSQL a database of its own on the server: nothing outside it is touched."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"bench-{figure}-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite"
        return
    url = make_url(PG_SERVER)
    name = f"rollout_bench_{figure}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, **config: Any):
    """The app on `url`, with its tables created (as the tests do; production migrates)."""
    from rollout import create_app
    from rollout.extensions import db
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH, "SCHEDULER_IN_PROCESS": False}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app


class StatementCounter:
    """SQL statements, pool checkouts and commits on an engine while `counting` is on; and, per
    transaction, how many statements began with `watch` (e.g. an INSERT INTO one table)."""

    def __init__(self, engine: Engine, watch: str = "") -> None:
        self.engine, self.watch = engine, watch.lower()
        self.statements = self.checkouts = self.commits = 0
        self.watched_in_transaction = 0
        self.largest_transaction = 0  # the most `watch` statements (or their rows) between two commits
        self.counting = False
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, _conn, _cursor, statement: str, parameters, _context, executemany: bool) -> None:
        if not self.counting:
            return
        self.statements += 1
        if self.watch and statement.lstrip().lower().startswith(self.watch):
            self.watched_in_transaction += len(parameters) if executemany else 1

    def _commit(self, _conn) -> None:
        if not self.counting:
            return
        self.commits += 1
        self._close_transaction()

    def _close_transaction(self) -> None:
        self.largest_transaction = max(self.largest_transaction, self.watched_in_transaction)
        self.watched_in_transaction = 0

    def _checkout(self, *_args) -> None:
        if self.counting:
            self.checkouts += 1

    @contextmanager
    def count(self) -> Iterator[StatementCounter]:
        self.statements = self.checkouts = self.commits = 0
        self.watched_in_transaction = self.largest_transaction = 0
        self.counting = True
        try:
            yield self
        finally:
            self._close_transaction()
            self.counting = False

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine.pool, "checkout", self._checkout)


def best_of(runs: int, call: Callable[[], Any], before: Optional[Callable[[], Any]] = None) -> float:
    """The shortest wall time of `runs` calls (the least disturbed by the other sessions on the
    machine); `before` runs untimed ahead of each."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Row:
    """One line of the table: a figure on one database."""

    figure: str
    backend: str
    size: str
    raw: str
    ratio: Optional[float]
    goal: str
    met: Optional[bool]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def skipped(cls, figure: str, backend: str, why: str) -> Row:
        return cls(figure, backend, "-", why, None, "-", None)


def mib(kib: float) -> float:
    return kib / 1024

