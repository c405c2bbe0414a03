"""Properties of the statistics (rollout/services/stats.py) on generated data, against SciPy:
Wilson intervals for shares, t intervals for means, Newcombe's interval for a change in a
share, Welch's for a change in a mean. Data as the results page feeds them: counts, and the
sum and sum of squares that SQL aggregates, including the edges (0, everyone, n = 1, ties)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from rollout.services.stats import Estimate, mean_difference, mean_interval, share_difference, t_quantile, wilson

# Bounded and the same on every run: a failure here is a failure everywhere.
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None, database=None)

ratings = st.integers(1, 5)
nps_scores = st.integers(0, 10)
whole_hours = st.integers(0, 200)
# hours lost as people type them: 0.25, 1.5, 2.1 ... (numbers that binary floats cannot hold exactly)
decimal_hours = st.integers(0, 20000).map(lambda hundredths: hundredths / 100)
tied_hours = st.tuples(decimal_hours, st.integers(2, 30)).map(lambda tied: [tied[0]] * tied[1])
answers = st.one_of(st.lists(ratings, min_size=1, max_size=80), st.lists(nps_scores, min_size=1, max_size=80),
                    st.lists(whole_hours, min_size=1, max_size=80))


def counts(max_n: int = 2000):
    return st.integers(1, max_n).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


def sums(values) -> tuple[int, float, float]:
    """What the results query hands over: count, SUM(x), SUM(x * x), added up in order as SQL does."""
    total = squares = 0.0
    for value in values:
        total += float(value)
        squares += float(value) * float(value)
    return len(values), total, squares


def estimate_of(values) -> Estimate:
    return mean_interval(*sums(values))


def scipy_wilson(successes: int, n: int) -> tuple[float, float]:
    ci = scipy_stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def scipy_mean_interval(values) -> tuple[float, float]:
    sample = np.asarray(values, dtype=float)
    if np.all(sample == sample[0]):
        return float(sample[0]), float(sample[0])  # no spread: SciPy answers nan, the interval is the value
    ci = scipy_stats.ttest_1samp(sample, 0.0).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def newcombe(before: tuple[int, int], after: tuple[int, int]) -> tuple[float, float]:
    """Newcombe (1998) method 10 for after - before, built from SciPy's Wilson intervals."""
    (k1, n1), (k2, n2) = before, after
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = scipy_wilson(k1, n1)
    l2, u2 = scipy_wilson(k2, n2)
    d = p2 - p1
    return d - math.hypot(p2 - l2, u1 - p1), d + math.hypot(u2 - p2, p1 - l1)


def close(value: float, reference: float, scale: float = 1.0) -> bool:
    return math.isclose(value, reference, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


# --- shares: the Wilson interval ---------------------------------------------------------------

@SETTINGS
@given(counts())
@example((0, 1)).via("nobody of one")
@example((1, 1)).via("everyone of one")
@example((0, 2000)).via("nobody of many")
@example((2000, 2000)).via("everyone of many")
def test_wilson_agrees_with_scipy(count):
    successes, n = count
    estimate = wilson(successes, n)
    low, high = scipy_wilson(successes, n)
    assert estimate.value == successes / n and estimate.n == n
    assert estimate.low == pytest.approx(low, abs=1e-12)
    assert estimate.high == pytest.approx(high, abs=1e-12)


@SETTINGS
@given(counts())
def test_a_share_lies_in_its_interval_which_lies_in_0_to_1(count):
    successes, n = count
    estimate = wilson(successes, n)
    assert 0.0 <= estimate.low <= estimate.value <= estimate.high <= 1.0
    # the ends are exact (a page shows 0 % .. and .. 100 %, never 99.99999 %), and only there
    assert (estimate.low == 0.0) == (successes == 0)
    assert (estimate.high == 1.0) == (successes == n)


@SETTINGS
@given(counts(1999))
def test_one_more_satisfied_person_never_lowers_the_interval(count):
    successes, n = count
    assume(successes < n)
    fewer, more = wilson(successes, n), wilson(successes + 1, n)
    assert more.low > fewer.low and more.high > fewer.high


@SETTINGS
@given(counts())
def test_the_share_of_no_mirrors_the_share_of_yes(count):
    successes, n = count
    yes, no = wilson(successes, n), wilson(n - successes, n)
    assert yes.low == pytest.approx(1 - no.high, abs=1e-12)
    assert yes.high == pytest.approx(1 - no.low, abs=1e-12)


@SETTINGS
@given(st.integers(-5, 0), st.integers(0, 5))
def test_no_one_asked_is_no_estimate_and_more_yes_than_asked_is_refused(n, extra):
    assert wilson(0, n) == Estimate(None, None, None, 0)
    with pytest.raises(ValueError):
        wilson(3 + extra, 2)
    with pytest.raises(ValueError):
        wilson(-1 - extra, 2)


# --- means: the t interval ---------------------------------------------------------------------

@SETTINGS
@given(st.one_of(st.integers(1, 10_000), st.floats(1.0, 1e5)))
def test_t_quantile_agrees_with_scipy(df):
    assert t_quantile(0.975, df) == pytest.approx(float(scipy_stats.t.ppf(0.975, df)), rel=1e-9)


@SETTINGS
@given(answers)
@example([4]).via("one answer")
@example([3, 3, 3]).via("all tied")
@example([1, 5]).via("two far apart")
def test_mean_interval_agrees_with_scipy(values):
    estimate = estimate_of(values)
    assert estimate.n == len(values)
    assert estimate.value == pytest.approx(float(np.mean(values)), rel=1e-12, abs=1e-12)
    if len(values) == 1:
        assert estimate.low is None and estimate.high is None  # one answer has no spread to measure
        return
    low, high = scipy_mean_interval(values)
    assert close(estimate.low, low, max(values)) and close(estimate.high, high, max(values))


@SETTINGS
@given(st.lists(decimal_hours, min_size=2, max_size=60))
@example([0.1] * 5).via("five answers of 0.1")
@example([12.6] * 11).via("eleven answers of 12.6")
def test_mean_interval_of_decimal_hours_agrees_with_scipy(values):
    estimate = estimate_of(values)
    low, high = scipy_mean_interval(values)
    if len(set(values)) == 1:
        # tied answers have no spread: no interval wider than the value, whatever the rounding
        assert estimate.low == estimate.value == estimate.high
        assert estimate.value == pytest.approx(values[0], rel=1e-12)
    else:
        # the sums lose some digits to rounding when the answers are close together
        tolerance = 1e-9 * max(values) + 1e-6 * (high - low)
        assert abs(estimate.low - low) <= tolerance and abs(estimate.high - high) <= tolerance


@SETTINGS
@given(answers)
def test_a_mean_lies_in_the_middle_of_its_interval(values):
    estimate = estimate_of(values)
    assume(estimate.low is not None)
    assert min(values) <= estimate.value <= max(values)
    assert estimate.low <= estimate.value <= estimate.high
    assert estimate.value - estimate.low == pytest.approx(estimate.high - estimate.value, rel=1e-9, abs=1e-12)


@SETTINGS
@given(answers.filter(lambda values: len(values) >= 2), st.integers(-400, 400))
def test_a_mean_interval_does_not_depend_on_the_unit(values, power):
    """Hours or seconds, the same answers give the same interval in that unit (a power of two
    scales floats exactly, so the intervals scale exactly too)."""
    scale = 2.0 ** power
    plain, scaled = estimate_of(values), estimate_of([v * scale for v in values])
    assert (scaled.value, scaled.low, scaled.high) == (plain.value * scale, plain.low * scale, plain.high * scale)


# --- changes between two waves -----------------------------------------------------------------

@pytest.mark.parametrize("before,after,expected", [
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10 (as a - b: before is b)
    ((48, 80), (56, 70), (0.0524, 0.3339)),
    ((3, 10), (9, 10), (0.1705, 0.8090)),
    ((2, 7), (6, 7), (0.0582, 0.8062)),
    ((0, 29), (5, 56), (-0.0381, 0.1926)),
    ((0, 20), (0, 10), (-0.1611, 0.2775)),
    ((0, 20), (10, 10), (0.6791, 1.0)),
])
def test_newcombe_reference_and_service_reproduce_the_published_table(before, after, expected):
    reference = newcombe(before, after)
    service = share_difference(wilson(*before), wilson(*after))
    for value in (reference, (service.low, service.high)):
        assert value == (pytest.approx(expected[0], abs=1e-4), pytest.approx(expected[1], abs=1e-4))


@SETTINGS
@given(counts(500), counts(500))
def test_share_difference_is_newcombes_interval(before, after):
    change = share_difference(wilson(*before), wilson(*after))
    low, high = newcombe(before, after)
    assert change.value == pytest.approx(after[0] / after[1] - before[0] / before[1], abs=1e-15)
    assert change.low == pytest.approx(max(-1.0, low), abs=1e-12)
    assert change.high == pytest.approx(min(1.0, high), abs=1e-12)


@SETTINGS
@given(counts(500), counts(500))
def test_a_change_in_share_lies_in_its_interval_and_reverses_with_the_waves(before, after):
    forward = share_difference(wilson(*before), wilson(*after))
    backward = share_difference(wilson(*after), wilson(*before))
    assert -1.0 <= forward.low <= forward.value <= forward.high <= 1.0
    assert backward.value == pytest.approx(-forward.value, abs=1e-15)
    assert (backward.low, backward.high) == (pytest.approx(-forward.high, abs=1e-12),
                                             pytest.approx(-forward.low, abs=1e-12))


def test_a_change_without_data_on_one_side_is_no_estimate():
    nothing = wilson(0, 0)
    assert share_difference(nothing, wilson(3, 4)).value is None
    assert mean_difference(estimate_of([3, 4]), mean_interval(0, 0, 0)).value is None


def scipy_welch(before, after) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # one tied side: SciPy's own arithmetic is fine
        ci = scipy_stats.ttest_ind(np.asarray(after, float), np.asarray(before, float),
                                   equal_var=False).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


@SETTINGS
@given(answers, answers)
@example([4, 4], [5, 5]).via("tied on both sides")
@example([4, 4, 4], [1, 5]).via("tied before")
@example([3], [1, 2, 3]).via("one answer before")
def test_mean_difference_is_welchs_interval(before, after):
    change = mean_difference(estimate_of(before), estimate_of(after))
    assert change.value == pytest.approx(float(np.mean(after) - np.mean(before)), rel=1e-12, abs=1e-12)
    if len(before) == 1 or len(after) == 1 or (len(set(before)) == 1 and len(set(after)) == 1):
        # a side without spread to measure, or no spread at all: nothing tells luck from a change
        assert change.low is None and change.high is None
        return
    low, high = scipy_welch(before, after)
    scale = max(max(before), max(after))
    assert close(change.low, low, scale) and close(change.high, high, scale)


@SETTINGS
@given(tied_hours, tied_hours)
@example([0.1] * 5, [0.2] * 5).via("five of 0.1 hours, then five of 0.2")
def test_tied_decimal_hours_are_no_evidence_of_a_change_either(before, after):
    """Five people lost 0.1 h, then five lost 0.2 h: as with whole numbers, no spread means no
    interval -- never a certain change made of rounding noise."""
    change = mean_difference(estimate_of(before), estimate_of(after))
    assert change.low is None and change.high is None


@SETTINGS
@given(answers.filter(lambda v: len(v) >= 2), answers.filter(lambda v: len(v) >= 2), st.integers(-400, 400))
def test_a_change_in_mean_does_not_depend_on_the_unit(before, after, power):
    """Tiny or huge numbers (seconds of 2**-400 hours, say) give the same interval, scaled:
    the degrees of freedom must not under- or overflow on the way."""
    scale = 2.0 ** power
    plain = mean_difference(estimate_of(before), estimate_of(after))
    scaled = mean_difference(estimate_of([v * scale for v in before]), estimate_of([v * scale for v in after]))
    assert scaled.value == pytest.approx(plain.value * scale, rel=1e-12, abs=1e-300)
    if plain.low is None:
        assert scaled.low is None and scaled.high is None
    else:
        assert scaled.low == pytest.approx(plain.low * scale, rel=1e-9)
        assert scaled.high == pytest.approx(plain.high * scale, rel=1e-9)


@SETTINGS
@given(answers.filter(lambda v: len(v) >= 2), answers.filter(lambda v: len(v) >= 2))
def test_a_change_in_mean_lies_in_its_interval_and_reverses_with_the_waves(before, after):
    forward = mean_difference(estimate_of(before), estimate_of(after))
    backward = mean_difference(estimate_of(after), estimate_of(before))
    assert backward.value == pytest.approx(-forward.value, rel=1e-12, abs=1e-12)
    if forward.low is None:
        assert backward.low is None
        return
    assert forward.low <= forward.value <= forward.high
    assert (backward.low, backward.high) == (pytest.approx(-forward.high, rel=1e-9, abs=1e-9),
                                             pytest.approx(-forward.low, rel=1e-9, abs=1e-9))
