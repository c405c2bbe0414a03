"""Waves: plan, preview, members, moving them through their states, and (once
feedback has opened) who has answered and the members' personal links."""
from __future__ import annotations

import re
from typing import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_percent, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms import ActionForm, DecisionForm, TransitionForm, WaveForm
from ..models import Job, Person, Questionnaire, Rollout, User, Wave
from ..services import bucket_jobs, cohorts, feedback, gates, notify, people, rollouts, wave_start, waves
from ..services.accounts import can_lead, require_lead
from ..services.errors import GuardFailed, ValidationFailed
from .helpers import Pagination, apply_errors, ask_to_confirm, confirmed, page_arg

bp = Blueprint("waves", __name__, url_prefix="/rollouts/<key>/waves")
bp.add_app_template_global(waves.title, "wave_title")

ALIASES = {"selection.people": "people", "selection.units": "units", "selection.attributes": "attributes",
           "selection.percentage": "percentage", "selection": "people"}


def _form_data(form: WaveForm, wave: Wave | None = None) -> tuple[dict, list[str]]:
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
    if wave is not None and wave.has_started:
        del data["selection"]  # fixed at the start; the form does not show it
    return data, problems


def _save(form: WaveForm, rollout: Rollout, wave: Wave | None = None) -> Wave | None:
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


def _status(form: WaveForm) -> int:
    return 422 if form.errors or getattr(form, "form_errors", None) else 200


def _unit_choices(form: WaveForm) -> None:
    form.units.choices = [SelectChoice(name, name) for name in people.unit_names()]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(key: str) -> ResponseReturnValue:
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
def edit(key: str, number: int) -> ResponseReturnValue:
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
def show(key: str, number: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    return _wave_page(rollout, waves.get_wave(rollout, number))


def _wave_page(rollout: Rollout, wave: Wave, decision_form: DecisionForm | None = None, status: int = 200) -> ResponseReturnValue:
    """The wave page; after a refused decision, with the lead's choice and text kept and the
    reason next to the field. While the rollout's people are still sorted into buckets, the
    job's progress stands in for the preview."""
    page, per_page = page_arg(), current_app.config["PER_PAGE"]
    lead = can_lead(current_user, rollout)
    people_page: list[cohorts.Candidate]
    sorting = None if wave.has_started else bucket_jobs.sorting(rollout)
    if sorting is not None:
        people_page, total = [], 0
    elif not lead:  # reviewers read the wave's figures, not the directory: counts only
        people_page, total = [], wave.members_count if wave.has_started else cohorts.preview_total(wave)
    elif wave.has_started:
        people_page, total = cohorts.members_for(wave, current_user, page, per_page)
    else:
        people_page, total = cohorts.preview_for(wave, current_user, page, per_page)
    moves = [(to, waves.blockers(wave, to)) for to in waves.targets(wave)] if lead else []
    person_ids = [p.person_id for p in people_page] if wave.has_started else []
    starting = wave_start.pending_start(wave) if lead and wave.state == "planned" else None
    return render_template("waves/show.html", rollout=rollout, wave=wave, people=people_page, total=total,
                           pager=Pagination(page, per_page, total), can_lead=lead, moves=moves, starting=starting,
                           sorting=sorting, sorting_message=bucket_jobs.message(sorting) if sorting else "",
                           previous=waves.previous_wave(wave), form=TransitionForm(),
                           decision_form=decision_form or DecisionForm(formdata=None), feedback=_feedback_facts(wave),
                           answered=feedback.answered_among(wave, person_ids),
                           links=feedback.links_of(wave, person_ids) if lead else {},
                           can_send_links=lead and feedback.links_can_be_sent(wave), decisions=waves.decisions(wave),
                           gate=gates.evaluate(wave) if lead and wave.state == "review" else None), status


# --- feedback on the wave page: a fixed number of queries, whatever the page holds --

def _feedback_facts(wave: Wave) -> dict | None:
    """Responses, response rate, window and questionnaire version once feedback has opened."""
    if wave.feedback_opened_at is None:
        return None
    version = db.session.scalar(select(Questionnaire.version).where(Questionnaire.id == wave.questionnaire_id)) \
        if wave.questionnaire_id else None
    rate = wave.responses_count / wave.members_count if wave.members_count else None
    return {"responses": wave.responses_count, "members": wave.members_count,
            "rate": format_percent(rate) if rate is not None else None,
            "closes_at": wave.feedback_closes_at, "version": version,
            "open_blockers": feedback.open_blockers(wave),
            # queued by the next tick, then delivered by a mail server (or kept in the outbox)
            "invitations_waiting": max(0, wave.members_count - notify.delivered(wave.id, "invitation")),
            "mail_server": bool(current_app.config.get("MAIL_SERVER"))}


def _members_url(key: str, number: int) -> str:
    page = page_arg()
    return url_for("waves.show", key=key, number=number, page=page if page > 1 else None) + "#people-title"


def _link_action(key: str, number: int, person_id: int, action: Callable[[Wave, Person, User], object],
                 done_message: str, confirmation: Callable[[Wave, Person, str], ResponseReturnValue]) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    wave = waves.get_wave(rollout, number)
    person = people.get_person(person_id)  # the service says when they are not in the wave
    if ActionForm().validate_on_submit():
        if not confirmed():
            return confirmation(wave, person, _members_url(key, number))
        try:
            action(wave, person, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        else:
            flash(done_message % {"name": person.name}, "success")
    return redirect(_members_url(key, number))


def _confirm_new_link(wave: Wave, person: Person, back: str) -> ResponseReturnValue:
    link = feedback.links_of(wave, [person.id]).get(person.id)
    return ask_to_confirm(
        _("Send a new link to %(name)s?", name=person.name),
        [_("A new personal link for wave %(n)s goes to %(name)s by e-mail.", n=wave.number, name=person.name),
         _("The link they have now stops working at once and never works again.")
         if link is not None and link.revoked_at is None else "",
         _("Answers already given are kept.")],
        _("Yes, send a new link"), back)


def _confirm_revoke_link(wave: Wave, person: Person, back: str) -> ResponseReturnValue:
    return ask_to_confirm(
        _("Revoke the link of %(name)s?", name=person.name),
        [_("The personal link of %(name)s for wave %(n)s stops working at once and never works again.",
           name=person.name, n=wave.number),
         _("Answers already given are kept. Send a new link when they need one.")],
        _("Yes, revoke the link"), back)


@bp.route("/<int:number>/members/<int:person_id>/new-link", methods=["POST"])
@login_required
def new_link(key: str, number: int, person_id: int) -> ResponseReturnValue:
    return _link_action(key, number, person_id, feedback.new_link,
                        _("A new link is on its way to %(name)s; the old link no longer works."), _confirm_new_link)


@bp.route("/<int:number>/members/<int:person_id>/revoke-link", methods=["POST"])
@login_required
def revoke_link(key: str, number: int, person_id: int) -> ResponseReturnValue:
    return _link_action(key, number, person_id, feedback.revoke_link,
                        _("The link of %(name)s no longer works. Send a new link when they need one."),
                        _confirm_revoke_link)


# --- moves that cannot be undone ask first: start, open and close feedback, cancel, go and no-go --

def _confirm_move(wave: Wave, to: str) -> ResponseReturnValue | None:
    """The confirmation page of a move forward or a cancellation; None for pause and resume (undone by
    the other), and for a move a guard refuses (its reason shows at once, without a detour)."""
    if not (to == "cancelled" or (to == waves.FLOW.get(wave.state) and to != "done")) or waves.blockers(wave, to):
        return None
    named = {"n": wave.number, "name": wave.name}
    back = url_for("waves.show", key=wave.rollout.key, number=wave.number) + "#moves-title"
    if to == "active":
        members = cohorts.preview_count(wave)
        return ask_to_confirm(_("Start wave %(n)s: %(name)s?", **named), [
            ngettext("Its members are fixed now: the %(num)s person its selection takes today.",
                     "Its members are fixed now: the %(num)s people its selection takes today.", members),
            _("Its selection can no longer be changed, and a started wave cannot go back to planned.")],
            _("Yes, start the wave"), back, danger=False)
    if to == "feedback":
        return ask_to_confirm(_("Open feedback for wave %(n)s: %(name)s?", **named), [
            ngettext("An invitation with a personal link is sent by e-mail to its %(num)s member.",
                     "An invitation with a personal link is sent by e-mail to each of its %(num)s members.",
                     wave.members_count),
            _("The wave keeps the questionnaire as it is now; later changes to it do not reach this wave."),
            _("Sent e-mails cannot be called back, and the wave cannot go back to active.")],
            _("Yes, open feedback"), back, danger=False)
    if to == "review":
        return ask_to_confirm(_("Close feedback for wave %(n)s: %(name)s?", **named), [
            _("Members can no longer answer or change their answers, and no more reminders are sent."),
            _("The wave goes to review, where you record the decision.")],
            _("Yes, close feedback"), back, danger=False, undo=ngettext(
                "This cannot be undone: only an extend decision in the review opens feedback again, "
                "for another %(num)s day.",
                "This cannot be undone: only an extend decision in the review opens feedback again, "
                "for another %(num)s days.", wave.feedback_days))
    return ask_to_confirm(_("Cancel wave %(n)s: %(name)s?", **named), [
        _("Wave %(n)s stops for good: it cannot be started, resumed, changed or decided on again.", **named),
        _("Its members and any answers given so far are kept.")],
        _("Yes, cancel the wave"), back)


def _confirm_decision(wave: Wave, form: DecisionForm) -> ResponseReturnValue | None:
    """Go and no-go end the wave for good; extend only sends it back to collect feedback. A decision
    the service refuses (not in review; against the verdict without a rationale) goes on at once,
    so that its reason shows without a detour."""
    decision, rationale = form.decision.data, (form.rationale.data or "").strip()
    if decision not in ("go", "no_go") or waves.blockers(wave, "done"):
        return None
    verdict = gates.evaluate(wave).verdict
    if waves.against_verdict(decision, verdict) and not rationale:
        return None
    named = {"n": wave.number, "name": wave.name}
    back = url_for("waves.show", key=wave.rollout.key, number=wave.number) + "#moves-title"
    if decision == "go":
        title, yes = _("Decide go for wave %(n)s: %(name)s?", **named), _("Yes, decide go")
        effect = _("Wave %(n)s becomes done, and the next wave may start.", **named)
    else:
        title, yes = _("Decide no go for wave %(n)s: %(name)s?", **named), _("Yes, decide no go")
        effect = _("Wave %(n)s becomes done, and no later wave of the rollout can start after it.", **named)
    return ask_to_confirm(title, [
        effect, _("The gate says: %(verdict)s.", verdict=waves.verdict_label(verdict)),
        _("Your rationale: %(text)s", text=rationale) if rationale else _("You give no rationale."),
        _("The decision is recorded with a snapshot of the evidence as it is now.")], yes, back)


@bp.route("/<int:number>/transition", methods=["POST"])
@login_required
def transition(key: str, number: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)  # before asking: a reviewer is refused, not asked
    wave = waves.get_wave(rollout, number)
    form = TransitionForm()
    if form.validate_on_submit():
        if not confirmed() and (page := _confirm_move(wave, form.to.data)) is not None:
            return page
        try:
            moved = wave_start.transition(wave, form.to.data, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        else:
            if isinstance(moved, Job):  # a very large start: the job's page shows how it goes
                return redirect(url_for("jobs.show", job_id=moved.id), 303)
            flash(_("Wave %(n)s is now: %(state)s.", n=wave.number, state=waves.state_label(wave.state).lower()),
                  "success")
    return redirect(url_for("waves.show", key=key, number=number))


@bp.route("/<int:number>/decision", methods=["POST"])
@login_required
def decision(key: str, number: int) -> ResponseReturnValue:
    rollout = rollouts.get_rollout(key, current_user)
    require_lead(current_user, rollout)
    wave = waves.get_wave(rollout, number)
    form = DecisionForm()
    if form.validate_on_submit():
        if not confirmed() and (page := _confirm_decision(wave, form)) is not None:
            return page
        try:
            waves.decide(wave, form.decision.data, form.rationale.data, current_user)
        except GuardFailed as error:
            flash(error.message, "error")
        except ValidationFailed as error:
            apply_errors(form, error)  # the choice and the text stay, the reason goes next to the field
            return _wave_page(rollout, wave, form, 422)
        else:
            flash(_("The decision was recorded."), "success")
        return redirect(url_for("waves.show", key=key, number=number))
    return _wave_page(rollout, wave, form, 422)
