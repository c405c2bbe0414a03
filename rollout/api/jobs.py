"""Background jobs: a large CSV import or a very large wave's start answers 202 with one, which the
client polls here; the list of the jobs the caller may see; cancelling one."""
from __future__ import annotations

from typing import Any

from flask import g

from ..models import Job
from ..services import jobs
from .common import Paging, api, listing, paging, token_required
from .schemas.base import page_of
from .schemas.jobs import JobSchema
from .spec import CONFLICT, ERRORS, ID_PARAMETER, operation, query

JOB_ERRORS = {code: ERRORS[code] for code in ("401", "404")}
WHO = "whoever started it; for a rollout's job, its leads; admins"


@api.get("/jobs")
@operation(f"The background jobs the caller may see ({WHO}), newest first",
           errors={code: ERRORS[code] for code in ("401", "422")})
@query(Paging)
@api.response(200, page_of(JobSchema))
@token_required
def list_jobs() -> dict[str, Any]:
    page, per_page = paging()
    items, total = jobs.list_jobs(g.user, page, per_page)
    return listing(items, total, page, per_page)


@api.get("/jobs/<int:job_id>", parameters=[{**ID_PARAMETER, "name": "job_id"}])
@operation(f"A background job's state, progress and outcome ({WHO})", errors=JOB_ERRORS)
@api.response(200, JobSchema)
@token_required
def get_job(job_id: int) -> Job:
    return jobs.get_job(job_id, g.user)


@api.post("/jobs/<int:job_id>/cancel", parameters=[{**ID_PARAMETER, "name": "job_id"}])
@operation(f"Cancel a queued or running background job ({WHO})", errors={**JOB_ERRORS, **CONFLICT},
           description="A queued job is cancelled at once (state cancelled, its file deleted). A running one "
                       "gets cancel_requested_at and stays running until its runner stops it before its next "
                       "step; what the steps before committed stays (an import cancelled while saving keeps "
                       "the people saved so far: result.rows, created, updated). Poll the job until its state "
                       "is cancelled (or done: a wave's start under way finishes). Asking again while the "
                       "cancel is pending changes nothing; a finished job (done, failed, cancelled) is a 409.")
@api.response(200, JobSchema)
@token_required
def cancel_job(job_id: int) -> Job:
    return jobs.cancel(jobs.get_job(job_id, g.user), g.user)
