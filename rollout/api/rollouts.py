"""Rollouts: create, list, read."""
from __future__ import annotations

from flask import g

from ..services import rollouts
from . import api, listing, paging, rollout_for, serialize, token_required, typed_body

ROLLOUT_FIELDS = {"key": "text", "name": "text", "description": "text", "reminder_days": "integer",
                  "anonymity_k": "integer"}


@api.post("/rollouts")
@token_required
def create_rollout():
    rollout = rollouts.create_rollout(typed_body(ROLLOUT_FIELDS), g.user)
    return serialize.rollout(rollout), 201


@api.get("/rollouts")
@token_required
def list_rollouts():
    page, per_page = paging()
    items, total = rollouts.list_rollouts(g.user, page, per_page)
    return listing([serialize.rollout(r) for r in items], total, page, per_page)


@api.get("/rollouts/<key>")
@token_required
def get_rollout(key: str):
    return serialize.rollout(rollout_for(key))


@api.patch("/rollouts/<key>")
@token_required
def update_rollout(key: str):
    rollout = rollout_for(key)
    body = typed_body(ROLLOUT_FIELDS)
    data = {"name": body.get("name", rollout.name), "description": body.get("description", rollout.description),
            "anonymous": body.get("anonymous", rollout.anonymous),
            "reminder_days": body.get("reminder_days", rollout.reminder_days),
            "anonymity_k": body.get("anonymity_k", rollout.anonymity_k)}
    if "problem_categories" in body:
        data["problem_categories"] = body["problem_categories"]
    return serialize.rollout(rollouts.update_rollout(rollout, data, g.user))
