"""Rollouts: create, list, read, change (tags and the retrospectives' vote budget too)."""
from __future__ import annotations

from flask import g

from ..services import rollouts
from . import serialize
from .common import api, listing, paging, rollout_for, token_required, typed_body

# tags: a list of words (or one text of words separated by commas); the service checks them
ROLLOUT_FIELDS = {"key": "text", "name": "text", "description": "text", "language": "text",
                  "reminder_days": "integer",
                  "anonymity_k": "integer", "vote_budget": "integer",
                  # days after the last wave is done; null: the organisation's default
                  "retention_days": "integer", "text_retention_days": "integer"}


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
            "language": body.get("language", rollout.language),
            "reminder_days": body.get("reminder_days", rollout.reminder_days),
            "anonymity_k": body.get("anonymity_k", rollout.anonymity_k),
            "vote_budget": body.get("vote_budget", rollout.vote_budget)}
    for name in ("problem_categories", "tags", "retention_days", "text_retention_days"):
        if name in body:
            data[name] = body[name]
    return serialize.rollout(rollouts.update_rollout(rollout, data, g.user))
