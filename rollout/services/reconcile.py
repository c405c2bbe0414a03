"""The reconcile tick: look at what is due now and do it. Idempotent: a missed
tick is caught up by the next, and a repeated tick does nothing twice.

- waves with auto-advance start at their planned start, and open feedback at their planned end
- feedback windows close when they run out
- reminders go to non-responders in the last `reminder_days` of the window, a day after the invitation at the earliest
- waves collecting feedback get their invitations, one per member, exactly once
- check-ins whose day has come go to the wave's members, once per check-in and person (services.checkins)
- invitations, reminders and alerts waiting in the queue are delivered
- personal data is purged when a rollout's retention runs out (rollout.services.retention)
- finished background jobs are deleted after JOB_RETENTION_DAYS (rollout.services.retention)
- the stored charts are pruned to the recently used (rollout.services.chart_cache)
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from ..extensions import db
from ..models import Wave
from ..models.types import utcnow
from . import chart_cache, checkins, feedback, ideas, notify, privacy, retention, waves
from .errors import GuardFailed

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    started: list[str] = field(default_factory=list)
    feedback_opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    invitations: int = 0
    reminders: int = 0
    checkins: int = 0  # check-in messages queued
    sent: int = 0
    outbox: int = 0
    failed: int = 0
    blocked: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)  # "<key>:texts" / "<key>:all": retention purges done
    jobs_deleted: int = 0  # finished background jobs past JOB_RETENTION_DAYS

    def as_dict(self) -> dict:
        return asdict(self)


def _name(wave: Wave) -> str:
    return f"{wave.rollout.key}/{wave.number}"


def _advance(wave: Wave, to: str, report: TickReport, bucket: list[str]) -> None:
    try:
        waves.transition(wave, to, None)
        bucket.append(_name(wave))
    except GuardFailed as error:
        db.session.rollback()
        report.blocked.append(f"{_name(wave)}: {error.message}")


def tick(now: Optional[datetime] = None) -> TickReport:
    now = now or utcnow()
    report = TickReport()
    for wave in db.session.scalars(select(Wave).where(Wave.auto_advance.is_(True), Wave.state == "planned",
                                                      Wave.planned_start <= now).order_by(Wave.id)).all():
        _advance(wave, "active", report, report.started)
    for wave in db.session.scalars(select(Wave).where(Wave.auto_advance.is_(True), Wave.state == "active",
                                                      Wave.planned_end <= now).order_by(Wave.id)).all():
        _advance(wave, "feedback", report, report.feedback_opened)
    for wave in db.session.scalars(select(Wave).where(Wave.state == "feedback",
                                                      Wave.feedback_closes_at <= now).order_by(Wave.id)).all():
        _advance(wave, "review", report, report.closed)
    for wave in db.session.scalars(select(Wave).where(Wave.state == "feedback").order_by(Wave.id)).all():
        if feedback.invitations_missing(wave):
            report.invitations += feedback.queue_invitations(wave)
            db.session.commit()
        if feedback.reminders_due(wave, now):
            report.reminders += feedback.queue_reminders(wave)
            db.session.commit()
    report.checkins = checkins.send_due(now)
    delivery = notify.deliver_pending()
    report.sent, report.outbox, report.failed = delivery.sent, delivery.outbox, delivery.failed
    report.purged = retention.purge_due(now)
    privacy.forget_orphaned_memberships(now)
    report.jobs_deleted = retention.delete_old_jobs(now)
    ideas.purge_due(now)
    chart_cache.prune(now)
    return report
