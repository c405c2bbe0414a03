"""`make load` at a tiny size: participants answering and editing through the page and the API
against gunicorn on PostgreSQL while one worker is killed; every acknowledged submission is
stored with its final answers, and nothing fails but what the killed worker had in flight.
Latency is not asserted here (the machine is shared); `make load` judges it."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.postgres_only


def test_with_a_worker_killed_no_acknowledged_answer_is_lost():
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("gunicorn on PostgreSQL (TEST_DATABASE_URL), as deployed")
    from benchmarks.load.run import Settings, run
    settings = Settings(users=10, seconds=5, people=40, workers=2, warm_up=1, rounds=("worker killed",))
    # in a thread of its own: the load's asyncio loop cannot start where another test's loop
    # (Playwright's, in the same worker) is running
    with ThreadPoolExecutor(1) as pool:
        [round_] = pool.submit(run, settings, report=lambda _line: None).result()
    assert round_.killed is not None and len(round_.workers_after) == len(round_.workers_before) == 2
    assert round_.stored.acknowledged > 0 and round_.stored.people > 10
    assert round_.stored.lost == []
    assert round_.errors == 0, round_.outcomes
