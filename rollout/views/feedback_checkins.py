"""The participant's side of check-ins, on the personal link's blueprint (views/feedback.py): the
open check-in shown above the questionnaire -- or alone while feedback has not opened -- through
the partial feedback/_checkin.html, its answers, and the thank-you."""
from __future__ import annotations

from typing import Any, Optional

from flask import g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..forms.feedback import QuestionnaireForm, field_name, questionnaire_form
from ..services import checkins
from ..services.errors import ValidationFailed
from ..services.feedback import FeedbackClosed, Visit
from .feedback import bp, language
from .helpers import apply_errors

PREFIX = "checkin-"  # the check-in's fields and CSRF token beside the questionnaire's on one page


def _form(current: checkins.OpenCheckIn, answers: Optional[dict] = None) -> QuestionnaireForm:
    return questionnaire_form(current.questions, language(), answers, prefix=PREFIX)


@bp.app_template_global("open_checkin_box")
def open_checkin_box(v: Visit) -> Optional[dict[str, Any]]:
    """What the partial shows: the open check-in with a form prefilled with the person's answers."""
    current = checkins.open_checkin(v)
    if current is None:
        return None
    return {"current": current, "form": _form(current, current.answers)}


@bp.route("/<token>/checkin", methods=["POST"])
def checkin(token: str) -> ResponseReturnValue:
    v: Visit = g.visit
    current = checkins.open_checkin(v)
    if current is None:
        return render_template("feedback/checkin.html", visit=v, box=None,
                               message=_("This check-in is closed; answers can no longer be sent or changed.")), 409
    form = _form(current)
    if form.validate_on_submit():
        posted = request.form.get("checkin", "")
        try:
            checkins.answer(v, int(posted) if posted.isdigit() else None, form.answers())
        except FeedbackClosed as error:
            return render_template("feedback/checkin.html", visit=v, box=None, message=error.message), 409
        except ValidationFailed as error:
            names = {q.code: field_name(q.code) for q in current.questions}
            apply_errors(form, error, {item.get("field"): names.get(item.get("field"), "") for item in error.details})
        else:
            return redirect(url_for("feedback.checkin_thanks", token=token), 303)
    return render_template("feedback/checkin.html", visit=v, box={"current": current, "form": form}, message=None), 422


@bp.route("/<token>/checkin/thanks")
def checkin_thanks(token: str) -> ResponseReturnValue:
    v: Visit = g.visit
    current = checkins.open_checkin(v)
    return render_template("feedback/checkin_thanks.html", visit=v, current=current)
