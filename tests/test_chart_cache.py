"""The chart cache shared by every worker: a chart is drawn once for one state of its data, by
whichever worker is asked first, and served by every other one from the database; its ETag is a
digest of what it shows, so it changes with every change the picture shows, and a matching
If-None-Match is answered after a handful of statements, without drawing or reading the bytes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from rollout import charts
from rollout.extensions import db
from rollout.models import CachedChart
from rollout.models.types import utcnow
from rollout.services import chart_cache, chart_data, feedback, lessons, reconcile, rollouts

from . import builders
from .conftest import make_app
from .helpers import counting_queries
from .test_feedback import GOOD, open_wave, tokens
from .test_results import answer_all

SATISFACTION = "/rollouts/win11-2027/charts/satisfaction.svg"
#: what a 304 may cost: the bearer token with its user (one statement), the rollout with its waves
#: (one), the user's role in it (one: the rollout's lookup and the chart's service both ask, the
#: session remembers) and the chart's inputs: for the satisfaction chart its answers' tallies
MOST_FOR_A_304 = 4


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The formats of every chart drawn into bytes while the test runs."""
    drawn: list[str] = []
    render = charts.render

    def counted(chart, fmt):
        drawn.append(fmt)
        return render(chart, fmt)

    monkeypatch.setattr(charts, "render", counted)
    return drawn


@pytest.fixture
def answered(ctx, lead):
    rollout, wave = open_wave(lead, n=8)
    answer_all(wave, [5, 4, 2, 4, 5])
    return rollout, wave


@pytest.fixture
def bearer(answered, lead) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.make_token(lead)}"}


@pytest.fixture
def second_worker(app, database_url):
    """Another app on the same database, as another gunicorn worker or host would be."""
    other = make_app(database_url, SECRET_KEY="test-secret")
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_chart_served_twice_is_drawn_once(client, bearer, renders):
    first = client.get(SATISFACTION, headers=bearer)
    again = client.get(SATISFACTION, headers=bearer)
    assert first.status_code == again.status_code == 200
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert renders == ["svg"]
    png = client.get(SATISFACTION.replace(".svg", ".png"), headers=bearer)
    assert png.data.startswith(b"\x89PNG") and png.headers["ETag"] != first.headers["ETag"]
    assert renders == ["svg", "png"]
    assert chart_cache.entries() == 2


def test_another_worker_serves_the_stored_chart_without_drawing_it(client, bearer, second_worker, renders):
    first = client.get(SATISFACTION, headers=bearer)
    assert renders == ["svg"]
    other = second_worker.test_client().get(SATISFACTION, headers=bearer)
    assert other.status_code == 200 and other.data == first.data
    assert other.headers["ETag"] == first.headers["ETag"]
    assert renders == ["svg"]
    revalidated = second_worker.test_client().get(SATISFACTION, headers={**bearer, "If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and renders == ["svg"]


def test_two_workers_missing_at_once_both_answer_and_store_it_once(client, bearer, second_worker, monkeypatch):
    """While this worker draws, the other draws and stores the same chart: this one's insert then
    does nothing, and both answer 200 with the same bytes."""
    other = second_worker.test_client()
    render = charts.render
    answers = []

    def meanwhile_the_other_stores_it(chart, fmt):
        content = render(chart, fmt)
        if not answers:
            answers.append(None)
            answers.append(other.get(SATISFACTION, headers=bearer))
        return content

    monkeypatch.setattr(charts, "render", meanwhile_the_other_stores_it)
    mine = client.get(SATISFACTION, headers=bearer)
    theirs = answers[1]
    assert mine.status_code == theirs.status_code == 200 and mine.data == theirs.data
    assert chart_cache.entries() == 1


def test_a_304_runs_a_handful_of_statements_and_draws_nothing(client, bearer, renders):
    etag = client.get(SATISFACTION, headers=bearer).headers["ETag"]
    with counting_queries() as statements:
        response = client.get(SATISFACTION, headers={**bearer, "If-None-Match": etag})
    assert response.status_code == 304 and not response.data
    assert not [s for s in statements if "chart_cache" in s], "a 304 reads no stored bytes"
    assert len(statements) <= MOST_FOR_A_304, "\n".join(s[:90].replace("\n", " ") for s in statements)
    with counting_queries() as cached:
        assert client.get(SATISFACTION, headers=bearer).status_code == 200
    assert len(cached) == len(statements) + 1, cached  # and the stored bytes
    assert renders == ["svg"]
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_the_statements_do_not_grow_with_the_answers(ctx, client, lead, renders):
    bearer = {"Authorization": f"Bearer {builders.make_token(lead)}"}
    counted = []
    for key, responses in (("few-2027", 30), ("many-2027", 300)):
        _rollout, wave = open_wave(lead, n=2, key=key)
        builders.bulk_responses(wave, responses)
        path = f"/rollouts/{key}/charts/satisfaction.svg"
        etag = client.get(path, headers=bearer).headers["ETag"]
        with counting_queries() as statements:
            assert client.get(path, headers={**bearer, "If-None-Match": etag}).status_code == 304
        counted.append(len(statements))
    assert counted[0] == counted[1]


def _changes(client, bearer, path: str, change) -> None:
    """`change()` makes the chart at `path` answer a matching If-None-Match with new bytes and a new ETag."""
    before = client.get(path, headers=bearer)
    assert before.status_code == 200
    change()
    after = client.get(path, headers={**bearer, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, "the old ETag still matched"
    assert after.headers["ETag"] != before.headers["ETag"] and after.data != before.data


def test_a_new_answer_and_an_edit_change_the_chart(client, bearer, answered):
    _rollout, wave = answered
    links = tokens(wave)
    _changes(client, bearer, SATISFACTION, lambda: feedback.submit(links["winp8"], {**GOOD, "satisfaction": 1}))
    # an edit keeps the count of responses and changes only the rating
    _changes(client, bearer, SATISFACTION, lambda: feedback.submit(links["winp8"], {**GOOD, "satisfaction": 5}))
    _changes(client, bearer, "/rollouts/win11-2027/charts/question-worked_day_one.svg",
             lambda: feedback.submit(links["winp8"], {**GOOD, "worked_day_one": "no"}))


def test_a_problem_report_and_a_lesson_change_their_charts(client, bearer, answered, lead):
    rollout, wave = answered
    _changes(client, bearer, "/rollouts/win11-2027/charts/problems.svg", lambda: feedback.report_problem(
        tokens(wave)["winp3"], {"category": "printing", "severity": "minor", "description": "x"}))
    path = "/rollouts/win11-2027/charts/lessons.svg"
    raised = []
    _changes(client, bearer, path, lambda: raised.append(
        lessons.create_lesson(rollout, {"title": "Driver", "origin_wave": 0}, lead)))
    _changes(client, bearer, path, lambda: lessons.delete_lesson(raised[0], lead))


def test_raising_an_anonymous_rollouts_k_hides_the_answers_in_the_chart(ctx, client, lead):
    rollout, wave = open_wave(lead, n=8, anonymous=True)
    answer_all(wave, [5, 4, 4, 2, 3])
    bearer = {"Authorization": f"Bearer {builders.make_token(lead)}"}
    _changes(client, bearer, SATISFACTION, lambda: rollouts.update_rollout(
        rollout, {"name": rollout.name, "anonymous": True, "anonymity_k": 6}, lead))
    with force_locale("en"):
        alt = chart_data.describe(chart_data.gather(rollout, "satisfaction", "en", lead))["alt"]
    assert "5 have answered; the answers stay hidden until 6 have" in alt


def test_each_language_has_its_own_chart(client, bearer, renders):
    swedish = client.get(SATISFACTION, headers=bearer)
    client.get("/language/en")
    english = client.get(SATISFACTION, headers={**bearer, "If-None-Match": swedish.headers["ETag"]})
    assert english.status_code == 200
    assert swedish.headers["ETag"] != english.headers["ETag"] and swedish.data != english.data
    assert renders == ["svg", "svg"]


def test_the_reviewers_chart_is_the_leads_and_an_outsider_gets_none(client, bearer, answered, lead, renders):
    rollout, _wave = answered
    reviewer = builders.make_user("rev@example.se", "Rita Reviewer", creator=False)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    outsider = builders.make_user("out@example.se", "Otto Outsider", creator=False)
    first = client.get(SATISFACTION, headers=bearer)
    as_reviewer = client.get(SATISFACTION, headers={"Authorization": f"Bearer {builders.make_token(reviewer)}"})
    assert as_reviewer.status_code == 200 and as_reviewer.data == first.data and renders == ["svg"]
    stranger = {"Authorization": f"Bearer {builders.make_token(outsider)}"}
    assert client.get(SATISFACTION, headers=stranger).status_code == 404
    assert client.get(SATISFACTION, headers={**stranger, "If-None-Match": first.headers["ETag"]}).status_code == 404
    assert client.get(SATISFACTION).status_code == 401


def test_pruning_keeps_the_most_recently_used_and_drops_the_old(client, bearer, answered, monkeypatch):
    names = ["satisfaction", "response-rate", "problems", "lessons", "timeline"]
    for name in names:
        assert client.get(f"/rollouts/win11-2027/charts/{name}.svg", headers=bearer).status_code == 200
    assert chart_cache.entries() == 5
    monkeypatch.setattr(chart_cache, "MAX_ENTRIES", 3)
    # a week on, one chart has been read again (its last use is written once it is an hour old)
    later = utcnow() + timedelta(hours=2)
    rollout = rollouts.get_rollout("win11-2027", None)
    chart_cache.image(chart_data.gather(rollout, "lessons", "sv", None), "svg", now=later)
    assert db.session.get(CachedChart, chart_data.gather(rollout, "lessons", "sv", None).fingerprint("svg")) \
        .last_used_at == later
    assert chart_cache.prune() == 2
    assert chart_cache.entries() == 3
    assert chart_cache.prune(later + chart_cache.MAX_AGE - timedelta(minutes=1)) == 2  # unused for longer than MAX_AGE
    assert chart_cache.entries() == 1
    reconcile.tick(later + chart_cache.MAX_AGE + timedelta(minutes=1))  # the tick prunes too
    assert chart_cache.entries() == 0
