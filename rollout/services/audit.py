"""Writing to the audit log. Called inside the service's own transaction."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Rollout, User
from .paging import page_of


def record(actor: Optional[User], action: str, *, rollout: Optional[Rollout] = None,
           subject: str = "", details: Optional[dict] = None) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        rollout_id=rollout.id if rollout is not None else None,
        action=action,
        subject=subject,
        details=details or {},
    )
    db.session.add(event)
    return event


def events_for(rollout: Optional[Rollout], page: int = 1, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """The newest events first, for one rollout or (None) for the global ones."""
    where = AuditEvent.rollout_id == rollout.id if rollout is not None else AuditEvent.rollout_id.is_(None)
    return page_of(select(AuditEvent).where(where).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()),
                   page, per_page)
