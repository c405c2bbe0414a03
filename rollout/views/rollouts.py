"""Rollouts: list, create, overview, edit, team, audit log."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..forms import ActionForm, RoleForm, RolloutEditForm, RolloutForm
from ..languages import LANGUAGES
from ..services import audit, bucket_jobs, chart_data, questionnaires, retention, rollouts, settings
from ..services.accounts import can_lead, require_lead, require_rollout_creator
from ..services.errors import ValidationFailed
from . import lessons as lesson_views
from .helpers import Pagination, apply_errors, ask_to_confirm, confirmed, page_arg

bp = Blueprint("rollouts", __name__, url_prefix="/rollouts")


def _status(form: FlaskForm) -> int:
    return 422 if form.errors or getattr(form, "form_errors", None) else 200


def _tags(value: str | list | None) -> str | list:
    # a form sent without the field keeps the rollout's tags (a list, from the object)
    return value if isinstance(value, list) else (value or "")


@bp.route("/")
@login_required
def index():
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    items, total = rollouts.list_rollouts(current_user, page, per_page)
    return render_template("rollouts/index.html", rollouts=items, counts=rollouts.wave_counts(items),
                           pager=Pagination(page, per_page, total))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require_rollout_creator(current_user)
    form = RolloutForm()
    if form.validate_on_submit():
        try:
            rollout = rollouts.create_rollout(
                {"key": form.key.data, "name": form.name.data, "description": form.description.data,
                 "anonymous": form.anonymous.data, "tags": _tags(form.tags.data), "language": form.language.data},
                current_user)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("The rollout %(name)s was created. Plan its pilot next.", name=rollout.name), "success")
            return redirect(url_for("rollouts.show", key=rollout.key))
    return render_template("rollouts/form.html", form=form, rollout=None), _status(form)


@bp.route("/<key>")
@login_required
def show(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    glance = None
    if any(w.feedback_opened_at for w in rollout.waves):
        glance = chart_data.describe(chart_data.gather(rollout, "satisfaction", str(get_locale()), current_user))
    suggested, viewable = lesson_views.suggestions_for(rollout, current_user)
    lead = can_lead(current_user, rollout)
    sorting = rollout.sorting_jobs[0] if rollout.sorting_jobs else None  # a large new rollout's buckets
    return render_template("rollouts/show.html", rollout=rollout, waves=rollout.waves, sorting=sorting,
                           sorting_message=bucket_jobs.message(sorting) if sorting else "",
                           team=rollouts.team(rollout), can_lead=lead, glance=glance,
                           suggestions=suggested, viewable=viewable, statuses=lesson_views.status_labels(),
                           retention_plan=retention.plan(rollout) if lead else None)


@bp.route("/<key>/edit", methods=["GET", "POST"])
@login_required
def edit(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    form = RolloutEditForm(obj=rollout)
    defaults = settings.retention_defaults()
    form.retention_days.description = _(
        "1-3650. Then the personal links, e-mails and the people added only for this rollout are deleted, and "
        "responses are no longer linked to people. Empty: the organisation's default, %(n)s days.",
        n=defaults["retention_days"])
    form.text_retention_days.description = _(
        "1-3650, at most the days above: free-text answers and problem descriptions are erased sooner. "
        "Empty: the organisation's default, %(n)s days.", n=defaults["text_retention_days"])
    if request.method == "GET":
        form.tags.data = ", ".join(rollout.tags)
        form.categories_text.data = "\n".join(
            " | ".join([c["code"], *(str(c.get(code, "")) for code in LANGUAGES)]) for c in questionnaires.categories(rollout))
    if form.validate_on_submit():
        data = {"name": form.name.data, "description": form.description.data, "anonymous": form.anonymous.data,
                "reminder_days": form.reminder_days.data, "anonymity_k": form.anonymity_k.data,
                "tags": _tags(form.tags.data), "language": form.language.data}
        # empty is the organisation's default; a form sent without the fields keeps the rollout's own
        for name in ("retention_days", "text_retention_days"):
            if name in request.form:
                data[name] = form[name].data
        if form.vote_budget.data is not None:
            data["vote_budget"] = form.vote_budget.data
        if (form.categories_text.data or "").strip():
            data["problem_categories"] = [
                dict(zip(("code", *LANGUAGES), (part.strip() for part in line.split("|")), strict=False))
                for line in form.categories_text.data.splitlines() if line.strip()]
        try:
            rollouts.update_rollout(rollout, data, current_user)
        except ValidationFailed as error:
            apply_errors(form, error, {"problem_categories": "categories_text"})
        else:
            flash(_("The rollout was saved."), "success")
            return redirect(url_for("rollouts.show", key=rollout.key))
    return render_template("rollouts/form.html", form=form, rollout=rollout), _status(form)


@bp.route("/<key>/team", methods=["GET", "POST"])
@login_required
def team(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    form = RoleForm()
    lead = can_lead(current_user, rollout)
    if form.validate_on_submit():
        try:
            rollouts.set_role(rollout, form.email.data, form.role.data, current_user)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("The team was updated."), "success")
            return redirect(url_for("rollouts.team", key=key))
    return render_template("rollouts/team.html", rollout=rollout, team=rollouts.team(rollout), form=form,
                           remove_form=ActionForm(), can_lead=lead), _status(form)


@bp.route("/<key>/team/<int:role_id>/remove", methods=["POST"])
@login_required
def remove_member(key: str, role_id: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    if ActionForm().validate_on_submit():
        # another lead can give a role back, so removing someone asks nothing; removing yourself
        # is another matter: you cannot undo it yourself
        own = next((role for role in rollouts.team(rollout) if role.id == role_id
                    and role.user_id == current_user.id), None)
        if own is not None and can_lead(current_user, rollout) and not current_user.is_admin and not confirmed():
            return ask_to_confirm(_("Remove yourself from the team of %(rollout)s?", rollout=rollout.name), [
                _("You leave the team of %(rollout)s and can no longer open it.", rollout=rollout.name),
                _("Only another lead of the rollout or an administrator can add you back.")],
                _("Yes, remove me from the team"), url_for("rollouts.team", key=key),
                undo=_("You cannot undo this yourself."))
        try:
            rollouts.remove_role(rollout, role_id, current_user)
            flash(_("Removed from the team."), "success")
        except ValidationFailed as error:
            flash(error.message, "error")
    return redirect(url_for("rollouts.team", key=key))


@bp.route("/<key>/audit")
@login_required
def audit_log(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    events, total = audit.events_for(rollout, page, per_page)
    return render_template("rollouts/audit.html", rollout=rollout, events=events,
                           pager=Pagination(page, per_page, total))
