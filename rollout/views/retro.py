"""A wave's retrospective: the evidence, the cards, themes and dot votes; its Markdown export.

Everything works without JavaScript: every action is a small POST form that
redirects back to the board (to the card or theme it changed), and grouping
uses one form whose check boxes sit on the cards (the HTML `form` attribute).
A form the services refuse is shown again on the page with its errors next to
the fields.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..forms import ActionForm
from ..forms.retro import (
    AnswerCardForm,
    BudgetForm,
    CardEditForm,
    CardForm,
    GroupForm,
    ThemeForm,
)
from ..languages import LANGUAGES
from ..models import CARD_KINDS, RetroCard, Rollout, User, Wave
from ..services import exports, lessons, retro, rollouts, waves
from ..services.accounts import can_lead
from ..services.errors import GuardFailed, NotFound, ValidationFailed
from . import lang
from .helpers import Pagination, apply_errors, ask_to_confirm, confirmed, page_arg, session_or_token_user, submit
from .lessons import verified
from .problems import severity_labels

bp = Blueprint("retro", __name__, url_prefix="/rollouts/<key>/waves/<int:number>")
# so that the wave page (and any other) can link to the retrospective only when it is open
bp.add_app_template_global(retro.is_open, "retro_is_open")
bp.add_app_template_global(retro.format_number, "format_number")

TEXTS_PER_PAGE = 20


class TextsPagination(Pagination):
    """Pages of the free-text answers; also right when the page is shown again after a form."""

    def __init__(self, wave: Wave, code: str, page: int, per_page: int, total: int):
        super().__init__(page, per_page, total)
        self.wave, self.code = wave, code

    def url(self, page: int) -> str:
        return _show_url(self.wave, page=page, code=self.code, anchor="answers-title")


def _language() -> str:
    return str(get_locale() or "sv")


def _wave(key: str, number: int) -> tuple[Rollout, Wave]:
    rollout = rollouts.get_rollout(key, current_user)
    return rollout, waves.get_wave(rollout, number)


def _evidence_args() -> dict:
    """The page of answers and the question filter the page was showing, kept across a form."""
    args: dict[str, int | str] = {}
    page = page_arg()
    if page > 1:
        args["page"] = page
    code = request.args.get("code", "").strip()
    if code:
        args["code"] = code
    return args


def _show_url(wave: Wave, anchor: str = "", **args: Any) -> str:
    args = {name: value for name, value in args.items() if value not in (None, "", 1)}
    return url_for("retro.show", key=wave.rollout.key, number=wave.number, **args) + (f"#{anchor}" if anchor else "")


def _back(wave: Wave, anchor: str = "") -> ResponseReturnValue:
    return redirect(_show_url(wave, anchor, **_evidence_args()))


def _attempt(wave: Wave, form: FlaskForm, call: Callable[[], Any], success: str | Callable[[Any], str],
             anchor: str | Callable[[Any], str]) -> ResponseReturnValue | None:
    """`submit` on the board: back to `anchor` (or anchor(result)) on success, to the board when refused."""
    return submit(form, call, success, lambda result: _back(wave, anchor(result) if callable(anchor) else anchor),
                  lambda: _back(wave))


def _card_form(card: RetroCard) -> CardEditForm:
    form = CardEditForm(formdata=None, prefix=f"card-{card.id}", data={"kind": card.kind, "text": card.text})
    return form


def _theme_form(view: retro.ThemeView) -> ThemeForm:
    return ThemeForm(formdata=None, prefix=f"theme-{view.theme.id}", data={"title": view.theme.title})


def _group_choices(form: GroupForm, board: retro.Board) -> None:
    # the themes' titles alone, marked with their language, under a heading in the page's words
    themes = str(_("The themes"))
    form.target.choices = ([SelectChoice("new", _("A new theme (give its title below)"))]
                           + [lang.choice(str(view.theme.id), view.theme.title, board.wave.rollout.language, themes)
                              for view in board.themes]
                           + [SelectChoice("none", _("No theme (take them out of their themes)"))])


def _render(rollout: Rollout, wave: Wave, *, card_form: CardForm | None = None, group_form: GroupForm | None = None,
            budget_form: BudgetForm | None = None, failed_card: tuple[int, CardEditForm] | None = None,
            failed_theme: tuple[int, ThemeForm] | None = None) -> ResponseReturnValue:
    if not retro.is_open(wave):
        return render_template("retro/closed.html", rollout=rollout, wave=wave)
    language = _language()
    page = page_arg()
    code = request.args.get("code", "").strip()
    evidence = retro.wave_evidence(wave, current_user, language, page=page, per_page=TEXTS_PER_PAGE, code=code)
    board = retro.board(wave, current_user)
    lead = can_lead(current_user, rollout)
    card_forms = {}
    for view in board.themes:
        for card in view.cards:
            card_forms[card.id] = _card_form(card)
    for kind in CARD_KINDS:
        for card in board.loose[kind]:
            card_forms[card.id] = _card_form(card)
    if failed_card is not None and failed_card[0] in card_forms:
        card_forms[failed_card[0]] = failed_card[1]
    theme_forms = {view.theme.id: _theme_form(view) for view in board.themes}
    if failed_theme is not None and failed_theme[0] in theme_forms:
        theme_forms[failed_theme[0]] = failed_theme[1]
    group_form = group_form or GroupForm(formdata=None)
    _group_choices(group_form, board)
    if budget_form is None:
        budget_form = BudgetForm(formdata=None, data={"vote_budget": str(rollout.vote_budget)})
    failed = [form for form in (card_form, group_form, budget_form, failed_card and failed_card[1],
                                failed_theme and failed_theme[1])
              if form is not None and (form.errors or getattr(form, "form_errors", None))]
    text_questions = [(q_code, q.prompt.get(language) or q.prompt.get("sv") or q_code)
                      for q_code, q in evidence.results.questions.items() if q.kind == "text"]
    categories = {c["code"]: c["label"] for c in evidence.problem_categories}
    return render_template(
        "retro/show.html", rollout=rollout, wave=wave, evidence=evidence, board=board, can_lead=lead,
        card_form=card_form or CardForm(formdata=None), card_forms=card_forms, theme_forms=theme_forms,
        group_form=group_form, budget_form=budget_form, chosen={str(v) for v in (group_form.cards.data or [])},
        failed=failed, has_errors=bool(failed), text_questions=text_questions, code=code,
        pager=TextsPagination(wave, code, page, TEXTS_PER_PAGE, evidence.texts_total),
        categories=categories, severities=severity_labels(), kinds=CARD_KINDS, kind_label=retro.kind_label,
        format_estimate=retro.format_estimate, format_change=retro.format_change,
        outcome_label=retro.outcome_label, proposal_label=retro.proposal_label,
        status_label=lessons.status_label, evidence_args=_evidence_args(),
        can_verify=lessons.verifiable_in(wave),
    ), 422 if failed else 200


@bp.route("/retro")
@login_required
def show(key: str, number: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    return _render(rollout, wave)


# --- cards ---------------------------------------------------------------------------

@bp.route("/retro/cards", methods=["POST"])
@login_required
def add_card(key: str, number: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    form = CardForm()
    done = _attempt(wave, form, lambda: retro.add_card(
        wave, {"kind": form.kind.data, "text": form.text.data or ""}, current_user),
        _("The card is on the board."), lambda card: f"card-{card.id}")
    return done or _render(rollout, wave, card_form=form)


@bp.route("/retro/answers/<answer_ref>/card", methods=["POST"])
@login_required
def card_from_answer(key: str, number: int, answer_ref: str) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    form = AnswerCardForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Send it again."), "error")
        return _back(wave, "answers-title")
    try:
        card = retro.card_from_answer(wave, answer_ref, form.kind.data or None, current_user)
    except GuardFailed as error:
        flash(error.message, "error")
        return _back(wave, "answers-title")
    flash(_("The answer is on the board as a card: %(kind)s.", kind=retro.kind_label(card.kind).lower()), "success")
    return _back(wave, f"card-{card.id}")


@bp.route("/retro/cards/<int:card_id>", methods=["POST"])
@login_required
def edit_card(key: str, number: int, card_id: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    card = retro.get_card(wave, card_id, current_user)
    form = CardEditForm(prefix=f"card-{card.id}")
    done = _attempt(wave, form, lambda: retro.update_card(
        card, {"kind": form.kind.data, "text": form.text.data or ""}, current_user),
        _("The card was saved."), f"card-{card.id}")
    return done or _render(rollout, wave, failed_card=(card_id, form))


def _card_action(key: str, number: int, card_id: int, action: Callable[[RetroCard, User], object], message: str,
                 anchor_on_card: bool = True,
                 confirmation: Callable[[Wave, RetroCard], ResponseReturnValue] | None = None) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    card = retro.get_card(wave, card_id, current_user)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Send it again."), "error")
        return _back(wave)
    if confirmation is not None and not confirmed():
        return confirmation(wave, card)
    try:
        action(card, current_user)
    except GuardFailed as error:
        flash(error.message, "error")
    else:
        flash(message, "success")
    return _back(wave, f"card-{card_id}" if anchor_on_card else "board-title")


@bp.route("/retro/cards/<int:card_id>/delete", methods=["POST"])
@login_required
def delete_card(key: str, number: int, card_id: int) -> ResponseReturnValue:
    return _card_action(key, number, card_id, retro.delete_card, _("The card was deleted."), anchor_on_card=False,
                        confirmation=_confirm_card_deletion)


def _confirm_card_deletion(wave: Wave, card: RetroCard) -> ResponseReturnValue:
    return ask_to_confirm(_("Delete this card?"), [
        _("The card “%(text)s” is deleted from the retrospective of wave %(n)s.", text=card.text, n=wave.number),
        ngettext("Its %(num)s vote goes back to the one who gave it.",
                 "Its %(num)s votes go back to those who gave them.", card.votes) if card.votes else ""],
        _("Yes, delete the card"), _show_url(wave, f"card-{card.id}", **_evidence_args()))


@bp.route("/retro/cards/<int:card_id>/vote", methods=["POST"])
@login_required
def vote(key: str, number: int, card_id: int) -> ResponseReturnValue:
    return _card_action(key, number, card_id, retro.vote, _("Your vote is on the card."))


@bp.route("/retro/cards/<int:card_id>/unvote", methods=["POST"])
@login_required
def unvote(key: str, number: int, card_id: int) -> ResponseReturnValue:
    return _card_action(key, number, card_id, retro.unvote, _("You took a vote back from the card."))


# --- themes --------------------------------------------------------------------------

@bp.route("/retro/group", methods=["POST"])
@login_required
def group(key: str, number: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    form = GroupForm()
    if form.validate_on_submit():
        target = (form.target.data or "new").strip()
        ids = form.cards.data or []
        try:
            if target == "new":
                theme = retro.create_theme(wave, {"title": form.title.data or "", "cards": ids}, current_user)
                flash(ngettext("The theme “%(title)s” was made, with %(num)s card.",
                               "The theme “%(title)s” was made, with %(num)s cards.", len(ids),
                               title=theme.title), "success")
                return _back(wave, f"theme-{theme.id}")
            moved = retro.group(wave, ids, None if target == "none" else target, current_user)
        except ValidationFailed as error:
            apply_errors(form, error, {"theme": "target"})
        except GuardFailed as error:
            flash(error.message, "error")
            return _back(wave)
        else:
            if target == "none":
                flash(ngettext("%(num)s card is in no theme now.", "%(num)s cards are in no theme now.", moved),
                      "success")
                return _back(wave, "loose-title")
            flash(ngettext("%(num)s card was moved into the theme.", "%(num)s cards were moved into the theme.",
                           moved), "success")
            return _back(wave, f"theme-{target}")
    return _render(rollout, wave, group_form=form)


@bp.route("/retro/themes/<int:theme_id>", methods=["POST"])
@login_required
def rename_theme(key: str, number: int, theme_id: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    theme = retro.get_theme(wave, theme_id, current_user)
    form = ThemeForm(prefix=f"theme-{theme.id}")
    done = _attempt(wave, form, lambda: retro.rename_theme(theme, {"title": form.title.data or ""}, current_user),
                    _("The theme was renamed."), f"theme-{theme.id}")
    return done or _render(rollout, wave, failed_theme=(theme_id, form))


@bp.route("/retro/themes/<int:theme_id>/delete", methods=["POST"])
@login_required
def delete_theme(key: str, number: int, theme_id: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    theme = retro.get_theme(wave, theme_id, current_user)
    if ActionForm().validate_on_submit():
        if not confirmed():
            return ask_to_confirm(_("Delete the theme “%(title)s”?", title=theme.title), [
                _("Its cards stay on the board, in no theme."),
                _("Lessons made of the theme are kept, without the link to it.")],
                _("Yes, delete the theme"), _show_url(wave, f"theme-{theme.id}", **_evidence_args()))
        try:
            retro.delete_theme(theme, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        else:
            flash(_("The theme was deleted; its cards are in no theme now."), "success")
    return _back(wave, "board-title")


# --- the vote budget and the lessons carried into the wave ----------------------------

@bp.route("/retro/budget", methods=["POST"])
@login_required
def budget(key: str, number: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    form = BudgetForm()
    done = _attempt(wave, form, lambda: retro.set_budget(wave, form.vote_budget.data, current_user),
                    lambda n: _("Everyone on the team now has %(n)s votes in each retrospective.", n=n), "board-title")
    return done or _render(rollout, wave, budget_form=form)


@bp.route("/retro/lessons/<int:lesson_id>/verify", methods=["POST"])
@login_required
def verify_lesson(key: str, number: int, lesson_id: int) -> ResponseReturnValue:
    rollout, wave = _wave(key, number)
    lesson = lessons.get_lesson(lesson_id, current_user)
    if lesson.rollout_id != rollout.id or lesson.target_wave_id != wave.id:
        raise NotFound(_("No such lesson."))
    if verified(lesson):
        flash(_("The lesson “%(title)s” is now: %(status)s.", title=lesson.title,
                status=lessons.status_label(lesson.status).lower()), "success")
    return _back(wave, f"lesson-{lesson.id}")


# --- the export ------------------------------------------------------------------------

@bp.route("/retro.md")
def markdown(key: str, number: int) -> ResponseReturnValue:
    """The retrospective as Markdown, for a session or a bearer token (an intranet page, a wiki)."""
    actor = session_or_token_user()
    rollout = rollouts.get_rollout(key, actor)
    wave = waves.get_wave(rollout, number)
    language = request.args.get("lang", "")
    if language not in LANGUAGES:
        language = _language()
    text = exports.retro_markdown(wave, actor, language)
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'inline; filename="{rollout.key}-wave-{wave.number}-retro.md"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Cookie, Authorization, Accept-Language"
    return response
