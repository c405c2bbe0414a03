"""Properties of the gate's verdict (rollout/services/gates.py) on generated wave results: it
follows DESIGN's rule on the intervals (here SciPy's Wilson intervals, not our own), a small
pilot neither passes on luck nor fails on it, and better evidence never makes it worse."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from rollout.services import gates
from rollout.services.results import QuestionResult, WaveResults
from rollout.services.stats import wilson

from . import builders

# The examples share one wave; each sets its own gate and results, so nothing carries over.
SETTINGS = settings(max_examples=120, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
RANK = {"no_go": 0, "insufficient_evidence": 1, "go": 2}

shares = st.integers(0, 20).map(lambda twentieths: twentieths / 20)
gate_settings = st.fixed_dictionaries({
    "min_responses": st.integers(0, 25), "min_response_rate": shares, "min_satisfied": shares,
    "max_open_blockers": st.integers(0, 2)})


@st.composite
def evidence(draw):
    """(invited, responded, satisfied, open blockers), as a wave in review can have them."""
    invited = draw(st.integers(0, 60))
    responded = draw(st.integers(0, invited))
    satisfied = draw(st.integers(0, responded))
    blockers = draw(st.sampled_from([0, 0, 0, 1, 2]))
    return invited, responded, satisfied, blockers


@pytest.fixture
def wave(ctx):
    return builders.make_wave(builders.make_rollout("gate-properties"), percentage=100)


def results_for(wave, invited, responded, satisfied, blockers) -> WaveResults:
    question = QuestionResult("satisfaction", "rating", {"sv": "Nöjd?", "en": "Satisfied?"}, responded,
                              satisfied=wilson(satisfied, responded))
    problems = {"total": blockers, "open_blockers": blockers, "by_category": {},
                "by_severity": {"blocker": blockers, "major": 0, "minor": 0}, "per_100": None, "reporters": None}
    return WaveResults(wave, invited, responded, wilson(responded, invited), {"satisfaction": question}, problems,
                       None, False)


def verdict(wave, gate, invited, responded, satisfied, blockers) -> str:
    wave.gate_overrides = gate
    return gates.evaluate(wave, results_for(wave, invited, responded, satisfied, blockers)).verdict


def share_passes(successes: int, n: int, threshold: float):
    """DESIGN: passes on the pessimistic end, fails when even the optimistic end is short."""
    if n == 0:
        return None
    ci = scipy_stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    low = 0.0 if successes == 0 else float(ci.low)
    high = 1.0 if successes == n else float(ci.high)
    # a bound a rounding error away from the threshold could go either way in any implementation
    assume(successes == 0 or abs(low - threshold) > 1e-9)
    assume(successes == n or abs(high - threshold) > 1e-9)
    if low >= threshold:
        return True
    if high < threshold:
        return False
    return None


def expected_verdict(gate, invited, responded, satisfied, blockers) -> str:
    minimum = gate["min_responses"]
    passed = [True if responded >= minimum else False if invited < minimum else None,
              share_passes(responded, invited, gate["min_response_rate"]),
              share_passes(satisfied, responded, gate["min_satisfied"]),
              blockers <= gate["max_open_blockers"]]
    if blockers > 0 or False in passed:
        return "no_go"
    return "go" if all(passed) else "insufficient_evidence"


@SETTINGS
@given(gate=gate_settings, seen=evidence())
def test_the_verdict_follows_the_rule_on_the_intervals(wave, gate, seen):
    assert verdict(wave, gate, *seen) == expected_verdict(gate, *seen)


@SETTINGS
@given(gate=gate_settings, seen=evidence())
def test_a_go_means_every_threshold_is_met_and_a_no_go_that_one_is_missed(wave, gate, seen):
    """Whatever the intervals: a go never rests on a share below its threshold, and a no-go
    (without a blocker) never on shares that all meet theirs."""
    invited, responded, satisfied, blockers = seen
    result = verdict(wave, gate, *seen)
    if result == "go":
        assert blockers == 0 and responded >= gate["min_responses"]
        assert responded / invited >= gate["min_response_rate"]
        assert satisfied / responded >= gate["min_satisfied"]
    if result == "no_go" and blockers == 0:
        assert (invited < gate["min_responses"] or (invited and responded / invited < gate["min_response_rate"])
                or (responded and satisfied / responded < gate["min_satisfied"]))


@SETTINGS
@given(pilot=st.integers(1, 5).flatmap(lambda size: st.tuples(st.just(size), st.integers(0, size))))
def test_a_small_pilot_neither_passes_on_luck_nor_fails_on_it(wave, pilot):
    """The default shares and a pilot of at most five, all of whom answer (and a gate that asks
    for no more answers than that): even if all are satisfied it is no go-ahead, and a couple of
    unhappy ones out of three to five are no failure."""
    size, satisfied = pilot
    result = verdict(wave, {**gates.DEFAULTS, "min_responses": size}, size, size, satisfied, 0)
    assert result != "go"
    if size >= 3 and satisfied >= size - 2:
        assert result != "no_go"


@SETTINGS
@given(gate=gate_settings, seen=evidence())
def test_one_more_satisfied_answer_never_makes_the_verdict_worse(wave, gate, seen):
    invited, responded, satisfied, blockers = seen
    assume(satisfied < responded)
    before = verdict(wave, gate, invited, responded, satisfied, blockers)
    after = verdict(wave, gate, invited, responded, satisfied + 1, blockers)
    assert RANK[after] >= RANK[before]


@SETTINGS
@given(gate=gate_settings, seen=evidence(), blockers=st.integers(1, 3))
def test_an_open_blocker_is_always_a_no_go(wave, gate, seen, blockers):
    """Even with a gate that tolerates open blockers, and the best answers (DESIGN: no-go when
    a blocker is open)."""
    invited, responded, satisfied, _ = seen
    assert verdict(wave, gate, invited, responded, satisfied, blockers) == "no_go"
    assert verdict(wave, gate, invited, responded, responded, blockers) == "no_go"
