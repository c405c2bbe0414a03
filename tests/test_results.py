"""Wave results: aggregated in SQL, with intervals, hidden for small anonymous groups."""
from __future__ import annotations

from rollout.extensions import db
from rollout.services import feedback, results
from rollout.services.stats import mean_interval, wilson

from .helpers import counting_queries
from .test_feedback import open_wave, tokens


def answer_all(wave, ratings, hours=None, day_one=None):
    for i, (_person, token) in enumerate(sorted(tokens(wave).items())):
        if i >= len(ratings):
            break
        answers = {"satisfaction": ratings[i], "worked_day_one": (day_one or ["yes"] * len(ratings))[i]}
        if hours:
            answers["hours_lost"] = hours[i]
        feedback.submit(token, answers)


def test_results_match_an_independent_calculation(ctx, lead):
    rollout, wave = open_wave(lead, n=10)
    ratings = [5, 4, 4, 2, 3, 5, 1, 4]
    answer_all(wave, ratings, hours=[0, 1, 2, 0, 4, 0, 8, 1], day_one=["yes"] * 6 + ["no", "yes"])
    token = tokens(wave)["winp1"]
    feedback.report_problem(token, {"category": "login", "severity": "blocker", "description": "x"})
    feedback.report_problem(token, {"category": "printing", "severity": "minor", "description": "y"})
    feedback.report_problem(token, {"category": "printing", "severity": "minor", "description": "z"})
    r = results.wave_results(wave, lead)
    assert (r.invited, r.responded) == (10, 8)
    assert r.response_rate == wilson(8, 10)
    satisfaction = r.questions["satisfaction"]
    assert satisfaction.satisfied == wilson(5, 8)
    assert satisfaction.mean == mean_interval(8, sum(ratings), sum(x * x for x in ratings))
    assert satisfaction.distribution == {"1": 1, "2": 1, "3": 1, "4": 3, "5": 2}
    assert r.questions["worked_day_one"].share_yes == wilson(7, 8)
    assert r.hours_lost["total"] == 16
    assert r.problems["by_category"] == {"login": {"count": 1, "per_100": 10.0, "reporters": 1},
                                         "printing": {"count": 2, "per_100": 20.0, "reporters": 1}}
    assert r.problems["reporters"] == 1  # one person reported all three
    assert r.problems["open_blockers"] == 1 and r.problems["per_100"] == 30.0
    assert r.questions["went_well"].answered == 0


def test_an_edit_changes_the_results_not_the_count(ctx, lead):
    rollout, wave = open_wave(lead, n=3)
    token = tokens(wave)["winp1"]
    feedback.submit(token, {"satisfaction": 1, "worked_day_one": "no"})
    feedback.submit(token, {"satisfaction": 5, "worked_day_one": "yes"})
    r = results.wave_results(wave, lead)
    assert r.responded == 1 and r.questions["satisfaction"].distribution["5"] == 1
    assert r.questions["satisfaction"].distribution["1"] == 0


def test_small_anonymous_groups_are_hidden(ctx, lead):
    rollout, wave = open_wave(lead, n=8, anonymous=True)
    answer_all(wave, [5, 4, 4])
    r = results.wave_results(wave, lead)
    assert r.hidden and r.responded == 3
    assert r.questions["satisfaction"].satisfied is None and r.questions["satisfaction"].distribution == {}
    answer_all(wave, [5, 4, 4, 2, 3])
    assert not results.wave_results(wave, lead).hidden


def test_a_wave_without_feedback_has_empty_results(ctx, lead):
    from . import builders
    builders.make_people(3)
    rollout = builders.make_rollout(lead=lead)
    wave = builders.make_wave(rollout, lead, percentage=100)
    r = results.wave_results(wave, lead)
    assert (r.invited, r.responded, r.response_rate.value) == (0, 0, None) and r.questions == {}


def _queries(fn) -> int:
    with counting_queries() as statements:
        fn()
    return len(statements)


def test_results_take_the_same_number_of_queries_at_any_size(ctx, lead):
    counts = []
    for size in (10, 150):
        rollout, wave = open_wave(lead, n=size, key=f"size-{size}")
        answer_all(wave, [1 + i % 5 for i in range(size)], hours=[i % 3 for i in range(size)])
        db.session.expire_all()
        counts.append(_queries(lambda w=wave: results.wave_results(db.session.get(type(w), w.id), lead).as_dict()))
    assert counts[0] == counts[1] <= 12
