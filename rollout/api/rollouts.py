"""Rollouts: create, list, read, change (tags and the retrospectives' vote budget too)."""
from __future__ import annotations

from typing import Any

from flask import g

from ..models import Rollout
from ..services import rollouts
from .common import Paging, api, listing, load, paging, rollout_for, token_required
from .schemas.base import page_of
from .schemas.rollouts import RolloutChangeSchema, RolloutSchema
from .spec import KEY_PARAMETER, body, operation, query

# what a change leaves as it is when the body leaves it out
KEPT = ("name", "description", "anonymous", "language", "reminder_days", "anonymity_k", "vote_budget")


@api.post("/rollouts")
@operation("Create a rollout (the caller becomes its lead)", description=(
    "Its people's buckets are stored with it; among more than BUCKETS_SYNC_MAX (20,000) people, by a "
    "background job instead: the answer is still 201, with the job in buckets_job (poll its url)."))
@body(RolloutSchema)
@api.response(201, RolloutSchema)
@token_required
def create_rollout() -> Rollout:
    return rollouts.create_rollout(load(RolloutSchema), g.user)


@api.get("/rollouts")
@operation("The rollouts the caller can see")
@query(Paging)
@api.response(200, page_of(RolloutSchema))
@token_required
def list_rollouts() -> dict[str, Any]:
    page, per_page = paging()
    items, total = rollouts.list_rollouts(g.user, page, per_page)
    return listing(items, total, page, per_page)


@api.get("/rollouts/<key>", parameters=[KEY_PARAMETER])
@operation("One rollout")
@api.response(200, RolloutSchema)
@token_required
def get_rollout(key: str) -> Rollout:
    return rollout_for(key)


@api.patch("/rollouts/<key>", parameters=[KEY_PARAMETER])
@operation("Change a rollout's fields (those left out keep their values)")
@body(RolloutChangeSchema)
@api.response(200, RolloutSchema)
@token_required
def update_rollout(key: str) -> Rollout:
    rollout = rollout_for(key)
    change = load(RolloutChangeSchema)
    change.pop("key", None)
    return rollouts.update_rollout(rollout, {**{name: getattr(rollout, name) for name in KEPT}, **change}, g.user)
