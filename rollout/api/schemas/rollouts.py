"""A rollout, and a change of one."""
from __future__ import annotations

import marshmallow as ma
from flask import url_for

from ...languages import LANGUAGES
from ...models import Rollout
from ...services import questionnaires
from .base import Anything, Derived, Schema, Text, WholeNumber
from .patterns import KEY, rollout_fields

FIELDS = rollout_fields()
LANGUAGE = {"type": ["string", "null"], "enum": [*LANGUAGES, None], "default": "sv",
            "description": "the language the team writes the rollout's texts in; null: unchanged (a new rollout's "
                           "is sv)"}


class RolloutSchema(Schema):
    """A rollout: its texts, its anonymity and reminders, its retention, and how many waves it has."""

    json_schema = {"required": ["key", "name"]}

    key = Text(doc={"type": "string", "pattern": KEY, "description": "unique; never changes"})
    name = Text(doc=FIELDS["name"])
    description = Text(doc=FIELDS["description"])
    language = Text(doc=LANGUAGE)
    anonymous = Anything(doc=FIELDS["anonymous"])
    reminder_days = WholeNumber(doc=FIELDS["reminder_days"])
    anonymity_k = WholeNumber(doc=FIELDS["anonymity_k"])
    problem_categories = Derived(questionnaires.categories, doc=FIELDS["problem_categories"])
    tags = Anything(doc=FIELDS["tags"])
    vote_budget = WholeNumber(doc=FIELDS["vote_budget"])
    retention_days = WholeNumber(doc=FIELDS["retention_days"])
    text_retention_days = WholeNumber(doc=FIELDS["text_retention_days"])
    texts_purged_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    purged_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    created_at = ma.fields.DateTime(dump_only=True)
    waves = Derived(lambda rollout: len(rollout.waves), doc=FIELDS["waves"], dump_only=True)
    buckets_job = Derived(lambda rollout: _buckets_job(rollout), dump_only=True, doc={
        "type": ["object", "null"], "readOnly": True, "required": ["id", "state", "url"],
        "properties": {"id": {"type": "integer"}, "state": {"type": "string", "enum": ["queued", "running"]},
                       "url": {"type": "string", "description": "poll it: /api/v1/jobs/{id}"}},
        "description": "the background job still storing the buckets of the rollout's people (a rollout created "
                       "among more than BUCKETS_SYNC_MAX, 20,000, people); until it is done a wave's preview "
                       "and start answer 409 with the guard buckets_pending. null: every person has a bucket"})


def _buckets_job(rollout: Rollout) -> dict | None:
    job = rollout.sorting_jobs[0] if rollout.sorting_jobs else None
    if job is None:
        return None
    return {"id": job.id, "state": job.state, "url": url_for("api.get_job", job_id=job.id)}


class RolloutChangeSchema(RolloutSchema):
    """A change of a rollout: the fields left out keep their values."""

    json_schema = {}

    key = Text(doc={"type": ["string", "null"], "description": "ignored: a rollout's key never changes"})
