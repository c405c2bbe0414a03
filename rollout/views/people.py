"""People: list, search, create, edit, import."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..forms import ImportForm, PersonForm
from ..models import Person
from ..services import imports, people, rollouts
from ..services.accounts import can_manage_people, require_people_manager
from ..services.errors import ValidationFailed
from . import lang
from .helpers import Pagination, apply_errors, page_arg

bp = Blueprint("people", __name__, url_prefix="/people")


def attributes_from_text(text: str) -> tuple[dict, list[str]]:
    attributes, problems = {}, []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            problems.append(_("Line %(n)s: write name=value.", n=number))
            continue
        key, value = line.split("=", 1)
        attributes[key.strip().lower()] = value.strip()
    return attributes, problems


def attributes_to_text(attributes: dict) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted((attributes or {}).items()))


@bp.route("/")
@login_required
def index():
    q = request.args.get("q", "").strip()
    unit = request.args.get("unit", "").strip()
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    items, total = people.search_people(q, unit, page, per_page, viewer=current_user)
    return render_template("people/index.html", people=items, total=total, q=q, unit=unit,
                           units=people.unit_names(), pager=Pagination(page, per_page, total),
                           can_manage=can_manage_people(current_user))


def _save(form: PersonForm, person: Person | None = None) -> Person | None:
    attributes, problems = attributes_from_text(form.attributes.data)
    if problems:
        form.attributes.errors = list(form.attributes.errors) + problems
        return None
    previous = dict(person.attributes or {}) if person else {}
    # keys removed in the form are removed from the person
    attributes.update({k: None for k in previous if k not in attributes})
    data = {"external_id": form.external_id.data, "name": form.name.data, "email": form.email.data,
            "unit": form.unit.data, "language": form.language.data, "attributes": attributes}
    try:
        return people.save_person(data, current_user, person)
    except ValidationFailed as error:
        apply_errors(form, error)
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require_people_manager(current_user)
    form = PersonForm()
    if form.validate_on_submit():
        person = _save(form)
        if person is not None:
            flash(_("%(name)s was added.", name=person.name), "success")
            return redirect(url_for("people.index"))
    return render_template("people/form.html", form=form, person=None, units=people.unit_names()), \
        422 if form.errors or getattr(form, "form_errors", None) else 200


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit(person_id: int) -> ResponseReturnValue:
    require_people_manager(current_user)
    person = people.get_person(person_id, viewer=current_user)
    form = PersonForm(obj=person)
    if request.method == "GET":
        form.unit.data = person.unit_name
        form.attributes.data = attributes_to_text(person.attributes)
    if form.validate_on_submit():
        if _save(form, person) is not None:
            flash(_("%(name)s was saved.", name=person.name), "success")
            return redirect(url_for("people.index"))
    return render_template("people/form.html", form=form, person=person, units=people.unit_names()), \
        422 if form.errors or getattr(form, "form_errors", None) else 200


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_csv():
    require_people_manager(current_user)
    form = ImportForm()
    visible, _total = rollouts.list_rollouts(current_user, 1, 500)
    form.rollout.choices = [SelectChoice("", _("None: people of the organisation"))] + [
        lang.choice(r.key, f"{r.name} ({r.key})", r.language) for r in visible if r.purged_at is None]
    problems = []
    if form.validate_on_submit():
        try:
            job = imports.start_import(form.file.data.stream, current_user, source="ui",
                                       for_rollout=form.rollout.data or None)
            if not job.finished:  # a large file: its page shows how far the job has come
                return redirect(url_for("jobs.show", job_id=job.id), 303)
            result = imports.outcome(job)
        except ValidationFailed as error:
            problems = [p for p in error.details if p.get("field") != "rollout"]
            if len(problems) < len(error.details):
                form.rollout.errors = [p["message"] for p in error.details if p.get("field") == "rollout"]
            else:
                form.file.errors = [error.message]
        else:
            message = _("Imported: %(created)s new and %(updated)s updated people.",
                        created=result.created, updated=result.updated)
            flash(message, "success")
            return redirect(url_for("people.index"))
    status = 422 if form.errors else 200
    return render_template("people/import.html", form=form, problems=problems), status
