"""Leads see and triage the problems participants report; reviewers read them."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import TriageForm
from ..models import PROBLEM_STATUSES, ProblemReport, Rollout, Wave
from ..services import feedback, questionnaires, rollouts
from ..services.accounts import can_lead
from ..services.errors import ValidationFailed
from ..services.validation import MAX_ID, whole_number
from .helpers import Pagination, apply_errors, page_arg

bp = Blueprint("problems", __name__, url_prefix="/rollouts/<key>/problems")


class ListPagination(Pagination):
    """Pages of the list, also when the list is shown again after a triage form with errors."""

    def __init__(self, rollout: Rollout, args: dict, page: int, per_page: int, total: int):
        super().__init__(page, per_page, total)
        self.key, self.args = rollout.key, args

    def url(self, page: int) -> str:
        return url_for("problems.index", key=self.key, **{**self.args, "page": page})


def severity_labels() -> dict[str, str]:
    return {severity: str(label) for severity, label in feedback.SEVERITY_LABELS.items()}


def status_labels() -> dict[str, str]:
    return {status: str(label) for status, label in feedback.STATUS_LABELS.items()}


def _filters(rollout: Rollout) -> tuple[Wave | None, str]:
    """The wave (by number) and status asked for; unknown values mean no filter."""
    wave = None
    number = request.args.get("wave", "").strip()
    if whole_number(number, 0, MAX_ID) is not None:
        wave = next((w for w in rollout.waves if w.number == int(number)), None)
    status = request.args.get("status", "").strip()
    return wave, status if status in PROBLEM_STATUSES else ""


def _filter_args(wave: Wave | None, status: str, page: int) -> dict:
    args: dict[str, int | str] = {}
    if wave is not None:
        args["wave"] = wave.number
    if status:
        args["status"] = status
    if page > 1:
        args["page"] = page
    return args


def _form(report: ProblemReport) -> TriageForm:
    form = TriageForm(formdata=None, prefix=f"report-{report.id}", data={"status": report.status, "note": report.note})
    _label(form, report)
    return form


def _label(form: TriageForm, report: ProblemReport) -> None:
    form.status.label.text = _("Status of problem %(id)s", id=f"#{report.id}")
    form.note.label.text = _("Note on problem %(id)s", id=f"#{report.id}")


def _render(rollout: Rollout, failed: TriageForm | None = None, failed_id: int | None = None, status: int = 200) -> ResponseReturnValue:
    wave, status_filter = _filters(rollout)
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    rows, total = feedback.list_problems(rollout, current_user, wave=wave, status=status_filter,
                                         page=page, per_page=per_page)
    lead = can_lead(current_user, rollout)
    forms = {}
    if lead:
        forms = {report.id: (failed if report.id == failed_id and failed is not None else _form(report))
                 for report, _wave in rows}
    language = str(get_locale() or "sv")
    categories = {c["code"]: questionnaires.category_label(rollout, c["code"], language)
                  for c in questionnaires.categories(rollout)}
    return render_template(
        "problems/index.html", rollout=rollout, rows=rows, total=total, waves=rollout.waves,
        wave_filter=wave, status_filter=status_filter, filter_args=_filter_args(wave, status_filter, page),
        reporters=feedback.reporters_of(rollout, rows), categories=categories,
        severities=severity_labels(), statuses=status_labels(), can_lead=lead, forms=forms,
        pager=ListPagination(rollout, _filter_args(wave, status_filter, 1), page, per_page, total), has_errors=failed is not None), status


@bp.route("/")
@login_required
def index(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    return _render(rollout)


@bp.route("/<int:report_id>/status", methods=["POST"])
@login_required
def triage(key: str, report_id: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    report, _wave = feedback.get_problem(report_id, current_user, rollout=rollout, to_change=True)
    form = TriageForm(prefix=f"report-{report.id}")
    _label(form, report)
    if form.validate_on_submit():
        try:
            feedback.triage(report, form.status.data, form.note.data or "", current_user)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("Problem %(id)s is now: %(status)s.", id=f"#{report.id}",
                    status=status_labels()[report.status].lower()), "success")
            wave_filter, status_filter = _filters(rollout)
            return redirect(url_for("problems.index", key=rollout.key,
                                    **_filter_args(wave_filter, status_filter, page_arg()))
                            + f"#report-{report.id}")
    return _render(rollout, form, report.id, 422)
