"""Background jobs: the list of those the viewer may see, and a job's page -- its progress while it
runs (static/job.js updates it in place; without JavaScript, "Update now"), then its outcome and,
for a file that could not be imported, every line's error -- with a confirmed cancel while it is
queued or running."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..forms import ActionForm
from ..models import Job
from ..services import jobs, retention
from ..services.accounts import can_manage_people
from ..services.errors import GuardFailed
from .helpers import Pagination, ask_to_confirm, confirmed, page_arg

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

REFRESH_SECONDS = 3  # while the job runs, its page (with JavaScript) updates itself this often


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    items, total = jobs.list_jobs(current_user, page, per_page)
    return render_template("jobs/index.html", jobs=items, pager=Pagination(page, per_page, total),
                           kind_label=jobs.kind_label, job_state=jobs.state_label,
                           retention_days=retention.job_retention_days(),
                           may_manage_people=can_manage_people(current_user))


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int) -> ResponseReturnValue:
    job = jobs.get_job(job_id, current_user)
    # ?updates=off: the reader stops the updates (WCAG 2.2.2: pause what moves by itself)
    paused = request.args.get("updates") == "off"
    return render_template("jobs/show.html", job=job, kind_label=jobs.kind_label(job.kind),
                           job_state=jobs.state_label, form=ActionForm(), every=REFRESH_SECONDS,
                           refresh=None if job.finished or paused else REFRESH_SECONDS)


@bp.route("/<int:job_id>/cancel", methods=["POST"])
@login_required
def cancel(job_id: int) -> ResponseReturnValue:
    job = jobs.get_job(job_id, current_user)
    if ActionForm().validate_on_submit():
        try:
            jobs.refuse_if_finished(job)  # refused at once, not asked: there is nothing to confirm
            if not confirmed() and not job.cancelling:  # a pending cancel: asking again changes nothing
                return ask_to_confirm(_("Cancel job %(id)s: %(kind)s?", id=job.id, kind=jobs.kind_label(job.kind)),
                                      what_cancelling_does(job), _("Yes, cancel the job"),
                                      url_for("jobs.show", job_id=job.id),
                                      undo=_("This cannot be undone: to have the work done, start it again."))
            cancelled = jobs.cancel(job, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        else:
            flash(_("The job was cancelled.") if cancelled.finished
                  else _("The job stops before its next step."), "success")
    return redirect(url_for("jobs.show", job_id=job_id))


def what_cancelling_does(job: Job) -> list[str]:
    """What a cancel of `job` would do now, and what it keeps, in words."""
    if job.state == "queued":
        return [_("The job has not started: it is cancelled at once and nothing of it is done."),
                _("The uploaded file is deleted.") if job.kind == "import_people" else ""]
    if job.kind == "import_people":
        if job.checkpoint.get("phase") != "write":
            return [_("The file is still being checked: nothing has been saved yet, and nothing will be."),
                    _("The uploaded file is deleted.")]
        return [ngettext("The job is saving the people: the %(num)s person saved so far is kept, and the rest of "
                         "the file is not imported.",
                         "The job is saving the people: the %(num)s people saved so far are kept, and the rest of "
                         "the file is not imported.", job.progress_done),
                _("The runner stops before its next batch; the people that batch would have saved are not saved."),
                _("To import the rest, import the whole file again: people already saved are updated, not added "
                  "twice."),
                _("The uploaded file is deleted.")]
    return [_("The wave starts in one go: if the start is already under way, it finishes and the wave starts with "
              "all its members; otherwise the wave stays planned, with no member fixed.")]
