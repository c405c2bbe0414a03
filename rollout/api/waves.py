"""Waves: plan, read, preview, members, transitions."""
from __future__ import annotations

from flask import g

from ..services import cohorts, rollouts, waves
from . import api, json_body, listing, paging, serialize, token_required


def _wave(key: str, number: int):
    rollout = rollouts.get_rollout(key, g.user)
    return waves.get_wave(rollout, number)


@api.post("/rollouts/<key>/waves")
@token_required
def create_wave(key: str):
    rollout = rollouts.get_rollout(key, g.user)
    wave = waves.create_wave(rollout, json_body(), g.user)
    return serialize.wave(wave), 201


@api.get("/rollouts/<key>/waves")
@token_required
def list_waves(key: str):
    rollout = rollouts.get_rollout(key, g.user)
    items = [serialize.wave(w) for w in rollout.waves]
    return listing(items, len(items), 1, max(len(items), 1))


@api.get("/rollouts/<key>/waves/<int:number>")
@token_required
def get_wave(key: str, number: int):
    return serialize.wave(_wave(key, number))


@api.patch("/rollouts/<key>/waves/<int:number>")
@token_required
def update_wave(key: str, number: int):
    wave = _wave(key, number)
    body = json_body()
    current = serialize.wave(wave)
    data = {name: body.get(name, current[name]) for name in
            ("name", "selection", "planned_start", "planned_end", "feedback_days", "auto_advance")}
    return serialize.wave(waves.update_wave(wave, data, g.user))


@api.get("/rollouts/<key>/waves/<int:number>/preview")
@token_required
def preview(key: str, number: int):
    wave = _wave(key, number)
    page, per_page = paging()
    everyone = cohorts.preview(wave)
    return listing([serialize.member(c) for c in cohorts.page_of(everyone, page, per_page)],
                   len(everyone), page, per_page)


@api.get("/rollouts/<key>/waves/<int:number>/members")
@token_required
def members(key: str, number: int):
    wave = _wave(key, number)
    page, per_page = paging()
    items, total = cohorts.members(wave, page, per_page)
    return listing([serialize.member(c) for c in items], total, page, per_page)


@api.post("/rollouts/<key>/waves/<int:number>/transitions")
@token_required
def transition(key: str, number: int):
    wave = _wave(key, number)
    body = json_body()
    to = body.get("to")
    wave = waves.transition(wave, str(to) if to is not None else "", g.user,
                            decision=body.get("decision"), rationale=str(body.get("rationale") or ""))
    return serialize.wave(wave)


@api.post("/rollouts/<key>/waves/<int:number>/decision")
@token_required
def decision(key: str, number: int):
    wave = _wave(key, number)
    body = json_body()
    wave = waves.decide(wave, body.get("decision"), str(body.get("rationale") or ""), g.user)
    return serialize.wave(wave)
