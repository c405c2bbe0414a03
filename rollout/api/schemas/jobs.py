"""A background job: its state, progress and outcome (a large CSV import answers with one)."""
from __future__ import annotations

import marshmallow as ma

from ...models import JobState
from ...services.jobs import HANDLERS
from .base import Derived, Schema

STATES = [str(state) for state in JobState]
PROBLEM = {"type": "object", "required": ["message"], "properties": {
    "line": {"type": "integer", "description": "the file's line; 1 is the header"},
    "field": {"type": "string"}, "message": {"type": "string"}}}


def _stamp(description: str) -> ma.fields.DateTime:
    return ma.fields.DateTime(allow_none=True, dump_only=True, metadata={"description": description})


class JobSchema(Schema):
    """Poll it (GET /jobs/{id}) until `state` is done, failed or cancelled."""

    json_schema = {"required": ["id", "kind", "state", "progress", "result", "errors", "message"]}

    id = ma.fields.Integer(dump_only=True)
    kind = ma.fields.String(dump_only=True, metadata={"enum": list(HANDLERS)})
    state = ma.fields.String(dump_only=True, metadata={"enum": STATES})
    progress = Derived(lambda job: {"done": job.progress_done, "total": job.progress_total}, dump_only=True, doc={
        "type": "object", "required": ["done", "total"], "readOnly": True,
        "properties": {"done": {"type": "integer", "minimum": 0}, "total": {"type": "integer", "minimum": 0}},
        "description": "a wave's start: the people it takes, done when started; an import: the people saved "
                       "of those in the file (total is the file's line count "
                       "until every line is checked); a rollout's buckets: the people gone through of "
                       "those there were when it was queued"})
    result = Derived(lambda job: job.result or {}, dump_only=True, doc={
        "type": "object", "readOnly": True, "description": "a wave's start: members, wave and rollout when "
        "done; started (false: the wave is as it was) when cancelled. An import: phase (check, write, then "
        "buckets: the new people's buckets in each rollout) while it runs; created, updated and rows when done, "
        "and when cancelled what was kept: rows saved before it stopped (0 when cancelled while checking), "
        "created and updated. A rollout's buckets: rollout and stored (buckets written so far)"})
    errors = Derived(lambda job: job.errors or [], dump_only=True, doc={
        "type": "array", "readOnly": True, "items": PROBLEM,
        "description": "a failed import: every problem of the file (at most 1000), none stored"})
    message = ma.fields.String(dump_only=True, metadata={"description": "why a failed job failed"})
    started_by = Derived(lambda job: job.actor.email if job.actor is not None else None, dump_only=True, doc={
        "type": ["string", "null"], "readOnly": True, "description": "the e-mail address of who started it; "
        "null for the system (the command line) or a deleted account"})
    rollout = Derived(lambda job: job.rollout.key if job.rollout is not None else None, dump_only=True, doc={
        "type": ["string", "null"], "readOnly": True, "description": "the key of the rollout it is for, if any"})
    created_at = _stamp("when it was queued")
    started_at = _stamp("when a runner first took it")
    finished_at = _stamp("when it was done, failed or cancelled")
    cancel_requested_at = _stamp("when someone cancelled it (a running job stops before its next step)")
