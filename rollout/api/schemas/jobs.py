"""A background job: its state, progress and outcome (a large CSV import answers with one)."""
from __future__ import annotations

import marshmallow as ma

from ...models import JobState
from .base import Derived, Schema

STATES = [str(state) for state in JobState]
PROBLEM = {"type": "object", "required": ["message"], "properties": {
    "line": {"type": "integer", "description": "the file's line; 1 is the header"},
    "field": {"type": "string"}, "message": {"type": "string"}}}


def _stamp(description: str) -> ma.fields.DateTime:
    return ma.fields.DateTime(allow_none=True, dump_only=True, metadata={"description": description})


class JobSchema(Schema):
    """Poll it (GET /jobs/{id}) until `state` is done or failed."""

    json_schema = {"required": ["id", "kind", "state", "progress", "result", "errors", "message"]}

    id = ma.fields.Integer(dump_only=True)
    kind = ma.fields.String(dump_only=True, metadata={"enum": ["import_people", "start_wave", "store_buckets"]})
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
        "done; an import: phase (check, write, then buckets: the new people's buckets in each rollout) while "
        "it runs; created, updated and rows when done; a rollout's buckets: rollout and stored (buckets "
        "written so far)"})
    errors = Derived(lambda job: job.errors or [], dump_only=True, doc={
        "type": "array", "readOnly": True, "items": PROBLEM,
        "description": "a failed import: every problem of the file (at most 1000), none stored"})
    message = ma.fields.String(dump_only=True, metadata={"description": "why a failed job failed"})
    created_at = _stamp("when it was queued")
    started_at = _stamp("when a runner first took it")
    finished_at = _stamp("when it was done or failed")
