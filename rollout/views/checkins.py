"""A wave's check-ins, the lead's side: add one (its day and up to three questions, prefilled with
the defaults), change or delete one not yet sent (deleting asks first), and the section of the
wave page and of the wave's results page that lists them with their trend and the lead's flag
(`checkin_section`, a template global, so the wave page needs only an include)."""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ActionForm
from ..forms.checkins import CheckInForm
from ..models import CheckIn, Rollout, Wave
from ..services import chart_data, checkins, rollouts, waves
from ..services.accounts import can_lead, require_lead
from ..services.errors import GuardFailed, ValidationFailed
from .helpers import apply_errors, ask_to_confirm, confirmed

bp = Blueprint("checkins", __name__, url_prefix="/rollouts/<key>/waves/<int:number>/checkins")


def _wave_url(key: str, number: int) -> str:
    return url_for("waves.show", key=key, number=number) + "#checkins-title"


@bp.app_template_global("checkin_section")
def checkin_section(rollout: Rollout, wave: Wave) -> dict[str, Any]:
    """What the check-ins section of a wave's page shows: the check-ins with their figures, the
    trend as a chart (its text alternative and table, never drawn here), the flag (to the lead
    only) and, while they can be added, the form prefilled with the defaults."""
    lead = can_lead(current_user, rollout)
    trend = checkins.wave_trend(wave, current_user)
    chart = chart_data.describe(chart_data.gather(rollout, f"{chart_data.CHECKINS}{wave.number}",
                                                  str(get_locale()), current_user)) if trend.sent else None
    form = None
    if lead and wave.state in checkins.EDITABLE_STATES:
        form = CheckInForm(formdata=None)
        taken = {item.checkin.day for item in trend.items}
        day = next(d for d in range(1, checkins.MAX_DAY + 2) if d not in taken)
        form.fill(day, checkins.default_questions())
    return {"trend": trend, "chart": chart, "form": form, "can_lead": lead,
            "editable": lead and wave.state in checkins.EDITABLE_STATES, "labels": checkins.STATE_LABELS,
            "send_at": {item.checkin.id: checkins.send_at(item.checkin, wave) for item in trend.items}}


def _lead_wave(key: str, number: int) -> tuple[Rollout, Wave]:
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    return rollout, waves.get_wave(rollout, number)


def _show_form(rollout: Rollout, wave: Wave, form: CheckInForm, checkin: Optional[CheckIn],
               status: int) -> ResponseReturnValue:
    return render_template("checkins/form.html", rollout=rollout, wave=wave, form=form, checkin=checkin), status


def _save(form: CheckInForm, rollout: Rollout, wave: Wave, checkin: Optional[CheckIn]) -> ResponseReturnValue:
    if not form.validate_on_submit():
        return _show_form(rollout, wave, form, checkin, 422)
    try:
        if checkin is None:
            saved = checkins.add_checkin(wave, form.data_for_service(), current_user)
        else:
            saved = checkins.update_checkin(checkin, wave, form.data_for_service(), current_user)
    except ValidationFailed as error:
        apply_errors(form, error, {item.get("field"): form.field_for(item.get("field") or "") for item in error.details})
        return _show_form(rollout, wave, form, checkin, 422)
    except GuardFailed as error:
        flash(error.message, "error")
        return redirect(_wave_url(rollout.key, wave.number))
    flash(_("The check-in on day %(day)s is planned.", day=saved.day), "success")
    return redirect(_wave_url(rollout.key, wave.number), 303)


@bp.route("", methods=["POST"])
@login_required
def add(key: str, number: int) -> ResponseReturnValue:
    rollout, wave = _lead_wave(key, number)
    return _save(CheckInForm(), rollout, wave, None)


@bp.route("/<int:checkin_id>/edit", methods=["GET", "POST"])
@login_required
def edit(key: str, number: int, checkin_id: int) -> ResponseReturnValue:
    rollout, wave = _lead_wave(key, number)
    checkin = checkins.get_checkin(wave, checkin_id)
    form = CheckInForm()
    if not form.is_submitted():
        form.fill(checkin.day, list(checkin.questions))
        return _show_form(rollout, wave, form, checkin, 200)
    return _save(form, rollout, wave, checkin)


@bp.route("/<int:checkin_id>/delete", methods=["POST"])
@login_required
def delete(key: str, number: int, checkin_id: int) -> ResponseReturnValue:
    rollout, wave = _lead_wave(key, number)
    checkin = checkins.get_checkin(wave, checkin_id)
    back = _wave_url(key, number)
    if ActionForm().validate_on_submit():
        if not confirmed():
            return ask_to_confirm(_("Delete the check-in on day %(day)s?", day=checkin.day),
                                  [_("The check-in on day %(day)s of wave %(n)s is deleted; it will not be sent.",
                                     day=checkin.day, n=wave.number)],
                                  _("Yes, delete the check-in"), back)
        try:
            checkins.delete_checkin(checkin, wave, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        else:
            flash(_("The check-in is deleted."), "success")
    return redirect(back, 303)
