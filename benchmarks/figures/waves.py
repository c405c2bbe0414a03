"""Figure 5: starting a 10 % wave among N people (waves.transition to active, which selects
and fixes its members; in a process of its own, for its memory) against a raw mmh3 loop over
the people's external ids with the same bucket (Unleash's: murmur3, seed 0, `key:id`), the
ids already in memory. The people are written straight to the table beforehand. Creating the
rollout queues the background job that stores everyone's bucket (services/bucket_jobs.py), run
here before the start; both are outside the timed start, so their times are printed beside the
figure; the start itself still checks for missing buckets."""
from __future__ import annotations

import time

import mmh3
from sqlalchemy import text

from .. import child
from ..common import Row, Sizes, fresh_database, make_app, mib
from ..seed import people

GOAL = 3.0
PERCENTAGE = 10


def raw_buckets(external_ids: list[str], key: str) -> tuple[float, int]:
    """Seconds to bucket every id and keep those within the percentage, and how many."""
    start = time.perf_counter()
    chosen = [i for i in external_ids if mmh3.hash(f"{key}:{i}", 0, signed=False) % 100 + 1 <= PERCENTAGE]
    return time.perf_counter() - start, len(chosen)


def measure(backend: str, sizes: Sizes) -> Row:
    name = f"5 start a {PERCENTAGE} % wave: app / raw mmh3"
    n = sizes.wave_people
    with fresh_database(backend, "wave") as url:
        app = make_app(url)
        from rollout.extensions import db
        from rollout.services import jobs, rollouts, waves
        with app.app_context():
            people(n)
            began = time.perf_counter()
            rollout = rollouts.create_rollout({"key": "wave", "name": "Bench wave"}, None)
            creation_s = time.perf_counter() - began
            began = time.perf_counter()
            sorting_jobs = jobs.run_pending()  # a large rollout's buckets are stored by a background job
            sorting_s = time.perf_counter() - began
            wave = waves.create_wave(rollout, {"name": "10 %", "selection": {"percentage": PERCENTAGE}}, None)
            wave_id = wave.id
            external_ids = list(db.session.scalars(text("SELECT external_id FROM people")))
            if db.engine.dialect.name == "postgresql":
                db.session.commit()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    # what autovacuum leaves of a directory that has been there a while
                    connection.execute(text("VACUUM ANALYZE people"))
        raw_s, raw_count = raw_buckets(external_ids, "wave")
        started = child.run("start", url, str(wave_id))
        with app.app_context():
            db.engine.dispose()
    ratio = started["seconds"] / raw_s
    growth = mib(started["peak_rss_kib"] - started["rss_before_kib"])
    raw = f"{started['seconds']:.2f} vs {raw_s:.3f} s; +{growth:.0f} MiB in the process"
    notes = [f"{started['result']:,} members fixed (the raw loop chose {raw_count:,}); peak RSS "
             f"{mib(started['peak_rss_kib']):.0f} MiB (of the starting process, see benchmarks/child.py)",
             f"creating the rollout took {creation_s:.2f} s in the request; storing the {n:,} buckets took "
             f"{sorting_s:.2f} s in {sorting_jobs} background job(s) (neither in the ratio)"]
    return Row(name, backend, f"{n:,} people", raw, ratio, f"<= {GOAL:g}",
               ratio <= GOAL and started["result"] == raw_count, notes)
