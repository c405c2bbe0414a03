"""Lessons of a rollout, one lesson (edit, status, verification), and the library across rollouts."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..forms import ActionForm
from ..forms.lessons import LessonForm, LessonStatusForm, VerifyForm
from ..models import LESSON_STATUSES, Lesson, Rollout, User, Wave
from ..services import compare, lessons, retro, rollouts
from ..services.accounts import can_view
from ..services.errors import GuardFailed, NotFound, ValidationFailed
from ..services.validation import MAX_ID, an_id, whole_number
from ..services.waves import state_label
from . import lang
from .helpers import Pagination, apply_errors, ask_to_confirm, confirmed, page_arg, submit

bp = Blueprint("lessons", __name__)

LIBRARY_PER_PAGE = 20
# the lesson's fields in the order of the form; the service takes wave numbers and the owner's e-mail
FIELDS = ("title", "action", "owner", "origin_wave", "target_wave", "metric", "tags")


def _language() -> str:
    return str(get_locale() or "sv")


def status_labels() -> dict[str, str]:
    return {status: lessons.status_label(status) for status in LESSON_STATUSES}


def proposal_labels() -> dict[str, str]:
    return {"effective": _("effective"), "ineffective": _("not effective"), "inconclusive": _("inconclusive")}


def _status(form: FlaskForm) -> int:
    return 422 if form.errors or getattr(form, "form_errors", None) else 200


def _rollout_lesson(key: str, lesson_id: int) -> tuple[Rollout, Lesson]:
    rollout = rollouts.get_rollout(key, current_user)
    lesson = lessons.get_lesson(lesson_id, current_user)
    if lesson.rollout_id != rollout.id:
        raise NotFound(_("No such lesson."))
    return rollout, lesson


# --- the form's choices ---------------------------------------------------------

def _wave_choice(wave: Wave, rollout: Rollout) -> SelectChoice:
    """A wave, under its state ("Planned": "2: Kundcenter"), its name marked with its language."""
    return lang.wave_choice(wave, rollout, optgroup=state_label(wave.state))


def _choices(form: LessonForm, rollout: Rollout, lesson: Optional[Lesson] = None) -> None:
    """The team as owners, the waves, and the metrics; a lesson's current values stay choosable."""
    owners: list[tuple[str, str]] = [("", _("No owner yet"))]
    for role in rollouts.team(rollout):
        if role.user.active and role.user.email not in dict(owners):
            role_name = _("lead") if role.role == "lead" else _("reviewer")
            owners.append((role.user.email, f"{role.user.name} ({role_name})"))
    if lesson is not None and lesson.owner is not None and lesson.owner.email not in dict(owners):
        owners.append((lesson.owner.email, lesson.owner.name))
    form.owner.choices = owners
    current_origin = lesson.origin_wave if lesson else None
    current_target = lesson.target_wave if lesson else None
    form.origin_wave.choices = [SelectChoice("", _("No wave"))] + [
        _wave_choice(w, rollout) for w in rollout.waves if w.state != "cancelled" or w == current_origin]
    form.target_wave.choices = [SelectChoice("", _("No wave yet"))] + [
        _wave_choice(w, rollout) for w in rollout.waves if lessons.can_target(w) or w == current_target]
    metrics = [("", _("None"))] + compare.metric_choices(rollout, _language())
    if lesson is not None and lesson.metric and lesson.metric not in dict(metrics):
        metrics.append((lesson.metric, lesson.metric))
    form.metric.choices = metrics


def _retro_url(rollout: Rollout, wave: Optional[Wave]) -> Optional[str]:
    if wave is None:
        return None
    return url_for("retro.show", key=rollout.key, number=wave.number)


def _number(wave: Optional[Wave]) -> str:
    return str(wave.number) if wave is not None else ""


def _submitted(form: LessonForm) -> dict:
    return {name: (getattr(form, name).data or "") for name in FIELDS}


# --- a rollout's lessons -------------------------------------------------------

class ListPagination(Pagination):
    def __init__(self, rollout: Rollout, args: dict, page: int, per_page: int, total: int):
        super().__init__(page, per_page, total)
        self.key, self.args = rollout.key, args

    def url(self, page: int) -> str:
        return url_for("lessons.rollout_lessons", key=self.key, **{**self.args, "page": page})


@bp.route("/rollouts/<key>/lessons")
@login_required
def rollout_lessons(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    status = request.args.get("status", "").strip()
    status = status if status in LESSON_STATUSES else ""
    number = request.args.get("target", "").strip()
    target = next((w for w in rollout.waves if w.number == whole_number(number, 0, MAX_ID)), None)
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    items, total = lessons.for_rollout(rollout, current_user, status=status, target=target, page=page,
                                       per_page=per_page)
    args = {k: v for k, v in (("status", status), ("target", _number(target))) if v}
    return render_template("lessons/index.html", rollout=rollout, lessons=items, total=total,
                           status_filter=status, target_filter=target, statuses=status_labels(),
                           metrics=dict(compare.metric_choices(rollout, _language())),
                           pager=ListPagination(rollout, args, page, per_page, total))


@bp.route("/rollouts/<key>/lessons/new", methods=["GET", "POST"])
@login_required
def new(key: str) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    theme_id = request.args.get("theme", "").strip()
    context = None
    if theme_id:
        parsed_id = an_id(theme_id)
        if parsed_id is None:
            raise NotFound(_("No such theme."))
        context = lessons.theme_context(rollout, parsed_id, current_user)
    form = LessonForm()
    _choices(form, rollout)
    if request.method == "GET":
        origin = context.wave if context else lessons.default_origin(rollout)
        form.origin_wave.data = _number(origin)
        form.target_wave.data = _number(lessons.default_target_wave(rollout, origin))
        if context:
            form.title.data = context.theme.title
    if form.validate_on_submit():
        try:
            lesson = lessons.create_lesson(rollout, _submitted(form), current_user,
                                           theme=context.theme if context else None)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            message = _("The lesson was saved.")
            if lesson.owner is not None and lesson.owner.id != current_user.id:
                message += " " + _("%(name)s, its owner, was told by e-mail.", name=lesson.owner.name)
            flash(message, "success")
            return redirect(url_for("lessons.show", key=rollout.key, lesson_id=lesson.id))
    return render_template("lessons/new.html", rollout=rollout, form=form, context=context,
                           retro_url=_retro_url(rollout, context.wave if context else None),
                           kind_label=retro.kind_label, statuses=status_labels(),
                           has_errors=bool(form.errors or getattr(form, "form_errors", None))), _status(form)


# --- one lesson -------------------------------------------------------------------

def _status_form(lesson: Lesson, form: Optional[LessonStatusForm] = None) -> LessonStatusForm:
    form = form or LessonStatusForm(formdata=None)
    # verification has its own panel, with the evidence beside the buttons
    form.status.choices = [(s, lessons.status_label(s)) for s in lessons.TRANSITIONS[lesson.status]
                           if s not in lessons.VERIFIED]
    return form


def _show(rollout: Rollout, lesson: Lesson, form: Optional[LessonForm] = None,
          status_form: Optional[LessonStatusForm] = None, code: int = 200) -> ResponseReturnValue:
    language = _language()
    if form is None:
        form = LessonForm(formdata=None, data=lessons.field_values(lesson))
        _choices(form, rollout, lesson)
    verifiable = lessons.verifiable_in(lesson.target_wave)
    comparison = lessons.verification(lesson, language) if verifiable and lesson.status not in lessons.VERIFIED \
        else None
    origin = lessons.provenance(lesson)
    source_visible = origin.source is not None and can_view(current_user, origin.source.rollout)
    retro_url = _retro_url(rollout, origin.theme_wave)
    has_errors = bool(form.errors or getattr(form, "form_errors", None)
                      or (status_form is not None and (status_form.errors or getattr(status_form, "form_errors", None))))
    return render_template(
        "lessons/show.html", rollout=rollout, lesson=lesson, form=form, status_form=_status_form(lesson, status_form),
        verifiable=verifiable, comparison=comparison, origin=origin,
        source_visible=source_visible, retro_url=retro_url, metric_label=compare.label(rollout, lesson.metric, language),
        statuses=status_labels(), proposals=proposal_labels(), has_errors=has_errors), code


@bp.route("/rollouts/<key>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@login_required
def show(key: str, lesson_id: int) -> ResponseReturnValue:
    rollout, lesson = _rollout_lesson(key, lesson_id)
    if request.method == "GET":
        return _show(rollout, lesson)
    form = LessonForm()
    _choices(form, rollout, lesson)
    if form.validate_on_submit():
        data = lessons.changed_fields(lesson, _submitted(form))
        old_owner = lesson.owner_id

        def saved(changed: Lesson) -> str:
            message = _("The lesson was saved.")
            if changed.owner is not None and changed.owner_id != old_owner and changed.owner.id != current_user.id:
                message += " " + _("%(name)s, its owner, was told by e-mail.", name=changed.owner.name)
            return message

        back = _back_to(rollout, lesson)
        done = submit(form, lambda: lessons.update_lesson(lesson, data, current_user, _language()),
                      saved, lambda _lesson: back, lambda: back)
        if done:
            return done
    return _show(rollout, lesson, form=form, code=422)


def _back_to(rollout: Rollout, lesson: Lesson) -> ResponseReturnValue:
    return redirect(url_for("lessons.show", key=rollout.key, lesson_id=lesson.id))


@bp.route("/rollouts/<key>/lessons/<int:lesson_id>/status", methods=["POST"])
@login_required
def status(key: str, lesson_id: int) -> ResponseReturnValue:
    rollout, lesson = _rollout_lesson(key, lesson_id)
    form = _status_form(lesson, LessonStatusForm())
    back = _back_to(rollout, lesson)
    done = submit(form, lambda: lessons.update_lesson(lesson, {"status": form.status.data,
                                                               "reason": form.reason.data or ""},
                                                      current_user, _language()),
                  lambda changed: _("The lesson is now: %(status)s.", status=lessons.status_label(changed.status).lower()),
                  lambda _lesson: back, lambda: back)
    if done:
        return done
    return _show(rollout, lesson, status_form=form, code=422)


def verified(lesson: Lesson) -> bool:
    """Both verification panels (here and in the retrospective) post a VerifyForm to
    lessons.verify; what it refuses is flashed. True when the lesson was verified."""
    form = VerifyForm()
    try:
        lessons.verify(lesson, form.outcome.data if form.validate_on_submit() else None, current_user, _language())
    except GuardFailed as error:
        flash(error.message, "error")
    except ValidationFailed as error:
        flash(" ".join(item["message"] for item in error.details) or error.message, "error")
    else:
        return True
    return False


@bp.route("/rollouts/<key>/lessons/<int:lesson_id>/verify", methods=["POST"])
@login_required
def verify(key: str, lesson_id: int) -> ResponseReturnValue:
    rollout, lesson = _rollout_lesson(key, lesson_id)
    if verified(lesson):
        flash(_("The lesson is now: %(status)s.", status=lessons.status_label(lesson.status).lower()), "success")
    return redirect(url_for("lessons.show", key=rollout.key, lesson_id=lesson.id) + "#verification-title")


@bp.route("/rollouts/<key>/lessons/<int:lesson_id>/delete", methods=["POST"])
@login_required
def delete(key: str, lesson_id: int) -> ResponseReturnValue:
    rollout, lesson = _rollout_lesson(key, lesson_id)
    if ActionForm().validate_on_submit():
        if not confirmed():
            return ask_to_confirm(_("Delete the lesson “%(title)s”?", title=lesson.title), [
                _("The lesson is deleted from %(rollout)s, with what to do, its owner and its target wave.",
                  rollout=rollout.name)], _("Yes, delete the lesson"),
                url_for("lessons.show", key=rollout.key, lesson_id=lesson.id))
        title = lesson.title
        try:
            lessons.delete_lesson(lesson, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        else:
            flash(_("The lesson %(title)s was deleted.", title=title), "success")
            return redirect(url_for("lessons.rollout_lessons", key=rollout.key))
    return redirect(url_for("lessons.show", key=rollout.key, lesson_id=lesson.id))


@bp.route("/rollouts/<key>/lessons/carry/<int:lesson_id>", methods=["POST"])
@login_required
def carry(key: str, lesson_id: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    source = lessons.library_lesson(lesson_id)
    if ActionForm().validate_on_submit():
        try:
            lesson = lessons.carry(rollout, source, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        except ValidationFailed as error:
            flash(" ".join(item["message"] for item in error.details) or error.message, "error")
        else:
            flash(_("The lesson was carried into this rollout. Give it an owner and check its target wave."),
                  "success")
            return redirect(url_for("lessons.show", key=rollout.key, lesson_id=lesson.id))
    return redirect(url_for("rollouts.show", key=rollout.key) + "#suggestions-title")


# --- the library -------------------------------------------------------------

@bp.route("/lessons")
@login_required
def library():
    q = request.args.get("q", "").strip()[:200]
    tag = request.args.get("tag", "").strip()[:lessons.MAX_TAG]
    status = request.args.get("status", "").strip()
    status = status if status in LESSON_STATUSES else ""
    page = page_arg()
    hits, total = lessons.library(current_user, q=q, tag=tag, status=status, page=page, per_page=LIBRARY_PER_PAGE)
    viewable = lessons.viewable_rollouts(current_user, {hit.rollout_id for hit in hits})
    return render_template("lessons/library.html", hits=hits, total=total, q=q, tag=tag.casefold(),
                           status_filter=status, statuses=status_labels(), tags=lessons.library_tags(),
                           viewable=viewable, proposals=proposal_labels(),
                           pager=Pagination(page, LIBRARY_PER_PAGE, total))


def suggestions_for(rollout: Rollout, user: User) -> tuple[list, set[int]]:
    """The overview's lessons from similar rollouts, and which of their rollouts the user may open."""
    suggested = lessons.suggestions(rollout, user) if rollout.tags else []
    return suggested, lessons.viewable_rollouts(user, {lesson.rollout_id for lesson, _shared in suggested})
