"""The participant's side: the personal link /f/<token> (no account).

Every page here is opened by the token alone. An unknown or revoked link, and
a cancelled wave, get the same plain 404 that names nothing. The page speaks
the person's language unless they chose another with the language switch.
The form, thanks and closed pages also say what was changed because of earlier
feedback ("you said, we did")."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, refresh
from flask_babel import gettext as _

from .. import formatting
from ..forms.feedback import field_name, number_text, problem_form, questionnaire_form
from ..models import Question
from ..services import feedback, questionnaires
from ..services.errors import ValidationFailed
from ..services.feedback import FeedbackClosed, LinkNotValid, Visit
from .helpers import apply_errors

bp = Blueprint("feedback", __name__, url_prefix="/f")


@bp.before_request
def open_link():
    """Look the link up once per request; its person's language is the page's default."""
    try:
        g.visit = feedback.visit((request.view_args or {}).get("token", ""))
    except LinkNotValid:
        return render_template("feedback/invalid.html"), 404
    g.participant_language = g.visit.person.language
    refresh()  # a message may already have been translated in the default language
    return None


@bp.after_request
def keep_private(response):
    """The pages carry a personal link and a person's answers: not for caches, search engines or referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def language() -> str:
    return str(get_locale())


def closed_message(v: Visit) -> str:
    """Why the form cannot be answered now, in the participant's words."""
    wave = v.wave
    if wave.feedback_opened_at is None:
        return _("Feedback for this wave has not opened yet.")
    if wave.state == "paused" and wave.paused_from == "feedback":
        return _("Feedback for this wave is paused for the moment. Come back with the same link later.")
    closed_at = wave.closed_at or wave.feedback_closes_at
    if closed_at is None:
        return _("The feedback window for this wave is closed.")
    return _("The feedback window closed on %(date)s.", date=formatting.when(closed_at))


def answer_text(question: Question, value: Any, lang: str) -> str:
    """A stored answer as a person reads it."""
    if value is None or value == "" or value == []:
        return _("No answer")
    if question.kind == "rating":
        return _("%(value)s of 5", value=value)
    if question.kind == "nps":
        return _("%(value)s of 10", value=value)
    if question.kind == "yes_no":
        return _("Yes") if value == "yes" else _("No")
    if question.kind == "choice":
        return question.option_label(value, lang)
    if question.kind == "multi":
        return ", ".join(question.option_label(v, lang) for v in value)
    if question.kind == "number":
        return number_text(value, lang)
    return str(value)


def given_answers(v: Visit) -> list[tuple[str, str]]:
    """(question, answer) for a read-only view of what the person sent."""
    if v.response is None or v.questionnaire is None:
        return []
    answers = feedback.current_answers(v)
    lang = language()
    return [(q.prompt(lang), answer_text(q, answers.get(q.code), lang)) for q in v.questionnaire.questions]


def _closed(v: Visit, status: int) -> ResponseReturnValue:
    return render_template("feedback/closed.html", visit=v, message=closed_message(v),
                           answers=given_answers(v), said_and_done=feedback.said_and_done(v.wave)), status


@bp.route("/<token>", methods=["GET", "POST"])
def form(token: str) -> ResponseReturnValue:
    v: Visit = g.visit
    if request.method != "POST":
        feedback.touch(v)
    if not v.can_answer or v.questionnaire is None:
        return _closed(v, 409 if request.method == "POST" else 200)
    lang = language()
    if request.method != "POST":
        answers = feedback.current_answers(v)
        return render_template("feedback/form.html", visit=v, form=questionnaire_form(
            v.questionnaire.questions, lang, answers), said_and_done=feedback.said_and_done(v.wave))
    form = questionnaire_form(v.questionnaire.questions, lang)
    if form.validate_on_submit():
        try:
            feedback.submit(v, form.answers(request.form), lang, share=request.form.getlist("share"))
        except FeedbackClosed:
            return _closed(v, 409)
        except ValidationFailed as error:
            # a question's problem goes next to its field; anything else (a code that is
            # not a question) above the form
            names = {q.code: field_name(q.code) for q in v.questionnaire.questions}
            apply_errors(form, error, {item.get("field"): names.get(item.get("field"), "") for item in error.details})
        else:
            return redirect(url_for("feedback.thanks", token=token), 303)
    return render_template("feedback/form.html", visit=v, form=form,
                           said_and_done=feedback.said_and_done(v.wave)), 422


@bp.route("/<token>/thanks")
def thanks(token: str) -> ResponseReturnValue:
    v: Visit = g.visit
    if v.response is None and not v.earlier_answers_hidden:
        return redirect(url_for("feedback.form", token=token))
    return render_template("feedback/thanks.html", visit=v, said_and_done=feedback.said_and_done(v.wave))


@bp.route("/<token>/problem", methods=["GET", "POST"])
def problem(token: str) -> ResponseReturnValue:
    v: Visit = g.visit
    if not v.can_report:
        message = _("Problems are reported with this link until the team has decided on the wave, "
                    "and it has. Contact your usual IT support instead.")
        return render_template("feedback/problem.html", visit=v, form=None, message=message), \
            409 if request.method == "POST" else 200
    form = problem_form(questionnaires.categories(v.rollout), language())
    if form.validate_on_submit():
        data = {"category": form.category.data, "severity": form.severity.data,
                "description": (form.description.data or "").replace("\r\n", "\n")}
        try:
            report = feedback.report_problem(token, data)
        except ValidationFailed as error:
            apply_errors(form, error)
        except FeedbackClosed as error:
            return render_template("feedback/problem.html", visit=v, form=None, message=error.message), 409
        else:
            return redirect(url_for("feedback.problem_sent", token=token,
                                    blocker=1 if report.severity == "blocker" else None), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("feedback/problem.html", visit=v, form=form, message=None), status


@bp.route("/<token>/problem/sent")
def problem_sent(token: str) -> ResponseReturnValue:
    return render_template("feedback/problem_sent.html", visit=g.visit, blocker=request.args.get("blocker") == "1")

