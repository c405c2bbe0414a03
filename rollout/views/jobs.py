"""A background job's page: its progress while it runs (the page reloads itself, no JavaScript
needed), then its outcome and, for a file that could not be imported, every line's error."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

REFRESH_SECONDS = 3  # while the job runs, the page reloads itself this often
KIND_LABELS = {"import_people": _l("Import of people"), "start_wave": _l("Start of a wave"),
               "store_buckets": _l("Sorting a rollout's people into buckets")}


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int) -> ResponseReturnValue:
    job = jobs.get_job(job_id, current_user)
    return render_template("jobs/show.html", job=job, kind_label=KIND_LABELS.get(job.kind, job.kind),
                           refresh=None if job.finished else REFRESH_SECONDS)
