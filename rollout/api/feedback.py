"""Feedback: a participant's answers and problem reports through their personal
token (no bearer token: the personal token is the credential), and the leads'
list and triage of problem reports."""
from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import gettext as _

from ..languages import LANGUAGES
from ..models import PROBLEM_STATUSES, ProblemReport
from ..services import feedback
from ..services.errors import ValidationFailed
from .common import Paging, api, listing, load, paging, rollout_for, token_required, wave_filter
from .schemas.base import page_of
from .schemas.feedback import (
    FeedbackFormSchema,
    NewProblemReportSchema,
    ProblemQuery,
    ProblemReceiptSchema,
    ProblemReportSchema,
    ProblemRow,
    ReceiptSchema,
    SubmissionSchema,
    TriageSchema,
    Visited,
)
from .spec import ID_PARAMETER, KEY_PARAMETER, PERSONAL_ERRORS, TOKEN_PARAMETER, body, operation, query

# --- the participant's side (personal token) ----------------------------------


@api.get("/feedback/<token>", parameters=[TOKEN_PARAMETER])
@operation("What a personal link opens: the wave's questions, the window, the answers so far", personal=True,
           errors={"404": PERSONAL_ERRORS["404"]})
@api.response(200, FeedbackFormSchema)
def feedback_form(token: str) -> Visited:
    visit = feedback.visit(token)
    feedback.touch(visit)
    return Visited(visit, feedback.current_answers(visit))


@api.post("/feedback/<token>", parameters=[TOKEN_PARAMETER])
@operation("Answer, or edit the answers (one response per person and wave)", personal=True)
@body(SubmissionSchema)
@api.response(200, ReceiptSchema)
def submit_feedback(token: str) -> feedback.Receipt:
    # the personal token before the body: an unknown link reads nothing; the one visit is the submit's
    visit = feedback.visit(token, with_answers=False)
    submission = load(SubmissionSchema)
    language = submission.get("language")
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed(_("Some answers need attention."),
                               [{"field": "language", "message": _("Choose Swedish or English.")}])
    # what was just sent, also through a renewed anonymous link (which shows no earlier answers)
    return feedback.submit(visit, submission.get("answers"), language or "sv", share=submission.get("share"))


@api.post("/feedback/<token>/problems", parameters=[TOKEN_PARAMETER])
@operation("Report a problem while the wave is active or collecting feedback", personal=True)
@body(NewProblemReportSchema)
@api.response(201, ProblemReceiptSchema)
def report_problem(token: str) -> ProblemReport:
    feedback.visit(token)  # the personal token before the body
    return feedback.report_problem(token, load(NewProblemReportSchema))


# --- the leads' side (bearer token) -------------------------------------------

def _status_filter() -> str:
    status = request.args.get("status", "")
    if status and status not in PROBLEM_STATUSES:
        raise ValidationFailed(_("Bad query parameters."), [{"field": "status", "message": _(
            "Choose new, acknowledged or resolved.")}])
    return status


@api.get("/rollouts/<key>/problems", parameters=[KEY_PARAMETER])
@operation("The rollout's problem reports: open ones first, blockers first")
@query(ProblemQuery, Paging)
@api.response(200, page_of(ProblemReportSchema))
@token_required
def list_problems(key: str) -> dict[str, Any]:
    rollout = rollout_for(key)
    wave, status = wave_filter(rollout), _status_filter()
    page, per_page = paging()
    rows, total = feedback.list_problems(rollout, g.user, wave=wave, status=status, page=page, per_page=per_page)
    people = feedback.reporters_of(rollout, rows)
    return listing([ProblemRow(report, w, people.get(report.person_id) if report.person_id else None)
                    for report, w in rows], total, page, per_page)


@api.patch("/problems/<int:problem_id>", parameters=[{**ID_PARAMETER, "name": "problem_id"}])
@operation("Triage a problem report (leads)")
@body(TriageSchema)
@api.response(200, ProblemReportSchema)
@token_required
def triage_problem(problem_id: int) -> ProblemRow:
    report, wave = feedback.get_problem(problem_id, g.user, to_change=True)  # a reviewer hears 403, whatever the body
    triage = load(TriageSchema)
    report = feedback.triage(report, triage.get("status", report.status), triage.get("note", report.note), g.user)
    return ProblemRow(report, wave, report.person)
