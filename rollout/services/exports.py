"""Exports: the responses as CSV (opens right in Excel: UTF-8 with BOM,
semicolons and decimal commas for Swedish Excel, or commas and points), and
the whole rollout as JSON."""
from __future__ import annotations

import csv
import io
from typing import Iterator, Optional

from sqlalchemy import select

from ..extensions import db
from ..models import Answer, Decision, Person, ProblemReport, Questionnaire, Response, Rollout, User, Wave
from . import gates, questionnaires
from .accounts import require_view
from .cohorts import members
from .results import wave_results

CHUNK = 500


def _number(value: Optional[float], decimal: str) -> str:
    if value is None:
        return ""
    text = f"{value:g}" if not float(value).is_integer() else str(int(value))
    return text.replace(".", decimal)


def responses_csv(rollout: Rollout, actor: Optional[User], wave: Optional[Wave] = None,
                  excel: str = "sv") -> Iterator[str]:
    """The rows of the CSV, streamed: one line per response, one column per question code."""
    require_view(actor, rollout)
    delimiter, decimal = (";", ",") if excel == "sv" else (",", ".")
    waves = [wave] if wave is not None else list(rollout.waves)
    codes: list[str] = []
    kinds: dict[str, str] = {}
    used = {w.questionnaire_id for w in waves if w.questionnaire_id}
    for questionnaire in sorted((db.session.get(Questionnaire, i) for i in used), key=lambda q: q.version):
        for q in questionnaire.questions:
            if q.code not in kinds:
                codes.append(q.code)
                kinds[q.code] = q.kind
    personal = not rollout.anonymous
    header = ["wave", "response", "submitted_at", "updated_at", "language"]
    if personal:
        header += ["external_id", "name", "unit"]
    header += codes
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield "\ufeff" + flush()
    wave_numbers = {w.id: w.number for w in waves}
    last_id = 0
    while True:
        query = (select(Response, Person).outerjoin(Person, Person.id == Response.person_id)
                 .where(Response.wave_id.in_(list(wave_numbers)), Response.id > last_id)
                 .order_by(Response.id).limit(CHUNK))
        rows = db.session.execute(query).all()
        if not rows:
            return
        ids = [response.id for response, _ in rows]
        answers: dict[int, dict[str, list]] = {}
        for answer in db.session.scalars(select(Answer).where(Answer.response_id.in_(ids)).order_by(Answer.id)):
            value = answer.text if answer.text is not None else (
                answer.option if answer.option is not None else _number(answer.number, decimal))
            answers.setdefault(answer.response_id, {}).setdefault(answer.code, []).append(value)
        for response, person in rows:
            line = [wave_numbers[response.wave_id], response.id, response.submitted_at.isoformat(timespec="seconds"),
                    response.updated_at.isoformat(timespec="seconds"), response.language]
            if personal:
                line += [person.external_id if person else "", person.name if person else "",
                         person.unit_name if person else ""]
            given = answers.get(response.id, {})
            line += ["|".join(str(v) for v in given.get(code, [])) for code in codes]
            writer.writerow(line)
        yield flush()
        last_id = ids[-1]
        db.session.expunge_all()


def rollout_json(rollout: Rollout, actor: Optional[User]) -> dict:
    """The whole rollout: settings, questionnaire versions, waves with their selection,
    members (external ids), results, gate, decisions and problem reports."""
    require_view(actor, rollout)
    versions = list(db.session.scalars(select(Questionnaire).where(Questionnaire.rollout_id == rollout.id)
                                       .order_by(Questionnaire.version)))
    waves = []
    for wave in rollout.waves:
        people, _ = members(wave, per_page=1_000_000)
        decisions = list(db.session.scalars(select(Decision).where(Decision.wave_id == wave.id).order_by(Decision.id)))
        problems = list(db.session.scalars(select(ProblemReport).where(ProblemReport.wave_id == wave.id)
                                           .order_by(ProblemReport.id)))
        results = wave_results(wave, actor)
        waves.append({
            "number": wave.number, "name": wave.name, "state": wave.state,
            "selection": {**(wave.selection or {}), "percentage": wave.percentage},
            "planned_start": _iso(wave.planned_start), "planned_end": _iso(wave.planned_end),
            "started_at": _iso(wave.started_at), "feedback_opened_at": _iso(wave.feedback_opened_at),
            "feedback_closes_at": _iso(wave.feedback_closes_at), "closed_at": _iso(wave.closed_at),
            "done_at": _iso(wave.done_at),
            "questionnaire_version": next((q.version for q in versions if q.id == wave.questionnaire_id), None),
            "members": [p.external_id for p in people],
            "results": results.as_dict(),
            "gate": gates.evaluate(wave, results).as_dict(),
            "decisions": [{"decision": d.decision, "rationale": d.rationale, "verdict": d.verdict,
                           "against_verdict": d.against_verdict, "decided_at": _iso(d.decided_at),
                           "decided_by": d.decided_by.email if d.decided_by else None} for d in decisions],
            "problems": [{"id": p.id, "category": p.category, "severity": p.severity, "status": p.status,
                          "description": p.description, "created_at": _iso(p.created_at)} for p in problems],
        })
    return {
        "key": rollout.key, "name": rollout.name, "description": rollout.description,
        "anonymous": rollout.anonymous, "anonymity_k": rollout.anonymity_k, "reminder_days": rollout.reminder_days,
        "gate": {**gates.DEFAULTS, **(rollout.gate or {})},
        "problem_categories": questionnaires.categories(rollout),
        "questionnaires": [questionnaires.as_data(q) for q in versions],
        "waves": waves,
    }


def _iso(value) -> Optional[str]:
    return value.isoformat() if value else None
