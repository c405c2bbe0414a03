"""Personal data in the UI: the organisation's retention defaults (admins), and one
person's data downloaded or erased (people managers)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..forms import EraseForm, RetentionSettingsForm
from ..services import accounts, people, privacy, settings
from ..services.errors import ValidationFailed
from .helpers import apply_errors

bp = Blueprint("privacy", __name__)


@bp.app_context_processor
def inject():
    return {"may_manage_people": accounts.can_manage_people}


def _status(form: FlaskForm) -> int:
    return 422 if form.errors or getattr(form, "form_errors", None) else 200


@bp.route("/admin/settings", methods=["GET", "POST"])
@login_required
def retention_settings():
    accounts.require_admin(current_user)
    form = RetentionSettingsForm(data=settings.retention_defaults() if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            settings.set_retention_defaults(form.retention_days.data, form.text_retention_days.data, current_user)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("The retention defaults were saved."), "success")
            return redirect(url_for("privacy.retention_settings"))
    return render_template("admin/settings.html", form=form), _status(form)


@bp.route("/people/<int:person_id>/export.json")
@login_required
def export_person(person_id: int) -> ResponseReturnValue:
    person = people.get_person(person_id, viewer=current_user)
    data = privacy.export_person(person, current_user)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="person-{person_id}.json"', "Cache-Control": "no-store"})


@bp.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@login_required
def erase_person(person_id: int) -> ResponseReturnValue:
    person = people.get_person(person_id, viewer=current_user)
    counts = privacy.erasure_preview(person, current_user)
    form = EraseForm()
    if form.validate_on_submit():
        if form.confirm.data.strip() != person.external_id:
            form.confirm.errors = [_("This is not the external id of %(name)s.", name=person.name)]
        else:
            name = person.name
            privacy.erase_person(person, current_user)
            flash(_("%(name)s was erased.", name=name), "success")
            return redirect(url_for("people.index"))
    return render_template("people/erase.html", person=person, counts=counts, form=form), _status(form)
