"""Background jobs: a large CSV import answers 202 with one, which the client polls here."""
from __future__ import annotations

from flask import g

from ..models import Job
from ..services import jobs
from .common import api, token_required
from .schemas.jobs import JobSchema
from .spec import ERRORS, ID_PARAMETER, operation

JOB_ERRORS = {code: ERRORS[code] for code in ("401", "404")}


@api.get("/jobs/<int:job_id>", parameters=[{**ID_PARAMETER, "name": "job_id"}])
@operation("A background job's state, progress and outcome (whoever started it; for a rollout's job, "
           "its leads; admins)", errors=JOB_ERRORS)
@api.response(200, JobSchema)
@token_required
def get_job(job_id: int) -> Job:
    return jobs.get_job(job_id, g.user)
