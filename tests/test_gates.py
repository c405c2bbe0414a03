"""Gate verdicts: a small pilot that looks good but is inconclusive, a clear go,
a clear no-go, and an open blocker."""
from __future__ import annotations

import pytest

from rollout.services import feedback, gates
from rollout.services.errors import ValidationFailed

from .test_feedback import open_wave, tokens
from .test_results import answer_all


def verdict(wave):
    evaluation = gates.evaluate(wave)
    return evaluation.verdict, {c.name: c.passed for c in evaluation.criteria}


def test_a_small_pilot_that_looks_good_is_inconclusive(ctx, lead):
    rollout, wave = open_wave(lead, n=6)
    answer_all(wave, [5, 4, 5, 4, 5])  # 5 of 6 answered, all satisfied
    result, passed = verdict(wave)
    assert result == "insufficient_evidence"
    assert passed["min_responses"] is True
    assert passed["min_satisfied"] is None  # 100 % of 5 is 57-100 %: could be below 60 %
    assert passed["min_response_rate"] is None


def test_a_clear_go(ctx, lead):
    rollout, wave = open_wave(lead, n=40)
    answer_all(wave, [5, 4, 4, 5, 4] * 7 + [3, 4])  # 37 answered, 36 satisfied
    result, passed = verdict(wave)
    assert result == "go" and all(passed.values())


def test_a_clear_no_go(ctx, lead):
    rollout, wave = open_wave(lead, n=30)
    answer_all(wave, [1, 2, 2, 3, 1, 2, 5, 2, 1, 2] * 3)
    result, passed = verdict(wave)
    assert result == "no_go" and passed["min_satisfied"] is False


def test_an_open_blocker_is_a_no_go_until_it_is_resolved(ctx, lead):
    rollout, wave = open_wave(lead, n=40)
    answer_all(wave, [5, 4, 4, 5, 4] * 8)
    report = feedback.report_problem(tokens(wave)["winp1"], {"category": "login", "severity": "blocker",
                                                             "description": "Inget fungerar"})
    assert verdict(wave)[0] == "no_go"
    feedback.triage(report, "resolved", "", lead)
    assert verdict(wave)[0] == "go"


def test_a_wave_too_small_for_the_gate_fails_it(ctx, lead):
    rollout, wave = open_wave(lead, n=3)
    answer_all(wave, [5, 5, 5])
    result, passed = verdict(wave)
    assert result == "no_go" and passed["min_responses"] is False


def test_criteria_have_rollout_defaults_and_wave_overrides(ctx, lead):
    rollout, wave = open_wave(lead, n=6)
    answer_all(wave, [5, 4, 5, 4, 5, 5])
    gates.set_rollout_gate(rollout, {"min_satisfied": 0.5}, lead)
    gates.set_wave_gate(wave, {"min_response_rate": 0.4}, lead)
    assert gates.criteria_for(wave)["min_satisfied"] == 0.5
    assert gates.evaluate(wave).verdict == "go"  # 6/6 satisfied: 61-100 %, above 50 %
    gates.set_wave_gate(wave, {"min_response_rate": None}, lead)
    assert gates.criteria_for(wave)["min_response_rate"] == gates.DEFAULTS["min_response_rate"]
    with pytest.raises(ValidationFailed):
        gates.set_wave_gate(wave, {"min_satisfied": 60}, lead)
    with pytest.raises(ValidationFailed):
        gates.set_wave_gate(wave, {"bogus": 1}, lead)


def test_every_criterion_says_why(ctx, lead):
    rollout, wave = open_wave(lead, n=6)
    answer_all(wave, [5, 4, 5, 4, 5])
    for criterion in gates.evaluate(wave).criteria:
        assert criterion.detail and criterion.threshold is not None


def test_a_decision_keeps_an_immutable_snapshot_of_the_evidence(ctx, lead):
    from rollout.services import waves
    rollout, wave = open_wave(lead, n=40)
    answer_all(wave, [5, 4, 4, 5, 4] * 8)
    waves.transition(wave, "review", lead)
    waves.decide(wave, "go", "", lead)  # with the verdict: no rationale needed
    decision = waves.decisions(wave)[0]
    assert decision.verdict == "go" and not decision.against_verdict
    assert decision.snapshot["results"]["responded"] == 40
    assert decision.snapshot["gate"]["verdict"] == "go"
    assert wave.state == "done" and wave.decision == "go"


def test_deciding_against_the_verdict_needs_a_rationale_and_is_marked(ctx, lead):
    from rollout.services import waves
    rollout, wave = open_wave(lead, n=6)
    answer_all(wave, [5, 4, 5])
    waves.transition(wave, "review", lead)
    with pytest.raises(ValidationFailed) as caught:
        waves.decide(wave, "go", "", lead)
    assert caught.value.details[0]["field"] == "rationale"
    assert wave.state == "review" and waves.decisions(wave) == []
    waves.decide(wave, "go", "The pilot group is the whole IT unit; we know them.", lead)
    decision = waves.decisions(wave)[0]
    assert decision.against_verdict and decision.verdict == "insufficient_evidence"


def test_extend_is_recorded_too(ctx, lead):
    from rollout.services import waves
    rollout, wave = open_wave(lead, n=6)
    waves.transition(wave, "review", lead)
    waves.decide(wave, "extend", "", lead)
    assert [d.decision for d in waves.decisions(wave)] == ["extend"] and wave.state == "feedback"
