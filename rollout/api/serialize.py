"""Models to the JSON shapes of the API contract."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from ..models import Person, Rollout, Wave
from ..services.cohorts import Candidate


def when(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def person(p: Person) -> dict:
    return {"external_id": p.external_id, "name": p.name, "email": p.email, "unit": p.unit_name or None,
            "language": p.language, "attributes": p.attributes or {}}


def rollout(r: Rollout) -> dict:
    return {"key": r.key, "name": r.name, "description": r.description, "anonymous": r.anonymous,
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
