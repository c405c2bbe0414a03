"""Intervals stay within the scale: a mean of ratings 1-5 never shows an end above 5, hours lost
never below 0. The reference is scipy's t-interval, cut to the scale."""
from __future__ import annotations

import pytest
from scipy import stats as scipy_stats

from rollout.services.results import wave_results

from .test_feedback import open_wave
from .test_results import answer_all


def _reference(values: list[float], least: float, most: float) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    low, high = scipy_stats.t.interval(0.95, n - 1, loc=mean, scale=scipy_stats.sem(values))
    return max(low, least), min(high, most)


@pytest.mark.parametrize("ratings", [[5, 5, 5, 4, 2], [1, 1, 2, 5], [5, 4, 5]])
def test_a_rating_means_interval_stays_within_one_to_five(ctx, lead, ratings):
    rollout, wave = open_wave(lead, n=len(ratings))
    answer_all(wave, ratings)
    mean = wave_results(wave, lead).questions["satisfaction"].mean
    unbounded_high = scipy_stats.t.interval(0.95, len(ratings) - 1, loc=sum(ratings) / len(ratings),
                                            scale=scipy_stats.sem(ratings))[1]
    low, high = _reference([float(r) for r in ratings], 1.0, 5.0)
    assert mean.low == pytest.approx(low, abs=1e-6) and mean.high == pytest.approx(high, abs=1e-6)
    assert 1.0 <= mean.low <= mean.value <= mean.high <= 5.0
    if unbounded_high > 5:
        assert mean.high == 5.0  # the t-interval alone would have gone past the scale


def test_hours_lost_are_never_below_zero(ctx, lead):
    hours = [0, 0, 0, 4, 0]
    rollout, wave = open_wave(lead, n=5)
    answer_all(wave, [4] * 5, hours=hours)
    results = wave_results(wave, lead)
    mean = results.questions["hours_lost"].mean
    low, high = _reference([float(h) for h in hours], 0.0, 200.0)
    assert mean.low == 0.0 == low and mean.high == pytest.approx(high, abs=1e-6)
    assert results.hours_lost["mean"]["low"] == 0.0
