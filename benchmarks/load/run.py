"""Two rounds against one gunicorn (the repository's gunicorn.conf.py) on a fresh PostgreSQL
database: "steady" (`users` participants for `seconds`), then "worker killed" (the same, with
SIGKILL sent to one gunicorn worker halfway; gunicorn starts a new one). Each round has its own
wave of people with personal links, made by the app's own transitions."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from dataclasses import dataclass, field

from ..common import fresh_database, make_app
from ..seed import feedback_wave, tokens_of
from ..servers import Server, gunicorn_server
from .check import Figures, Stored, check_stored, cut_off_by_kill, figures
from .participants import OK, Ledger, Participant

P95_GOAL = 1.0  # seconds, for every kind of request
ROUNDS = ("steady", "worker killed")


# A participant reads the form before sending it and the thanks page before editing: by default
# each waits a mean 2 s (exponential) before every request, far quicker than a person, so 200 of
# them send about 100 requests a second. Without any pause, 200 clients keep 200 requests in
# flight whatever the server does, so by Little's law p95 stays above 200 / (requests a
# second): under 1 s would need more than 200 a second, more than the bare Flask + SQLAlchemy
# insert endpoint of `make bench` figure 1 serves on this machine. LOAD_THINK=0 runs that
# stress test.
DEFAULT_THINK = 2.0


@dataclass(frozen=True)
class Settings:
    users: int = 200
    seconds: float = 60.0
    people: int = 0  # members per round's wave; 0: 10 per participant
    workers: int | None = None  # None: what gunicorn.conf.py chooses (WEB_CONCURRENCY)
    think: float = 0.0  # a participant's mean pause between requests, in seconds (make load: DEFAULT_THINK)
    timeout: float = 60.0  # a request without an answer after this long counts as an error
    warm_up: float = 3.0  # seconds of link openings before each round, not counted: every worker has loaded its templates
    rounds: tuple[str, ...] = ROUNDS

    @property
    def members(self) -> int:
        return max(self.people or 10 * self.users, self.users)  # never two participants on one link

    @classmethod
    def from_environment(cls) -> Settings:
        def number(name: str, default: float) -> float:
            value = os.environ.get(name, "").strip()
            try:
                return float(value) if value else default
            except ValueError:
                raise SystemExit(f"{name}={value!r}: expected a number") from None
        workers = int(number("LOAD_WORKERS", 0)) or None
        rounds = tuple(r.strip() for r in os.environ.get("LOAD_ROUNDS", ",".join(ROUNDS)).split(",") if r.strip())
        unknown = [r for r in rounds if r not in ROUNDS]
        if unknown:
            raise SystemExit(f"LOAD_ROUNDS: no round {', '.join(unknown)} ({', '.join(ROUNDS)})")
        return cls(users=int(number("LOAD_USERS", 200)), seconds=number("LOAD_SECONDS", 60),
                   people=int(number("LOAD_PEOPLE", 0)), workers=workers, think=number("LOAD_THINK", DEFAULT_THINK),
                   timeout=number("LOAD_TIMEOUT", 60), rounds=rounds)


@dataclass
class Round:
    name: str
    seconds: float = 0.0
    ledger: Ledger = field(default_factory=Ledger)
    rows: list[Figures] = field(default_factory=list)
    stored: Stored = field(default_factory=Stored)
    killed: int | None = None  # the pid sent SIGKILL
    killed_at: float | None = None
    killed_after: float = 0.0  # seconds into the round
    in_flight_killed: int = 0  # requests cut off by the kill (not errors)
    cut_off_kinds: dict[str, int] = field(default_factory=dict)
    errors: int = 0  # every other request that failed
    outcomes: dict[str, int] = field(default_factory=dict)  # what went wrong, how often
    workers_before: list[int] = field(default_factory=list)
    workers_after: list[int] = field(default_factory=list)

    def missed(self) -> list[str]:
        """The goals this round missed, in words."""
        missed = []
        if self.errors:
            missed.append(f"{self.name}: {self.errors} errors ({self.outcomes}), goal 0")
        if self.stored.lost:
            missed.append(f"{self.name}: {len(self.stored.lost)} acknowledged submissions lost, goal 0")
        missed += [f"{self.name}: p95 of {row.kind} {1000 * row.p95:.0f} ms, goal under {1000 * P95_GOAL:.0f} ms"
                   for row in self.rows if row.p95 >= P95_GOAL]
        if self.name == "worker killed" and self.killed is None:
            missed.append(f"{self.name}: no worker to kill")
        elif self.killed is not None and len(self.workers_after) < len(self.workers_before):
            missed.append(f"{self.name}: {len(self.workers_after)} workers after the kill, "
                          f"{len(self.workers_before)} before (not restarted)")
        return missed


async def drive(server: Server, tokens: list[str], settings: Settings, ledger: Ledger, seconds: float,
                *, browse: bool = False, kill_after: float | None = None, result: Round | None = None) -> float:
    """`settings.users` participants for `seconds` (each with every users-th token); with
    `kill_after`, SIGKILL to one worker after that many seconds. Returns the wall time."""
    participants = [Participant(server.port, tokens[i::settings.users], ledger,
                                random.Random(i), settings.think, settings.timeout) for i in range(settings.users)]
    started = time.perf_counter()
    stop_at = started + seconds
    tasks = [asyncio.create_task(p.browse(stop_at) if browse else p.run(stop_at)) for p in participants]
    if kill_after is not None and result is not None:
        await asyncio.sleep(kill_after)
        workers = server.worker_pids()
        if workers:
            victim = random.Random(len(ledger.requests)).choice(workers)
            result.workers_before, result.killed = workers, victim
            result.killed_at = time.perf_counter()
            result.killed_after = result.killed_at - started
            os.kill(victim, signal.SIGKILL)
    await asyncio.gather(*tasks)
    return time.perf_counter() - started


def play_round(name: str, server: Server, app, tokens: list[str], settings: Settings) -> Round:
    result = Round(name)
    asyncio.run(drive(server, tokens, settings, Ledger(), settings.warm_up, browse=True))
    kill_after = settings.seconds / 2 if name == "worker killed" else None
    result.seconds = asyncio.run(drive(server, tokens, settings, result.ledger, settings.seconds,
                                       kill_after=kill_after, result=result))
    requests = result.ledger.requests
    cut_off = cut_off_by_kill(requests, result.killed_at)
    result.in_flight_killed = len(cut_off)
    for r in cut_off:
        result.cut_off_kinds[r.kind] = result.cut_off_kinds.get(r.kind, 0) + 1
    cut = {id(r) for r in cut_off}
    failed = [r for r in requests if r.outcome != OK and id(r) not in cut]
    result.errors = len(failed)
    for r in failed:
        result.outcomes[f"{r.kind}: {r.outcome}"] = result.outcomes.get(f"{r.kind}: {r.outcome}", 0) + 1
    result.rows = figures(requests, cut_off)
    if result.killed is not None:
        for _ in range(100):  # the replacement worker may still be starting
            result.workers_after = server.worker_pids()
            if len(result.workers_after) >= len(result.workers_before):
                break
            time.sleep(0.1)
    result.stored = check_stored(app, result.ledger)
    return result


def run(settings: Settings, report=print) -> list[Round]:
    """Both rounds (or those in settings.rounds) on a fresh database, reported as they end."""
    with fresh_database("postgresql", "load") as url:
        app = make_app(url)
        waves = {}
        with app.app_context():
            for number, name in enumerate(settings.rounds):
                _rollout, wave = feedback_wave(f"load{number}", settings.members,
                                               first_person=number * settings.members)
                waves[name] = tokens_of(wave)
        rounds = []
        with gunicorn_server("wsgi:app", url, "/api/v1/health", settings.workers) as server:
            report(f"gunicorn: {len(server.worker_pids())} workers (gunicorn.conf.py"
                   f"{'' if settings.workers is None else f', --workers {settings.workers}'}), master pid {server.pid}")
            for name in settings.rounds:
                rounds.append(play_round(name, server, app, waves[name], settings))
                report(describe(rounds[-1]))
        with app.app_context():
            from rollout.extensions import db
            db.engine.dispose()
    return rounds


def describe(r: Round) -> str:
    from .check import table
    total = len(r.ledger.requests)
    lines = [f"\nround \"{r.name}\": {total} requests in {r.seconds:.0f} s ({total / r.seconds:.0f}/s), "
             f"{r.errors} errors", table(r.rows)]
    if r.killed is not None:
        cut = ", ".join(f"{kind} {n}" for kind, n in r.cut_off_kinds.items()) or "none"
        lines.append(f"  SIGKILL to worker {r.killed} at {r.killed_after:.0f} s: {r.in_flight_killed} requests in "
                     f"flight in it ({cut}; connection closed or reset, not counted as errors); workers before "
                     f"{r.workers_before}, after {r.workers_after}")
    if r.outcomes:
        lines.append(f"  errors: {r.outcomes}")
    s = r.stored
    lines.append(f"  stored: {s.people} people sent {sum(len(v) for v in r.ledger.sent.values())} submissions, "
                 f"{s.acknowledged} acknowledged; {s.as_last_acknowledged} people hold their last acknowledged "
                 f"answers, {s.unacknowledged_stored} a later unanswered submission's, {s.nothing} nothing "
                 f"(none acknowledged); lost {len(s.lost)}")
    lines += [f"    lost: {why}" for why in s.lost[:10]]
    return "\n".join(lines)
