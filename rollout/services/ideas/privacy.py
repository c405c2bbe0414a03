"""The personal data of the ideas from the floor: the proposer's and the supporters' names and
e-mail addresses. They are part of a person's export and erasure (found by the person's e-mail
address), and retention erases them IDEA_RETENTION_DAYS (config, 365 by default) after the
council decided; the ideas' text and the number of supporters stay."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

from flask import current_app
from sqlalchemy import delete, func, select, update

from ...extensions import db, execute_dml
from ...models import Idea, IdeaSupport
from ...models.types import utcnow
from ...models.vocabularies import IdeaState
from .. import audit

IDEA_RETENTION_DAYS = 365
DECIDED = (IdeaState.ACCEPTED, IdeaState.DECLINED, IdeaState.MERGED)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def export_for(email: str) -> dict[str, list[dict[str, Any]]]:
    """The ideas this address sent and those it supports, as JSON-able data."""
    address = (email or "").strip().lower()
    if not address:
        return {"ideas": [], "supports": []}
    ideas = [{"id": i.id, "name": i.name, "email": i.email, "unit": i.unit_label, "language": i.language,
              "problem": i.problem, "idea": i.idea, "reach": i.reach, "state": str(i.state), "reason": i.reason,
              "created_at": _iso(i.created_at), "decided_at": _iso(i.decided_at)}
             for i in db.session.scalars(select(Idea).where(Idea.email == address).order_by(Idea.id))]
    supports = [{"idea": s.idea_id, "name": s.name, "email": s.email, "unit": s.unit_name, "language": s.language,
                 "created_at": _iso(s.created_at)}
                for s in db.session.scalars(select(IdeaSupport).where(IdeaSupport.email == address)
                                            .order_by(IdeaSupport.id))]
    return {"ideas": ideas, "supports": supports}


def erasure_counts(email: str) -> dict[str, int]:
    address = (email or "").strip().lower()
    if not address:
        return {"ideas": 0, "supports": 0}
    count = func.count()
    return {"ideas": db.session.scalar(select(count).select_from(Idea).where(Idea.email == address)) or 0,
            "supports": db.session.scalar(select(count).select_from(IdeaSupport)
                                          .where(IdeaSupport.email == address)) or 0}


def erase_for(email: str) -> dict[str, int]:
    """The address's name and e-mail gone from the ideas it sent (their text stays) and its supports
    deleted (each idea's count of supporters stays). In the open transaction."""
    address = (email or "").strip().lower()
    if not address:
        return {"ideas": 0, "supports": 0}
    options = {"synchronize_session": False}
    ideas = execute_dml(update(Idea).where(Idea.email == address)
                        .values(name="", email="", personal_data_erased_at=utcnow()).execution_options(**options))
    supports = execute_dml(delete(IdeaSupport).where(IdeaSupport.email == address).execution_options(**options))
    return {"ideas": ideas.rowcount, "supports": supports.rowcount}


def retention_days() -> int:
    return max(int(current_app.config.get("IDEA_RETENTION_DAYS", IDEA_RETENTION_DAYS)), 1)


def purge_due(now: Optional[datetime] = None) -> int:
    """Erase the names and addresses of the ideas decided more than retention_days() ago, and of
    their supporters (the reconcile tick calls this); the number of ideas. One transaction, audited."""
    days = retention_days()
    cutoff = (now or utcnow()) - timedelta(days=days)
    due = select(Idea.id).where(Idea.state.in_(DECIDED), Idea.decided_at < cutoff,
                                Idea.personal_data_erased_at.is_(None))
    ids = list(db.session.scalars(due))
    if not ids:
        return 0
    options = {"synchronize_session": False}
    supports = execute_dml(delete(IdeaSupport).where(IdeaSupport.idea_id.in_(ids)).execution_options(**options))
    execute_dml(update(Idea).where(Idea.id.in_(ids)).values(name="", email="", personal_data_erased_at=utcnow())
                .execution_options(**options))
    audit.record(None, "retention.ideas", details={"ideas": len(ids), "supports": supports.rowcount, "days": days})
    db.session.commit()
    return len(ids)
