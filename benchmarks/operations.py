"""`make bench-operations`: how long the foundation's heavy operations take, on SQLite and
(when reachable) PostgreSQL. Prints one line per measurement; no pass/fail
(`make bench` prints the six figures of issue 13 as ratios: benchmarks/run.py).
`BENCH_OPERATION_SIZES=2000` for a quick run.

- importing a CSV of N people (new, then again as updates)
- previewing a 40 % wave over N people, with a pilot and a 10 % wave before it
- starting that wave (materialising its members)
- opening feedback on it (one link per member), and the tick that writes one
  invitation per member (to the outbox: no SMTP server in a benchmark)
- the results and gate of a wave with N responses, and drawing its charts
- the results page's charts: their titles, alt texts and tables, made from the
  data alone, against drawing every figure as well (as the page did before);
  printed with the ratio of the two
- the retrospective of that wave: its evidence (N free-text answers, one page
  of them shown), and a board of 1,000 cards with votes
- the lesson library with N lessons: a full-text search by one word and by two
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from rollout import (
    charts,  # noqa: E402
    create_app,  # noqa: E402
)
from rollout.extensions import db  # noqa: E402
from rollout.services import chart_data, cohorts, gates, imports, lessons, reconcile, retro, rollouts, waves  # noqa: E402
from rollout.services.results import rollout_results  # noqa: E402
from tests.builders import bulk_responses  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_OPERATION_SIZES", "10000,50000").split(",")]
PG = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def csv_of(n: int) -> bytes:
    lines = ["external_id,name,email,unit,site"]
    lines += [f"e{i},Person {i},person{i}@example.se,Enhet {i % 12},Plats {i % 5}" for i in range(n)]
    return "\n".join(lines).encode()


def bulk_texts(wave) -> None:
    """A "could be better" text on every response of the wave."""
    from sqlalchemy import insert, select

    from rollout.models import Answer, Response
    from rollout.services import tallies
    ids = db.session.scalars(select(Response.id).where(Response.wave_id == wave.id)).all()
    db.session.execute(insert(Answer), [{"response_id": rid, "wave_id": wave.id, "code": "could_be_better",
                                         "text": f"Skrivaren på plan {i % 9} krånglade"} for i, rid in enumerate(ids)])
    tallies.rebuild(wave.id)
    db.session.commit()


def bulk_cards(wave, count: int) -> None:
    from sqlalchemy import insert

    from rollout.models import RetroCard
    db.session.execute(insert(RetroCard), [{"wave_id": wave.id, "kind": ("went_well", "better", "celebrate", "idea")[i % 4],
                                            "text": f"Kort {i}", "source": "team", "votes": i % 3}
                                           for i in range(count)])
    db.session.commit()


def bulk_lessons(rollout, origin, count: int) -> None:
    """Lessons written straight to the table (the full-text index follows by trigger / GIN index)."""
    from sqlalchemy import insert

    from rollout.models import Lesson
    from rollout.models.search import search_words
    words = ["skrivardrivrutin", "lathund", "utbildning", "inloggning", "nätverk", "support", "information"]
    rows = []
    for i in range(count):
        action = f"Ta fram {words[i % 7]} och {words[(i * 3 + 1) % 7]} för enhet{i % 12} före nästa våg"
        rows.append({"rollout_id": rollout.id, "origin_wave_id": origin.id, "title": f"Lärdom {i}",
                     "action": action, "status": "open", "status_reason": "", "search_text": " ".join(search_words(f"Lärdom {i} {action}"))})
    for start in range(0, count, 5000):
        db.session.execute(insert(Lesson), rows[start:start + 5000])
    db.session.commit()


def timed(label: str, fn):
    """Wall time of one call, and the process's peak resident memory so far
    (tracemalloc would slow the code it measures several times over)."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {label:<42} {elapsed:8.2f} s   max RSS {peak:7.0f} MiB", flush=True)
    return result


def best_of(runs: int, fn) -> float:
    """The shortest wall time of `runs` calls (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compared(label: str, before_label: str, before, after, runs: int = 3) -> None:
    """Times `after` and `before` (best of `runs` each) and prints both and how many times faster `after` is."""
    after_s, before_s = best_of(runs, after), best_of(runs, before)
    print(f"  {label:<42} {after_s:8.3f} s", flush=True)
    print(f"  {before_label:<42} {before_s:8.3f} s", flush=True)
    print(f"  {'(ratio, before / now)':<42} {before_s / after_s:8.1f} x", flush=True)


def describe_charts(rollout, draw: bool) -> list:
    """What the results page asks: every chart's title, alt text and table; with `draw`, also
    every figure, as describing a chart cost before the figures were drawn on demand."""
    rollout_results(rollout, None)  # the page's results table; each chart reads its own inputs
    described = []
    for name in chart_data.chart_names(rollout):
        data = chart_data.gather(rollout, name, "sv", None)
        described.append(chart_data.describe(data))
        if draw:
            data.chart().figure  # noqa: B018 -- drawing it is the point
    return described


def bench(url: str, label: str, n: int) -> None:
    print(f"{label}, {n} people")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.test_request_context():
        db.create_all()
        data = csv_of(n)
        timed("import CSV (all new)", lambda: imports.import_people_csv(data, None))
        timed("import CSV again (no changes)", lambda: imports.import_people_csv(data, None))
        rollout = rollouts.create_rollout({"key": "bench", "name": "Bench"}, None)
        pilot = waves.create_wave(rollout, {"name": "Pilot", "selection": {"people": ["e1", "e2", "e3"]}}, None)
        waves.create_wave(rollout, {"name": "10 %", "selection": {"percentage": 10}}, None)
        third = waves.create_wave(rollout, {"name": "40 %", "selection": {"percentage": 40}}, None)
        preview = timed("preview the 40 % wave", lambda: cohorts.preview(third))
        print(f"  {'(the preview takes)':<42} {len(preview):8d} people")
        timed("start the pilot (materialise)", lambda: waves.transition(pilot, "active", None))
        waves.transition(pilot, "feedback", None)
        waves.transition(pilot, "review", None)
        waves.decide(pilot, "go", "benchmark", None)
        waves.transition(waves.get_wave(rollout, 1), "cancelled", None)
        timed("start the 40 % wave", lambda: waves.transition(third, "active", None))
        timed("open feedback (one link per member)", lambda: waves.transition(third, "feedback", None))
        timed("tick: write the invitations to the outbox", lambda: reconcile.tick())
        bulk_responses(third, int(third.members_count * 0.7))  # 70 % answered
        timed(f"results + gate, {third.responses_count} responses", lambda: gates.evaluate(third))
        timed("draw every chart (SVG)", lambda: [
            charts.render(chart_data.gather(rollout, name, "sv", None).chart(), "svg")
            for name in chart_data.chart_names(rollout)])
        compared("results page: describe every chart", "(before: drawing every figure too)",
                 lambda: describe_charts(rollout, draw=True), lambda: describe_charts(rollout, draw=False))
        waves.transition(third, "review", None)
        bulk_texts(third)
        timed("retrospective evidence (texts, changes)", lambda: retro.seed(third, None, "sv"))
        bulk_cards(third, 1000)
        timed("retrospective board, 1,000 cards", lambda: retro.board(third, None))
        bulk_lessons(rollout, pilot, n)
        found = timed(f"library: search one word in {n} lessons", lambda: lessons.library(None, q="skrivardrivrutin"))
        print(f"  {'(it finds)':<42} {found[1]:8d} lessons")
        found = timed("library: search two words", lambda: lessons.library(None, q="lathund enhet7"))
        print(f"  {'(it finds)':<42} {found[1]:8d} lessons")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for n in SIZES:
            bench(f"sqlite:///{folder}/bench-{n}.sqlite", "SQLite", n)
    try:
        url = make_url(PG)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"rollout_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        print(f"PostgreSQL skipped: {error.__class__.__name__}: {error}")
        return
    try:
        for n in SIZES:
            bench(url.set(database=name).render_as_string(hide_password=False), "PostgreSQL", n)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
