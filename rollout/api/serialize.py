"""Models to the JSON shapes of the API contract."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from ..models import SEVERITIES, Person, ProblemReport, Rollout, Wave
from ..services import questionnaires, retro
from ..services.cohorts import Candidate
from ..services.feedback import Visit
from ..services.retro import TextAnswer, ThemeView


def when(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def person(p: Person) -> dict:
    return {"external_id": p.external_id, "name": p.name, "email": p.email, "unit": p.unit_name or None,
            "language": p.language, "attributes": p.attributes or {}}


def rollout(r: Rollout) -> dict:
    return {"key": r.key, "name": r.name, "description": r.description, "language": r.language,
            "anonymous": r.anonymous,
            "reminder_days": r.reminder_days, "anonymity_k": r.anonymity_k,
            "problem_categories": questionnaires.categories(r), "tags": r.tags, "vote_budget": r.vote_budget,
            "retention_days": r.retention_days, "text_retention_days": r.text_retention_days,
            "texts_purged_at": when(r.texts_purged_at), "purged_at": when(r.purged_at),
            "created_at": when(r.created_at), "waves": len(r.waves)}


def wave(w: Wave) -> dict:
    selection = dict(w.selection or {})
    selection["percentage"] = w.percentage
    return {
        "number": w.number, "name": w.name, "state": w.state, "paused_from": w.paused_from,
        "pilot": w.is_pilot, "selection": selection, "members_count": w.members_count,
        "planned_start": when(w.planned_start), "planned_end": when(w.planned_end),
        "feedback_days": w.feedback_days, "auto_advance": w.auto_advance,
        "started_at": when(w.started_at), "feedback_opened_at": when(w.feedback_opened_at),
        "closed_at": when(w.closed_at), "done_at": when(w.done_at),
        "decision": w.decision, "decision_rationale": w.decision_rationale or None,
    }


def member(c: Candidate) -> dict:
    return {"external_id": c.external_id, "name": c.name, "email": c.email, "unit": c.unit or None,
            "bucket": c.bucket, "explicit": c.explicit}


def feedback_form(v: Visit, answers: dict) -> dict:
    """What a personal token opens: the wave's questions in both languages, whether they
    can be answered now, and the person's own answers so far. Nothing about anyone else."""
    response = v.response
    return {
        "rollout": v.rollout.key, "rollout_name": v.rollout.name, "anonymous": v.rollout.anonymous,
        "wave": v.wave.number, "wave_name": v.wave.name, "state": v.wave.state,
        "can_answer": v.can_answer, "can_report": v.can_report, "closes_at": when(v.wave.feedback_closes_at),
        "questionnaire": questionnaires.as_data(v.questionnaire) if v.questionnaire else None,
        "categories": questionnaires.categories(v.rollout), "severities": list(SEVERITIES),
        "answers": answers, "earlier_answers_hidden": v.earlier_answers_hidden,
        "submitted_at": when(response.submitted_at) if response else None,
        "updated_at": when(response.updated_at) if response else None,
    }


def feedback_receipt(v: Visit, answers: dict) -> dict:
    return {"wave": v.wave.number, "rollout": v.rollout.key, "submitted_at": when(v.response.submitted_at),
            "updated_at": when(v.response.updated_at), "answers": answers}


def problem_receipt(r: ProblemReport) -> dict:
    """What the participant who reported a problem gets back."""
    return {"id": r.id, "category": r.category, "severity": r.severity, "status": r.status,
            "created_at": when(r.created_at)}


def problem(r: ProblemReport, w: Wave, reporter: Optional[Person]) -> dict:
    """A problem report as the rollout's team sees it (no reporter in an anonymous rollout)."""
    return {**problem_receipt(r), "wave": w.number, "description": r.description, "note": r.note or "",
            "updated_at": when(r.updated_at),
            "reporter": {"external_id": reporter.external_id, "name": reporter.name, "email": reporter.email}
            if reporter else None}


def theme(view: ThemeView, my_votes: dict[int, int]) -> dict:
    """A retrospective theme with its cards (each with the caller's dots on it)."""
    return {**retro.theme_dict(view), "cards": [retro.card_dict(c, my_votes.get(c.id, 0)) for c in view.cards]}


def text_answer(t: TextAnswer) -> dict:
    """A participant's free-text answer as the retrospective shows it (no name in an anonymous rollout)."""
    return {"id": t.id, "code": t.code, "prompt": t.prompt, "text": t.text, "respondent": t.respondent,
            "suggested_kind": t.suggested_kind}


def retro_problem(r: ProblemReport) -> dict:
    """A problem report among a retrospective's evidence: what happened, never who reported it."""
    return {**problem_receipt(r), "description": r.description}
