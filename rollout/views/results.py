"""The results pages of a rollout and of a wave, their charts as images, and the
gate criteria. A chart's URL accepts a logged-in session or a bearer token, so
it can be embedded in an intranet page or read by a BI tool; the exports are
in views/exports.py."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import charts
from ..forms import GateForm
from ..services import chart_cache, chart_data, gates, rollouts, waves
from ..services.accounts import can_lead, require_lead
from ..services.errors import NotFound, ValidationFailed
from ..services.results import category_labels, rollout_results, wave_results
from .helpers import apply_errors, session_or_token_user

bp = Blueprint("results", __name__, url_prefix="/rollouts/<key>")


@bp.route("/charts/<name>.<fmt>")
def chart(key: str, name: str, fmt: str) -> ResponseReturnValue:
    actor = session_or_token_user()
    if fmt not in charts.FORMATS:
        raise NotFound(_("There is no such chart."))
    rollout = rollouts.get_rollout(key, actor, with_waves=True)
    data = chart_data.gather(rollout, name, str(get_locale()), actor)
    etag = data.fingerprint(fmt)
    if request.if_none_match.contains(etag):
        response = Response(status=304)  # the same data: the same picture, neither drawn nor read
    else:
        response = Response(chart_cache.image(data, fmt), mimetype=charts.MEDIA_TYPES[fmt])
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"  # revalidate: the data changes with every answer
    response.headers["Vary"] = "Cookie, Authorization, Accept-Language"
    return response


@bp.route("/results")
@login_required
def results(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    language = str(get_locale())
    all_results = rollout_results(rollout, current_user)
    described = [chart_data.describe(chart_data.gather(rollout, name, language, current_user))
                 for name in chart_data.chart_names(rollout)]
    return render_template("results/rollout.html", rollout=rollout, results=all_results, charts=described,
                           categories=category_labels(rollout, language), can_lead=can_lead(current_user, rollout))


@bp.route("/waves/<int:number>/results")
@login_required
def wave(key: str, number: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    the_wave = waves.get_wave(rollout, number)
    result = wave_results(the_wave, current_user)
    evaluation = gates.evaluate(the_wave, result)
    language = str(get_locale())
    # this wave's answers beside the others': how the rollout moves, wave by wave
    shown = [name for name in ("satisfaction", "question-worked_day_one") if name in chart_data.chart_names(rollout)]
    described = [chart_data.describe(chart_data.gather(rollout, name, language, current_user)) for name in shown]
    return render_template("results/wave.html", rollout=rollout, wave=the_wave, result=result,
                           evaluation=evaluation, criteria=gates.criteria_for(the_wave),
                           decisions=waves.decisions(the_wave),
                           categories=category_labels(rollout, language), language=language,
                           charts=described, can_lead=can_lead(current_user, rollout))


# --- gate criteria: the rollout's defaults and a wave's overrides -----------------

SHARES = ("min_response_rate", "min_satisfied")


def _gate_data(form: GateForm, keep_empty: bool) -> dict:
    data: dict[str, float | bool | None] = {}
    for name in ("min_responses", "min_response_rate", "min_satisfied", "max_open_blockers"):
        value = getattr(form, name).data
        if value is None:
            if keep_empty:
                data[name] = None
            continue
        data[name] = value / 100 if name in SHARES else value
    choice = form.lessons_ready.data
    if choice in ("yes", "no"):
        data["lessons_ready"] = choice == "yes"
    elif keep_empty:
        data["lessons_ready"] = None
    return data


def _fill(form: GateForm, settings: dict) -> None:
    for name in ("min_responses", "min_response_rate", "min_satisfied", "max_open_blockers"):
        value = settings.get(name)
        if value is not None:
            getattr(form, name).data = round(value * 100) if name in SHARES else value
    if settings.get("lessons_ready") is not None:
        form.lessons_ready.data = "yes" if settings["lessons_ready"] else "no"


@bp.route("/gate", methods=["GET", "POST"])
@bp.route("/waves/<int:number>/gate", methods=["GET", "POST"])
@login_required
def gate(key: str, number: int | None = None) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    the_wave = waves.get_wave(rollout, number) if number is not None else None
    form = GateForm()
    if request.method == "GET":
        _fill(form, (the_wave.gate_overrides or {}) if the_wave else {**gates.DEFAULTS, **(rollout.gate or {})})
    if form.validate_on_submit():
        try:
            if the_wave is None:
                gates.set_rollout_gate(rollout, _gate_data(form, keep_empty=False), current_user)
            else:
                gates.set_wave_gate(the_wave, _gate_data(form, keep_empty=True), current_user)
        except ValidationFailed as error:
            apply_errors(form, error, {f"gate.{name}": name for name in gates.DEFAULTS})
        else:
            flash(_("The gate was saved."), "success")
            if the_wave is None:
                return redirect(url_for("results.results", key=key))
            return redirect(url_for("results.wave", key=key, number=the_wave.number))
    defaults = {**gates.DEFAULTS, **(rollout.gate or {})}
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return render_template("results/gate.html", rollout=rollout, wave=the_wave, form=form, defaults=defaults,
                           can_lead=can_lead(current_user, rollout)), status
