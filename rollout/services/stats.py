"""Intervals for small samples, computed from counts and sums that SQL
aggregates: a Wilson score interval for shares and a Student t interval for
means. No SciPy: the t quantile comes from the regularised incomplete beta
function, inverted by bisection (exact to well below the shown precision)."""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Optional

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
ROUNDING = 4 * sys.float_info.epsilon  # per value summed: the error a float sum of squares may carry


@dataclass(frozen=True)
class Estimate:
    """A value with its 95 % interval; value None when there is nothing to estimate."""

    value: Optional[float]
    low: Optional[float]
    high: Optional[float]
    n: int

    def as_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def wilson(successes: int, n: int, z: float = Z95) -> Estimate:
    """The share successes / n with its Wilson score interval (good at 0 %, 100 % and small n)."""
    if n <= 0:
        return Estimate(None, None, None, 0)
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)  # exact at the ends, not 0.999...
    return Estimate(p, low, high, n)


def mean_interval(n: int, total: float, total_of_squares: float) -> Estimate:
    """The mean of n values (given their sum and sum of squares) with its t interval.
    With n = 1 there is a mean but no interval."""
    if n <= 0:
        return Estimate(None, None, None, 0)
    mean = total / n
    if n == 1:
        return Estimate(mean, None, None, 1)
    spread = total_of_squares - n * mean * mean
    if spread <= ROUNDING * n * total_of_squares:
        # below what rounding the sums leaves behind: five answers of 0.1 have no spread, though
        # their sums say about 1e-17, which would show an interval (and a change) nobody gave
        spread = 0.0
    variance = spread / (n - 1)
    half = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half, n)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with df degrees of freedom (0.5 < p < 1)."""
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


def share_difference(before: Estimate, after: Estimate) -> Estimate:
    """after - before for two independent shares, with Newcombe's hybrid score interval
    (method 10), built from the two Wilson intervals; good for small samples too."""
    if before.value is None or after.value is None:
        return Estimate(None, None, None, 0)
    difference = after.value - before.value
    # a share's interval comes with its value
    assert after.low is not None and after.high is not None and before.low is not None and before.high is not None
    low = difference - math.sqrt((after.value - after.low) ** 2 + (before.high - before.value) ** 2)
    high = difference + math.sqrt((after.high - after.value) ** 2 + (before.value - before.low) ** 2)
    return Estimate(difference, max(-1.0, low), min(1.0, high), min(before.n, after.n))


def mean_difference(before: Estimate, after: Estimate) -> Estimate:
    """after - before for two independent means, with Welch's t interval. The standard
    errors are recovered from the two t intervals; a mean of one value has none."""
    if before.value is None or after.value is None:
        return Estimate(None, None, None, 0)
    difference = after.value - before.value
    if before.low is None or after.low is None:
        return Estimate(difference, None, None, min(before.n, after.n))
    assert before.high is not None and after.high is not None  # the high end comes with the low one
    se_before = (before.high - before.value) / t_quantile(0.975, before.n - 1)
    se_after = (after.high - after.value) / t_quantile(0.975, after.n - 1)
    variance = se_before ** 2 + se_after ** 2
    if variance == 0:
        # no spread at all (two answers of 4, two of 5): nothing to tell luck from a change
        return Estimate(difference, None, None, min(before.n, after.n))
    # Welch-Satterthwaite, written in each side's share of the variance: the same number, but
    # se ** 4 of small values (hours of 1e-90) underflows to 0 and would divide by zero
    share_before, share_after = se_before ** 2 / variance, se_after ** 2 / variance
    df = 1 / (share_before ** 2 / (before.n - 1) + share_after ** 2 / (after.n - 1))
    half = t_quantile(0.975, df) * math.sqrt(variance)
    return Estimate(difference, difference - half, difference + half, min(before.n, after.n))
