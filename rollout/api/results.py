"""Results and gates: per wave and per rollout, and the gate criteria."""
from __future__ import annotations

from flask import g

from ..services import gates
from ..services.results import rollout_results, wave_results
from .common import api, rollout_for, token_required, typed_body, wave_for

GATE_FIELDS = {"min_responses": "integer", "max_open_blockers": "integer"}


@api.get("/rollouts/<key>/waves/<int:number>/results")
@token_required
def results_of_wave(key: str, number: int):
    return wave_results(wave_for(key, number), g.user).as_dict()


@api.get("/rollouts/<key>/results")
@token_required
def results_of_rollout(key: str):
    items = [r.as_dict() for r in rollout_results(rollout_for(key), g.user)]
    return {"items": items, "total": len(items)}


@api.get("/rollouts/<key>/waves/<int:number>/gate")
@token_required
def gate_of_wave(key: str, number: int):
    wave = wave_for(key, number)
    evaluation = gates.evaluate(wave, wave_results(wave, g.user))
    return {**evaluation.as_dict(), "settings": gates.criteria_for(wave)}


@api.put("/rollouts/<key>/gate")
@token_required
def set_rollout_gate(key: str):
    """The rollout's default criteria (null sets one back to the default)."""
    return gates.set_rollout_gate(rollout_for(key), typed_body(GATE_FIELDS), g.user)


@api.put("/rollouts/<key>/waves/<int:number>/gate")
@token_required
def set_wave_gate(key: str, number: int):
    """This wave's overrides of the rollout's criteria (null removes an override)."""
    return gates.set_wave_gate(wave_for(key, number), typed_body(GATE_FIELDS), g.user)
