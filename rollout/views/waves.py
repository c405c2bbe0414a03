"""Waves: plan, preview, members, and moving them through their states."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..forms import DecisionForm, TransitionForm, WaveForm
from ..services import cohorts, people, rollouts, waves
from ..services.accounts import can_lead, require_lead
from ..services.errors import GuardFailed, ValidationFailed
from .helpers import Pagination, apply_errors, page_arg

bp = Blueprint("waves", __name__, url_prefix="/rollouts/<key>/waves")

ALIASES = {"selection.people": "people", "selection.units": "units", "selection.attributes": "attributes",
           "selection.percentage": "percentage", "selection": "people"}


def _form_data(form: WaveForm, wave=None) -> tuple[dict, list[str]]:
    attributes: dict[str, list[str]] = {}
    problems = []
    for number, line in enumerate((form.attributes.data or "").splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            problems.append(_("Line %(n)s: write name=value.", n=number))
            continue
        key, values = line.split("=", 1)
        attributes.setdefault(key.strip().lower(), []).extend(v.strip() for v in values.split(",") if v.strip())
    data = {
        "name": form.name.data,
        "selection": {"people": [p for p in re.split(r"[\s,;]+", form.people.data or "") if p],
                      "units": form.units.data or [], "attributes": attributes,
                      "percentage": form.percentage.data},
        "planned_start": form.planned_start.data,
        "planned_end": form.planned_end.data,
        "feedback_days": form.feedback_days.data,
        "auto_advance": form.auto_advance.data,
    }
    if wave is not None and wave.materialised:
        del data["selection"]  # fixed at the start; the form does not show it
    return data, problems


def _save(form: WaveForm, rollout, wave=None):
    data, problems = _form_data(form, wave)
    if problems:
        form.attributes.errors = list(form.attributes.errors) + problems
        return None
    try:
        if wave is None:
            return waves.create_wave(rollout, data, current_user)
        return waves.update_wave(wave, data, current_user)
    except ValidationFailed as error:
        apply_errors(form, error, ALIASES)
        return None


def _status(form) -> int:
    return 422 if form.errors or getattr(form, "form_errors", None) else 200


def _unit_choices(form: WaveForm) -> None:
    form.units.choices = [SelectChoice(name, name) for name in people.unit_names()]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(key: str):
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    form = WaveForm()
    _unit_choices(form)
    number = len(rollout.waves)
    if request.method == "GET":
        form.name.data = _("Pilot") if number == 0 else _("Wave %(n)s", n=number)
    if form.validate_on_submit():
        wave = _save(form, rollout)
        if wave is not None:
            flash(_("Wave %(n)s was planned. Check who it takes in the preview.", n=wave.number), "success")
            return redirect(url_for("waves.show", key=key, number=wave.number))
    return render_template("waves/form.html", form=form, rollout=rollout, wave=None, number=number,
                           attribute_values=people.attribute_values()), _status(form)


@bp.route("/<int:number>/edit", methods=["GET", "POST"])
@login_required
def edit(key: str, number: int):
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    wave = waves.get_wave(rollout, number)
    form = WaveForm(obj=wave)
    _unit_choices(form)
    if request.method == "GET":
        selection = wave.selection or {}
        form.people.data = "\n".join(selection.get("people") or [])
        form.units.data = selection.get("units") or []
        form.attributes.data = "\n".join(f"{k}={','.join(v)}" for k, v in (selection.get("attributes") or {}).items())
        form.planned_start.data = wave.planned_start.astimezone(waves.LOCAL_ZONE).date() if wave.planned_start else None
        form.planned_end.data = wave.planned_end.astimezone(waves.LOCAL_ZONE).date() if wave.planned_end else None
    if form.validate_on_submit():
        if _save(form, rollout, wave) is not None:
            flash(_("The wave was saved."), "success")
            return redirect(url_for("waves.show", key=key, number=number))
    return render_template("waves/form.html", form=form, rollout=rollout, wave=wave, number=number,
                           attribute_values=people.attribute_values()), _status(form)


@bp.route("/<int:number>")
@login_required
def show(key: str, number: int):
    rollout = rollouts.get_rollout(key, current_user)
    wave = waves.get_wave(rollout, number)
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    if wave.materialised:
        people_page, total = cohorts.members(wave, page, per_page)
    else:
        everyone = cohorts.preview(wave)
        total = len(everyone)
        people_page = cohorts.page_of(everyone, page, per_page)
    lead = can_lead(current_user, rollout)
    moves = [(to, waves.blockers(wave, to)) for to in waves.targets(wave)] if lead else []
    return render_template("waves/show.html", rollout=rollout, wave=wave, people=people_page, total=total,
                           pager=Pagination(page, per_page, total), can_lead=lead, moves=moves,
                           previous=waves.previous_wave(wave), form=TransitionForm(),
                           decision_form=DecisionForm())


@bp.route("/<int:number>/transition", methods=["POST"])
@login_required
def transition(key: str, number: int):
    rollout = rollouts.get_rollout(key, current_user)
    wave = waves.get_wave(rollout, number)
    form = TransitionForm()
    if form.validate_on_submit():
        try:
            waves.transition(wave, form.to.data, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        else:
            flash(_("Wave %(n)s is now: %(state)s.", n=wave.number, state=waves.state_label(wave.state).lower()),
                  "success")
    return redirect(url_for("waves.show", key=key, number=number))


@bp.route("/<int:number>/decision", methods=["POST"])
@login_required
def decision(key: str, number: int):
    rollout = rollouts.get_rollout(key, current_user)
    wave = waves.get_wave(rollout, number)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            waves.decide(wave, form.decision.data, form.rationale.data, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        except ValidationFailed as error:
            flash(" ".join(item["message"] for item in error.details) or error.message, "error")
        else:
            flash(_("The decision was recorded."), "success")
        return redirect(url_for("waves.show", key=key, number=number))
    flash(" ".join(m for errors in form.errors.values() for m in errors), "error")
    return redirect(url_for("waves.show", key=key, number=number))
