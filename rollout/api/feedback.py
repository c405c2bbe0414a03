"""Feedback: a participant's answers and problem reports through their personal
token (no bearer token: the personal token is the credential), and the leads'
list and triage of problem reports."""
from __future__ import annotations

import dataclasses

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..languages import LANGUAGES
from ..models import PROBLEM_STATUSES, Person
from ..services import feedback
from ..services.errors import ValidationFailed
from . import serialize
from .common import api, listing, paging, rollout_for, token_required, typed_body, wave_filter

ANSWER_FIELDS = {"answers": "object", "language": "text"}
PROBLEM_FIELDS = {"category": "text", "severity": "text", "description": "text"}
TRIAGE_FIELDS = {"status": "text", "note": "text"}


# --- the participant's side (personal token) ----------------------------------

@api.get("/feedback/<token>")
def feedback_form(token: str):
    visit = feedback.visit(token)
    feedback.touch(visit)
    return serialize.feedback_form(visit, feedback.current_answers(visit))


@api.post("/feedback/<token>")
def submit_feedback(token: str):
    feedback.visit(token)  # the personal token before the body: an unknown link reads nothing
    body = typed_body(ANSWER_FIELDS)
    language = body.get("language")
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed(_("Some answers need attention."),
                               [{"field": "language", "message": _("Choose Swedish or English.")}])
    response = feedback.submit(token, body.get("answers"), language or "sv")
    # what was just sent, also through a renewed anonymous link (which shows no earlier answers)
    visit = dataclasses.replace(feedback.visit(token), response=response)
    return serialize.feedback_receipt(visit, feedback.current_answers(visit))


@api.post("/feedback/<token>/problems")
def report_problem(token: str):
    feedback.visit(token)  # the personal token before the body
    report = feedback.report_problem(token, typed_body(PROBLEM_FIELDS))
    return serialize.problem_receipt(report), 201


# --- the leads' side (bearer token) -------------------------------------------

def _status_filter() -> str:
    status = request.args.get("status", "")
    if status and status not in PROBLEM_STATUSES:
        raise ValidationFailed(_("Bad query parameters."), [{"field": "status", "message": _(
            "Choose new, acknowledged or resolved.")}])
    return status


@api.get("/rollouts/<key>/problems")
@token_required
def list_problems(key: str):
    rollout = rollout_for(key)
    wave, status = wave_filter(rollout), _status_filter()
    page, per_page = paging()
    rows, total = feedback.list_problems(rollout, g.user, wave=wave, status=status, page=page, per_page=per_page)
    # the reporters of the whole page in one query
    ids = {report.person_id for report, _wave in rows if report.person_id}
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    return listing([serialize.problem(report, w, people.get(report.person_id)) for report, w in rows],
                   total, page, per_page)


@api.patch("/problems/<int:problem_id>")
@token_required
def triage_problem(problem_id: int):
    report, wave = feedback.get_problem(problem_id, g.user, to_change=True)  # a reviewer hears 403, whatever the body
    body = typed_body(TRIAGE_FIELDS)
    report = feedback.triage(report, body.get("status", report.status), body.get("note", report.note), g.user)
    return serialize.problem(report, wave, report.person)
