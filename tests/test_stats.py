"""Intervals against independent values (textbook tables and published examples)."""
from __future__ import annotations

import math

import pytest

from rollout.services.stats import mean_interval, t_quantile, wilson


@pytest.mark.parametrize("df,expected", [
    (1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (5, 2.5706), (9, 2.2622), (11, 2.2010),
    (20, 2.0860), (30, 2.0423), (60, 2.0003), (120, 1.9799), (1000, 1.9623)])
def test_t_quantiles_match_the_table(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-5)


def test_wilson_matches_published_values():
    # Newcombe (1998), table I: 81/263 -> 0.2553 .. 0.3662
    estimate = wilson(81, 263)
    assert estimate.value == pytest.approx(81 / 263)
    assert (estimate.low, estimate.high) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))
    # 15/148 -> 0.0624 .. 0.1605 (same source)
    estimate = wilson(15, 148)
    assert (estimate.low, estimate.high) == (pytest.approx(0.0624, abs=1e-4), pytest.approx(0.1605, abs=1e-4))


def test_wilson_at_0_and_100_percent_and_small_n():
    none = wilson(0, 10)
    assert none.value == 0 and none.low == 0 and none.high == pytest.approx(0.2775, abs=1e-4)
    everyone = wilson(10, 10)
    assert everyone.value == 1 and everyone.high == 1 and everyone.low == pytest.approx(0.7225, abs=1e-4)
    one = wilson(1, 1)
    assert one.value == 1 and one.low == pytest.approx(0.2065, abs=1e-4)  # one happy person proves little
    assert wilson(0, 0).value is None
    with pytest.raises(ValueError):
        wilson(3, 2)


def _sums(values):
    return len(values), sum(values), sum(v * v for v in values)


def test_mean_interval_matches_a_hand_calculation():
    values = [4, 5, 3, 4, 5, 2, 4, 4]
    n, total, squares = _sums(values)
    estimate = mean_interval(n, total, squares)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = 2.3646 * sd / math.sqrt(n)  # t(0.975, 7)
    assert estimate.value == pytest.approx(3.875)
    assert (estimate.low, estimate.high) == (pytest.approx(mean - half, abs=1e-3), pytest.approx(mean + half, abs=1e-3))


def test_mean_interval_with_one_and_no_values():
    assert mean_interval(1, 4, 16).value == 4 and mean_interval(1, 4, 16).low is None
    assert mean_interval(0, 0, 0).value is None
    same = mean_interval(*_sums([3, 3, 3]))
    assert (same.low, same.high) == (3, 3)
