"""Results and gates: per wave and per rollout, and the gate criteria."""
from __future__ import annotations

from typing import Any

from flask import g

from ..services import gates
from ..services.results import rollout_results, wave_results
from .common import api, load, rollout_for, token_required, wave_for
from .schemas.base import all_of
from .schemas.results import GateSchema, GateSettingsSchema, ResultsSchema
from .spec import KEY_PARAMETER, WAVE_PARAMETERS, body, operation


@api.get("/rollouts/<key>/waves/<int:number>/results", parameters=WAVE_PARAMETERS)
@operation("A wave's results: invited, responded, response rate, per question, problems, hours lost")
@api.response(200, ResultsSchema)
@token_required
def results_of_wave(key: str, number: int) -> dict[str, Any]:
    return wave_results(wave_for(key, number), g.user).as_dict()


@api.get("/rollouts/<key>/results", parameters=[KEY_PARAMETER])
@operation("Every wave's results")
@api.response(200, all_of(ResultsSchema))
@token_required
def results_of_rollout(key: str) -> dict[str, Any]:
    items = [r.as_dict() for r in rollout_results(rollout_for(key), g.user)]
    return {"items": items, "total": len(items)}


@api.get("/rollouts/<key>/waves/<int:number>/gate", parameters=WAVE_PARAMETERS)
@operation("The gate's verdict and each criterion with value, interval, threshold and why")
@api.response(200, GateSchema)
@token_required
def gate_of_wave(key: str, number: int) -> dict[str, Any]:
    wave = wave_for(key, number)
    evaluation = gates.evaluate(wave, wave_results(wave, g.user))
    return {**evaluation.as_dict(), "settings": gates.criteria_for(wave)}


@api.put("/rollouts/<key>/gate", parameters=[KEY_PARAMETER])
@operation("The rollout's default gate criteria (null sets one back to the default)")
@body(GateSettingsSchema)
@api.response(200, GateSettingsSchema)
@token_required
def set_rollout_gate(key: str) -> dict[str, Any]:
    return gates.set_rollout_gate(rollout_for(key), load(GateSettingsSchema), g.user)


@api.put("/rollouts/<key>/waves/<int:number>/gate", parameters=WAVE_PARAMETERS)
@operation("This wave's overrides of the rollout's criteria (null removes one)")
@body(GateSettingsSchema)
@api.response(200, GateSettingsSchema)
@token_required
def set_wave_gate(key: str, number: int) -> dict[str, Any]:
    return gates.set_wave_gate(wave_for(key, number), load(GateSettingsSchema), g.user)
