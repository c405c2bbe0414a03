"""Figures 2 and 3, both read through the app in this process (Flask's test client, no
network), each in a database of its own:

2. a wave's results (`GET /api/v1/rollouts/<key>/waves/0/results`, bearer token) at the large
   size against the same at 1,000 responses, with the SQL statements each runs;
3. a chart (`/rollouts/<key>/charts/satisfaction.svg`) answered from the cache -- a 200 from
   the chart cache in the database that every worker shares, and a 304 for a matching
   If-None-Match -- against the same chart rendered cold (that cache emptied first), at the
   large size; the small size beside it.

Both rollouts (small and large) live in the same database, as they would in production."""
from __future__ import annotations

from ..common import Row, Sizes, StatementCounter, best_of, fresh_database, make_app
from ..seed import api_token, feedback_wave, responses

RESULTS_GOAL = 1.5
CHART_GOAL = 0.05


def _two_rollouts(app, sizes: Sizes) -> str:
    """Rollouts `small` and `large`, each one wave collecting feedback with that many responses;
    returns an administrator's bearer token."""
    with app.app_context():
        for key, first, count in (("small", 0, sizes.results_small), ("large", 3, sizes.results_large)):
            _rollout, wave = feedback_wave(key, 3, first_person=first)
            responses(wave, count)
        token, _user = api_token()
    return token


def _timed_get(app, counter: StatementCounter, path: str, headers: dict, runs: int,
               expect: int = 200, before=None) -> tuple[float, int]:
    """Best wall time of `runs` GETs and the statements of the last one."""
    client = app.test_client()

    def get() -> None:
        response = client.get(path, headers=headers)
        assert response.status_code == expect, (path, response.status_code, response.get_data(as_text=True)[:300])

    get()  # warm: templates, translations, the first connection
    seconds = best_of(runs, get, before)
    with counter.count():
        if before is not None:
            before()
        get()
    return seconds, counter.statements


def measure_results(backend: str, sizes: Sizes) -> Row:
    name = "2 wave results: large / 1,000"
    with fresh_database(backend, "results") as url:
        app = make_app(url)
        token = _two_rollouts(app, sizes)
        from rollout.extensions import db
        with app.app_context():
            counter = StatementCounter(db.engine)
        auth = {"Authorization": f"Bearer {token}"}
        small_s, small_n = _timed_get(app, counter, "/api/v1/rollouts/small/waves/0/results", auth, sizes.repeats)
        large_s, large_n = _timed_get(app, counter, "/api/v1/rollouts/large/waves/0/results", auth, sizes.repeats)
        counter.remove()
        with app.app_context():
            db.engine.dispose()
    ratio = large_s / small_s
    raw = (f"{1000 * large_s:.0f} vs {1000 * small_s:.0f} ms; "
           f"{large_n} vs {small_n} statements")
    return Row(name, backend, f"{sizes.results_large:,} vs {sizes.results_small:,} responses", raw, ratio,
               f"<= {RESULTS_GOAL}, same statements", ratio <= RESULTS_GOAL and large_n == small_n,
               [f"best of {sizes.repeats} requests each, API with a bearer token (its check is counted too)"])


def _chart_times(app, counter: StatementCounter, key: str, auth: dict, runs: int) -> dict[str, tuple[float, int]]:
    """cold / cached 200 / 304 of one chart: (best seconds, statements). Cold empties the chart
    cache in the database (shared by every worker) first; the cached 200 is read from it."""
    from rollout.services import chart_cache

    def empty_the_cache() -> None:
        with app.app_context():
            chart_cache.clear()

    path = f"/rollouts/{key}/charts/satisfaction.svg"
    client = app.test_client()
    first = client.get(path, headers=auth)
    assert first.status_code == 200, first.get_data(as_text=True)[:300]
    etag = first.headers["ETag"]
    return {
        "cold": _timed_get(app, counter, path, auth, runs, before=empty_the_cache),
        "cached": _timed_get(app, counter, path, auth, runs),
        "304": _timed_get(app, counter, path, {**auth, "If-None-Match": etag}, runs, expect=304),
    }


def measure_chart(backend: str, sizes: Sizes) -> Row:
    name = "3 chart: cache (200, 304) / cold"
    with fresh_database(backend, "chart") as url:
        app = make_app(url)
        token = _two_rollouts(app, sizes)
        from rollout.extensions import db
        with app.app_context():
            counter = StatementCounter(db.engine)
        auth = {"Authorization": f"Bearer {token}"}
        small = _chart_times(app, counter, "small", auth, sizes.repeats)
        large = _chart_times(app, counter, "large", auth, sizes.repeats)
        counter.remove()
        with app.app_context():
            db.engine.dispose()

    def ratios(times: dict) -> tuple[float, float]:
        return times["cached"][0] / times["cold"][0], times["304"][0] / times["cold"][0]

    cached, not_modified = ratios(large)
    small_cached, small_304 = ratios(small)
    ratio = max(cached, not_modified)
    raw = (f"200 {1000 * large['cached'][0]:.0f}, 304 {1000 * large['304'][0]:.0f} vs cold "
           f"{1000 * large['cold'][0]:.0f} ms")
    notes = [f"ratios at {sizes.results_large:,}: 200 {cached:.2f}, 304 {not_modified:.2f}; at "
             f"{sizes.results_small:,}: 200 {small_cached:.2f}, 304 {small_304:.2f} (200 "
             f"{1000 * small['cached'][0]:.0f}, 304 {1000 * small['304'][0]:.0f}, cold {1000 * small['cold'][0]:.0f} ms)",
             f"statements at {sizes.results_large:,}: cold {large['cold'][1]}, 200 {large['cached'][1]}, "
             f"304 {large['304'][1]}; at {sizes.results_small:,}: cold {small['cold'][1]}, "
             f"200 {small['cached'][1]}, 304 {small['304'][1]}",
             "the cache is the chart_cache table, shared by every worker and host (services/chart_cache.py); "
             "emptied before each cold request"]
    return Row(name, backend, f"{sizes.results_large:,} responses", raw, ratio, f"<= {CHART_GOAL} (both)",
               ratio <= CHART_GOAL, notes)
