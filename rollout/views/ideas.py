"""Ideas from the floor: the public idea form (no account) with the similar ideas and lessons
shown before sending, its thank-you page, and the council's board, an idea's page with the
decisions, and the ideas by unit with the needs several units share."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms.ideas import DecisionForm, IdeaForm, reach_labels
from ..languages import LANGUAGES
from ..models import Idea
from ..services import ideas, people
from ..services.errors import GuardFailed, ValidationFailed
from ..services.validation import an_id
from .helpers import apply_errors, ask_to_confirm, confirmed

bp = Blueprint("ideas", __name__, url_prefix="/ideas")


CONFIRMED = ("accept_rollout", "accept_lesson", "decline", "merge")


def _language() -> str:
    language = str(get_locale() or "sv")
    return language if language in LANGUAGES else "sv"


def _form_data(form: IdeaForm) -> dict[str, Any]:
    return {"name": form.name.data, "email": form.email.data, "unit": form.unit.data, "problem": form.problem.data,
            "idea": form.idea.data, "reach": form.reach.data, "language": _language()}


def _form_page(form: IdeaForm, similar: ideas.Similar | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("ideas/new.html", form=form, similar=similar, units=people.unit_names(),
                           status_labels=ideas.state_labels()), status


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """The idea form. Sent without "send mine anyway", similar ideas and lessons are shown first,
    each idea with a button to support it instead (the same form: the person's fields come along)."""
    form = IdeaForm()
    if not form.validate_on_submit():
        return _form_page(form, status=422 if request.method == "POST" else 200)
    data = _form_data(form)
    supported = an_id(request.form.get("support"))
    try:
        if supported is not None:
            idea, added = ideas.support(ideas.get_public_idea(supported), data, request.remote_addr or "")
            return redirect(url_for("ideas.thanks", supported=idea.id, added=int(added), lang=_language()))
        ideas.clean_idea(data)  # every problem of the fields before anything else
        if not form.send_anyway.data:
            similar = ideas.similar(f"{data['problem']} {data['idea']}")
            if similar:
                form.send_anyway.data = "1"
                return _form_page(form, similar)
        ideas.submit(data, request.remote_addr or "", honeypot=(form.website.data or "").strip())
    except ValidationFailed as error:
        apply_errors(form, error)
        return _form_page(form, status=422)
    except ideas.TooManyIdeas as error:
        form.form_errors = [error.message]
        return _form_page(form, status=429)
    except GuardFailed as error:
        form.form_errors = [error.message]
        return _form_page(form, status=409)
    return redirect(url_for("ideas.thanks", lang=_language()))


@bp.route("/thanks")
def thanks() -> ResponseReturnValue:
    supported = an_id(request.args.get("supported"))
    return render_template("ideas/thanks.html", supported=supported, added=request.args.get("added") == "1")


@bp.route("/similar")
def similar() -> ResponseReturnValue:
    """The similar ideas and lessons as the form's script shows them while typing (ideas.js):
    what anyone may see of them, no names."""
    found = ideas.similar(str(request.args.get("q", ""))[:2000])
    labels = ideas.state_labels()
    return jsonify({"ideas": [{"id": i.id, "idea": i.idea[:300], "problem": i.problem[:300], "supporters": i.supporters,
                               "state": labels[i.state]} for i in found.ideas],
                    "lessons": [{"title": lesson.title, "action": (lesson.action or "")[:300]}
                                for lesson in found.lessons]})


# --- the council's side ---------------------------------------------------------------

def _council() -> None:
    ideas.require_council(current_user)


@bp.route("/")
@login_required
def board() -> ResponseReturnValue:
    _council()
    state = request.args.get("state", "")
    return render_template("ideas/board.html", board=ideas.board(current_user, state),
                           status_labels=ideas.state_labels(), reach=reach_labels(), state=state)


@bp.route("/units")
@login_required
def units() -> ResponseReturnValue:
    _council()
    return render_template("ideas/units.html", groups=ideas.by_unit(current_user),
                           shared=ideas.shared_needs(current_user), status_labels=ideas.state_labels(),
                           shared_units=ideas.SHARED_UNITS)


def _show(idea: Idea, posted: DecisionForm | None = None, status: int = 200) -> ResponseReturnValue:
    """An idea's page with a form for each decision (each its own prefix, so that field ids stay unique)."""
    forms = {name: DecisionForm(prefix=name, formdata=None) for name in CONFIRMED}
    if posted is not None and posted._prefix.rstrip("-") in forms:
        forms[posted._prefix.rstrip("-")] = posted
    return render_template("ideas/show.html", idea=idea, forms=forms, review_form=DecisionForm(prefix="review",
                           formdata=None), supporters=ideas.supporters_of(idea), status_labels=ideas.state_labels(),
                           reach=reach_labels(), posted=posted), status


@bp.route("/<int:idea_id>")
@login_required
def show(idea_id: int) -> ResponseReturnValue:
    return _show(ideas.get_idea(idea_id, current_user))


def _what_happens(idea: Idea, decision: str, form: DecisionForm) -> list[str]:
    people_told = len(ideas.recipients(idea))
    told = _("The proposer and the supporters (%(n)s in all) are e-mailed the decision.", n=people_told)
    return {"accept_rollout": [_("Idea %(id)s is accepted and becomes the draft rollout %(key)s; you become its "
                                 "first lead.", id=idea.id, key=form.key.data or ""), told],
            "accept_lesson": [_("Idea %(id)s is accepted and becomes a lesson of the rollout %(key)s.", id=idea.id,
                                key=form.rollout.data or ""), told],
            "decline": [_("Idea %(id)s is declined with the reason you gave.", id=idea.id), told],
            "merge": [_("Idea %(id)s is merged into idea %(into)s, which takes over its supporters.", id=idea.id,
                        into=form.into.data or ""), told]}[decision]


@bp.route("/<int:idea_id>/decision", methods=["POST"])
@login_required
def decision(idea_id: int) -> ResponseReturnValue:
    idea = ideas.get_idea(idea_id, current_user)
    choice = request.form.get("decision", "")
    if choice not in ideas.DECISIONS:
        flash(_("Choose a decision."), "error")
        return redirect(url_for("ideas.show", idea_id=idea.id))
    form = DecisionForm(prefix=choice)
    if not form.validate_on_submit():
        return _show(idea, form, 422)
    data = {"reason": form.reason.data, "into": an_id(form.into.data), "key": (form.key.data or "").strip(),
            "name": form.name.data, "rollout": (form.rollout.data or "").strip(), "title": form.title.data}
    if choice == "merge" and data["into"] is None and (form.into.data or "").strip():
        data["into"] = 0  # a number that names no idea: the service says so next to the field
    if choice in CONFIRMED and not confirmed():
        try:  # the guards and the fields first: the confirmation page only for what can be done
            _precheck(idea, choice, data)
        except ValidationFailed as error:
            apply_errors(form, error)
            return _show(idea, form, 422)
        except GuardFailed as error:
            flash(error.message, "error")
            return redirect(url_for("ideas.show", idea_id=idea.id))
        return ask_to_confirm(_("Record this decision on idea %(id)s?", id=idea.id), _what_happens(idea, choice, form),
                              _("Yes, record the decision"), url_for("ideas.show", idea_id=idea.id))
    try:
        ideas.decide(idea, choice, data, current_user)
    except ValidationFailed as error:
        apply_errors(form, error)
        return _show(idea, form, 422)
    except GuardFailed as error:
        flash(error.message, "error")
        return redirect(url_for("ideas.show", idea_id=idea.id))
    flash(_("The decision was recorded and the proposer and supporters are told."), "success")
    return redirect(url_for("ideas.show", idea_id=idea.id))


def _precheck(idea: Idea, choice: str, data: dict[str, Any]) -> None:
    ideas.check_decision(idea, choice, data)


# --- for the templates of other pages: the lesson an idea became, and "you said, we did" ----------

@bp.app_template_global("idea_of_lesson")
def idea_of_lesson(lesson: Any) -> Idea | None:
    return ideas.idea_of_lesson(lesson)


@bp.app_template_global("ideas_done_in")
def ideas_done_in(rollout: Any) -> list[Idea]:
    return ideas.done_in(rollout)


@bp.app_template_global("idea_of_rollout")
def idea_of_rollout(rollout: Any) -> Idea | None:
    return ideas.idea_of_rollout(rollout)
