"""Waves: plan, read, preview, members, transitions."""
from __future__ import annotations

from flask import g

from ..services import cohorts, waves
from . import serialize
from .common import api, listing, paging, rollout_for, token_required, typed_body, wave_for

WAVE_FIELDS = {"name": "text", "selection": {"percentage": "integer"}, "planned_start": "text", "planned_end": "text",
               "feedback_days": "integer"}
TRANSITION_FIELDS = {"to": "text", "decision": "text", "rationale": "text"}
DECISION_FIELDS = {"decision": "text", "rationale": "text"}


@api.post("/rollouts/<key>/waves")
@token_required
def create_wave(key: str):
    rollout = rollout_for(key)
    wave = waves.create_wave(rollout, typed_body(WAVE_FIELDS), g.user)
    return serialize.wave(wave), 201


@api.get("/rollouts/<key>/waves")
@token_required
def list_waves(key: str):
    rollout = rollout_for(key)
    page, per_page = paging()
    start = (page - 1) * per_page
    # a rollout has a handful of waves: they are loaded with it anyway
    return listing([serialize.wave(w) for w in rollout.waves[start:start + per_page]], len(rollout.waves),
                   page, per_page)


@api.get("/rollouts/<key>/waves/<int:number>")
@token_required
def get_wave(key: str, number: int):
    return serialize.wave(wave_for(key, number))


@api.patch("/rollouts/<key>/waves/<int:number>")
@token_required
def update_wave(key: str, number: int):
    wave = wave_for(key, number)
    body = typed_body(WAVE_FIELDS)
    if body.get("selection") is None:
        body.pop("selection", None)  # null, as left out: the selection stays (started or not)
    current = serialize.wave(wave)
    data = {name: body.get(name, current[name]) for name in
            ("name", "selection", "planned_start", "planned_end", "feedback_days", "auto_advance")}
    return serialize.wave(waves.update_wave(wave, data, g.user))


@api.get("/rollouts/<key>/waves/<int:number>/preview")
@token_required
def preview(key: str, number: int):
    wave = wave_for(key, number)
    page, per_page = paging()
    everyone = cohorts.preview_for(wave, g.user)
    return listing([serialize.member(c) for c in cohorts.page_of(everyone, page, per_page)],
                   len(everyone), page, per_page)


@api.get("/rollouts/<key>/waves/<int:number>/members")
@token_required
def members(key: str, number: int):
    wave = wave_for(key, number)
    page, per_page = paging()
    items, total = cohorts.members_for(wave, g.user, page, per_page)
    return listing([serialize.member(c) for c in items], total, page, per_page)


@api.post("/rollouts/<key>/waves/<int:number>/transitions")
@token_required
def transition(key: str, number: int):
    wave = wave_for(key, number)
    body = typed_body(TRANSITION_FIELDS)
    wave = waves.transition(wave, body.get("to") or "", g.user,
                            decision=body.get("decision"), rationale=body.get("rationale") or "")
    return serialize.wave(wave)


@api.post("/rollouts/<key>/waves/<int:number>/decision")
@token_required
def decision(key: str, number: int):
    wave = wave_for(key, number)
    body = typed_body(DECISION_FIELDS)
    wave = waves.decide(wave, body.get("decision"), body.get("rationale") or "", g.user)
    return serialize.wave(wave)


@api.get("/rollouts/<key>/waves/<int:number>/decisions")
@token_required
def decisions(key: str, number: int):
    """Every decision on the wave, oldest first, each with the evidence it was made on."""
    wave = wave_for(key, number)
    items = [waves.decision_as_dict(d) for d in waves.decisions(wave)]
    return {"items": items, "total": len(items)}
