"""Waves: plan, read, preview, members, transitions."""
from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, url_for

from ..models import Job, Wave
from ..services import cohorts, wave_start, waves
from .common import Paging, api, listing, load, paging, rollout_for, token_required, wave_for
from .schemas.base import all_of, page_of
from .schemas.jobs import JobSchema
from .schemas.waves import (
    DecisionSchema,
    MemberSchema,
    NewWaveSchema,
    RecordedDecisionSchema,
    TransitionSchema,
    WaveChangeSchema,
    WaveSchema,
)
from .spec import KEY_PARAMETER, WAVE_PARAMETERS, body, operation, query

# what a change may set
KEPT = ("name", "selection", "planned_start", "planned_end", "feedback_days", "auto_advance")


@api.post("/rollouts/<key>/waves", parameters=[KEY_PARAMETER])
@operation("Plan the next wave (numbered from 0, the pilot)")
@body(NewWaveSchema)
@api.response(201, WaveSchema)
@token_required
def create_wave(key: str) -> Wave:
    rollout = rollout_for(key)
    return waves.create_wave(rollout, load(NewWaveSchema), g.user)


@api.get("/rollouts/<key>/waves", parameters=[KEY_PARAMETER])
@operation("The rollout's waves")
@query(Paging)
@api.response(200, page_of(WaveSchema))
@token_required
def list_waves(key: str) -> dict[str, Any]:
    rollout = rollout_for(key)
    page, per_page = paging()
    start = (page - 1) * per_page
    # a rollout has a handful of waves: they are loaded with it anyway
    return listing(rollout.waves[start:start + per_page], len(rollout.waves), page, per_page)


@api.get("/rollouts/<key>/waves/<int:number>", parameters=WAVE_PARAMETERS)
@operation("One wave")
@api.response(200, WaveSchema)
@token_required
def get_wave(key: str, number: int) -> Wave:
    return wave_for(key, number)


@api.patch("/rollouts/<key>/waves/<int:number>", parameters=WAVE_PARAMETERS)
@operation("Change a wave (the selection only before it starts)", conflict=True)
@body(WaveChangeSchema)
@api.response(200, WaveSchema)
@token_required
def update_wave(key: str, number: int) -> Wave:
    wave = wave_for(key, number)
    change = load(WaveChangeSchema)
    if change.get("selection") is None:
        change.pop("selection", None)  # null, as left out: the selection stays (started or not)
    current = WaveSchema().dump(wave)  # the fields left out keep their values, as the API gives them
    data = {name: change.get(name, current[name]) for name in KEPT}
    return waves.update_wave(wave, data, g.user)


@api.get("/rollouts/<key>/waves/<int:number>/preview", parameters=WAVE_PARAMETERS)
@operation("The people the selection would take now (409, guard buckets_pending, while the rollout's people "
           "are still being sorted into buckets: its details name the job)", conflict=True)
@query(Paging)
@api.response(200, page_of(MemberSchema))
@token_required
def preview(key: str, number: int) -> dict[str, Any]:
    wave = wave_for(key, number)
    page, per_page = paging()
    items, total = cohorts.preview_for(wave, g.user, page, per_page)
    return listing(items, total, page, per_page)


@api.get("/rollouts/<key>/waves/<int:number>/members", parameters=WAVE_PARAMETERS)
@operation("The members fixed when the wave started")
@query(Paging)
@api.response(200, page_of(MemberSchema))
@token_required
def members(key: str, number: int) -> dict[str, Any]:
    wave = wave_for(key, number)
    page, per_page = paging()
    items, total = cohorts.members_for(wave, g.user, page, per_page)
    return listing(items, total, page, per_page)


@api.post("/rollouts/<key>/waves/<int:number>/transitions", parameters=WAVE_PARAMETERS)
@operation("Move the wave to another state", conflict=True)
@body(TransitionSchema)
@api.response(200, WaveSchema)
@api.alt_response(202, schema=JobSchema, description="A start that takes more people than WAVE_START_SYNC_MAX "
                  "(20,000): the wave starts in the background; poll the job until its state is done.",
                  headers={"Location": {"description": "the job: /api/v1/jobs/{id}", "schema": {"type": "string"}}})
@token_required
def transition(key: str, number: int) -> Wave | Response:
    wave = wave_for(key, number)
    move = load(TransitionSchema)
    moved = wave_start.transition(wave, move.get("to") or "", g.user, decision=move.get("decision"),
                                  rationale=move.get("rationale") or "")
    if isinstance(moved, Job):
        response = jsonify(JobSchema().dump(moved))
        response.status_code = 202
        response.headers["Location"] = url_for("api.get_job", job_id=moved.id)
        return response
    return moved


@api.post("/rollouts/<key>/waves/<int:number>/decision", parameters=WAVE_PARAMETERS)
@operation("Record go / no-go / extend for a wave in review", conflict=True)
@body(DecisionSchema)
@api.response(200, WaveSchema)
@token_required
def decision(key: str, number: int) -> Wave:
    wave = wave_for(key, number)
    decided = load(DecisionSchema)
    return waves.decide(wave, decided.get("decision"), decided.get("rationale") or "", g.user)


@api.get("/rollouts/<key>/waves/<int:number>/decisions", parameters=WAVE_PARAMETERS)
@operation("Every decision on the wave, oldest first, with the snapshot of the evidence it was made on")
@api.response(200, all_of(RecordedDecisionSchema))
@token_required
def decisions(key: str, number: int) -> dict[str, Any]:
    items = [waves.decision_as_dict(d) for d in waves.decisions(wave_for(key, number))]
    return {"items": items, "total": len(items)}
