"""Retention: how long a rollout keeps personal data, and the purges the reconcile tick runs.

The clock starts when the rollout's last wave is done (every wave done or cancelled,
at least one done; the latest `done_at`). After its free-text days the texts go: free-text
answers (the rows stay, empty, so that every "answered" count stays right), problem
descriptions, retrospective cards copied from an answer (the participant's words, not the
team's), and blocker alerts quoting a description. After its retention days the rest goes:
personal links, the e-mails of its waves, memberships, the person behind each response and
problem report (a random respondent key), and the people imported only for it. The waves'
counters, every answer's number or option, decisions with their snapshots, lessons and the
team's own retrospective cards stay. Each purge is one transaction and one audit event
with its counts; a purge done is not done again.

Background jobs are not a rollout's: a finished job (done, failed, cancelled) is deleted
JOB_RETENTION_DAYS (config) after it finished, for a failed import's errors quote the lines of
its file -- external ids, e-mail addresses -- and a job's page is only there to follow the work."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple, Optional

from flask import current_app
from sqlalchemy import ColumnElement, Select, case, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import Model, db, execute_dml
from ..models import (
    Answer,
    AuditEvent,
    CheckIn,
    CheckInAnswer,
    CheckInResponse,
    FeedbackLink,
    Job,
    JobFile,
    Membership,
    Notification,
    Person,
    ProblemReport,
    Response,
    RetroCard,
    Rollout,
    Wave,
)
from ..models.jobs import FINISHED
from ..models.types import utcnow
from . import audit, settings, wins
from .privacy import CHUNK, ERASED, PSEUDONYM_PREFIX, forget_people, pseudonym

log = logging.getLogger(__name__)
TERMINAL = ("done", "cancelled")
JOB_RETENTION_DAYS = 30  # config JOB_RETENTION_DAYS


class Due(NamedTuple):
    texts: bool
    purge: bool


@dataclass
class RetentionPlan:
    """What a rollout keeps, until when, and what is stored now."""

    retention_days: int
    text_retention_days: int
    own_rule: bool  # False: the organisation's default applies
    finished_at: Optional[datetime]  # when the last wave was done; None while one is not
    texts_due: Optional[datetime]
    purge_due: Optional[datetime]
    texts_purged_at: Optional[datetime]
    purged_at: Optional[datetime]
    counts: dict[str, int]

    @property
    def purged(self) -> bool:
        return _covers(self.purged_at, self.finished_at)

    @property
    def texts_purged(self) -> bool:
        return _covers(self.texts_purged_at, self.finished_at)

    def as_dict(self) -> dict:
        def iso(value: Optional[date]) -> Optional[str]:
            return value.isoformat() if value else None
        return {"retention_days": self.retention_days, "text_retention_days": self.text_retention_days,
                "own_rule": self.own_rule, "finished_at": iso(self.finished_at), "texts_due": iso(self.texts_due),
                "purge_due": iso(self.purge_due), "texts_purged_at": iso(self.texts_purged_at),
                "purged_at": iso(self.purged_at), "counts": self.counts}


def _covers(purged_at: Optional[datetime], finished_at: Optional[datetime]) -> bool:
    """A purge counts for the rollout's last finish: a wave added after it starts the clock again."""
    return purged_at is not None and finished_at is not None and purged_at >= finished_at


def effective_days(rollout: Rollout, defaults: Optional[dict] = None) -> tuple[int, int]:
    """(retention days, free-text days): the rollout's own or the organisation's; texts never longer."""
    defaults = defaults or settings.retention_defaults()
    days = rollout.retention_days or defaults["retention_days"]
    texts = rollout.text_retention_days or defaults["text_retention_days"]
    return days, min(texts, days)


def _finished(rollout_ids: Optional[list[int]] = None) -> dict[int, datetime]:
    """rollout id -> when its last wave was done, for the rollouts whose waves are all over."""
    done = func.sum(case((Wave.state == "done", 1), else_=0))
    over = func.sum(case((Wave.state.in_(TERMINAL), 1), else_=0))
    query = (select(Wave.rollout_id, func.max(Wave.done_at)).group_by(Wave.rollout_id)
             .having(func.count() == over, done > 0))
    if rollout_ids is not None:
        query = query.where(Wave.rollout_id.in_(rollout_ids))
    return {rollout_id: when for rollout_id, when in db.session.execute(query) if when is not None}


def finished_at(rollout: Rollout) -> Optional[datetime]:
    return _finished([rollout.id]).get(rollout.id)


def _due(rollout: Rollout, finished: Optional[datetime], now: datetime, defaults: dict) -> Due:
    if finished is None:
        return Due(False, False)
    days, texts = effective_days(rollout, defaults)
    purge = not _covers(rollout.purged_at, finished) and finished + timedelta(days=days) <= now
    # the full purge takes the free texts with it, if they are still there
    texts_due = purge or finished + timedelta(days=texts) <= now
    return Due(texts_due and not _covers(rollout.texts_purged_at, finished), purge)


def due(rollout: Rollout, now: Optional[datetime] = None) -> Due:
    """Whether the free-text purge and the full purge of `rollout` are due now."""
    return _due(rollout, finished_at(rollout), now or utcnow(), settings.retention_defaults())


def plan(rollout: Rollout) -> RetentionPlan:
    """The rollout's retention: the rule, the dates, and the counts of what is stored now."""
    days, texts = effective_days(rollout)
    finished = finished_at(rollout)
    return RetentionPlan(
        retention_days=days, text_retention_days=texts, own_rule=rollout.retention_days is not None,
        finished_at=finished, texts_due=finished + timedelta(days=texts) if finished else None,
        purge_due=finished + timedelta(days=days) if finished else None,
        texts_purged_at=rollout.texts_purged_at, purged_at=rollout.purged_at, counts=stored(rollout))


def _waves(rollout: Rollout) -> Select[int]:
    return select(Wave.id).where(Wave.rollout_id == rollout.id)


def _checkins(waves: Select[int]) -> Select[int]:
    return select(CheckIn.id).where(CheckIn.wave_id.in_(waves))


def _count(model: type[Model], *where: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def stored(rollout: Rollout) -> dict[str, int]:
    """What the purges would erase or delete now (a fixed number of counting queries)."""
    waves = _waves(rollout)
    return {
        "texts": _count(Answer, Answer.wave_id.in_(waves), Answer.text.is_not(None), Answer.text != ""),
        "problem_descriptions": _count(ProblemReport, ProblemReport.wave_id.in_(waves),
                                       ProblemReport.description != ERASED),
        "links": _count(FeedbackLink, FeedbackLink.wave_id.in_(waves)),
        "responses": _count(Response, Response.wave_id.in_(waves),
                            ~Response.respondent_key.startswith(PSEUDONYM_PREFIX, autoescape=True)),
        "people": db.session.scalar(select(func.count()).select_from(_only_for(rollout).subquery())) or 0,
    }


def _only_for(rollout: Rollout, *, leftovers: bool = False) -> Select[int]:
    """The people imported for `rollout` (and, with `leftovers`, for rollouts purged already) who
    are in no wave of another rollout and named in no other rollout's wave still to start."""
    added_for = Person.added_for_rollout_id == rollout.id
    if leftovers:
        added_for = or_(added_for, Person.added_for_rollout_id.in_(
            select(Rollout.id).where(Rollout.purged_at.is_not(None))))
    # a purge deletes its memberships, so a membership elsewhere is in a rollout that still keeps its people
    elsewhere = select(Membership.person_id).join(Wave, Wave.id == Membership.wave_id).where(
        Wave.rollout_id != rollout.id)
    query = select(Person.id).where(added_for, Person.id.not_in(elsewhere))
    named: set[str] = set()
    for (selection,) in db.session.execute(select(Wave.selection).where(
            Wave.rollout_id != rollout.id, Wave.started_at.is_(None), Wave.state.not_in(TERMINAL))):
        named.update(str(p) for p in (selection or {}).get("people") or [])
    if named:
        query = query.where(Person.external_id.not_in(sorted(named)))
    return query


def purge_texts(rollout: Rollout, now: datetime) -> dict[str, int]:
    """Erase the rollout's free texts, in the open transaction; audited."""
    waves = _waves(rollout)
    options = {"synchronize_session": False}
    counts = {
        "texts": execute_dml(
            update(Answer).where(Answer.wave_id.in_(waves), Answer.text.is_not(None), Answer.text != "")
            .values(text="").execution_options(**options)).rowcount,
        "problem_descriptions": execute_dml(
            update(ProblemReport).where(ProblemReport.wave_id.in_(waves), ProblemReport.description != ERASED)
            .values(description=ERASED).execution_options(**options)).rowcount,
        "cards": execute_dml(
            update(RetroCard).where(RetroCard.wave_id.in_(waves), RetroCard.source == "participant",
                                    RetroCard.text != ERASED)
            .values(text=ERASED).execution_options(**options)).rowcount,
        "checkin_texts": execute_dml(
            update(CheckInAnswer).where(CheckInAnswer.checkin_id.in_(_checkins(waves)),
                                        CheckInAnswer.text.is_not(None), CheckInAnswer.text != "")
            .values(text="").execution_options(**options)).rowcount,
        "alerts": execute_dml(
            update(Notification).where(Notification.wave_id.in_(waves), Notification.kind == "blocker",
                                       or_(Notification.body_text != "", Notification.body_html != ""))
            .values(body_text="", body_html="").execution_options(**options)).rowcount,
    }
    # the wins made of them are free texts too (those of the team's own cards stay, as the cards do)
    counts["wins"] = wins.erase_texts(rollout)
    rollout.texts_purged_at = now
    audit.record(None, "retention.texts", rollout=rollout, subject=rollout.key, details=counts)
    return counts


def purge_personal_data(rollout: Rollout, now: datetime) -> dict[str, int]:
    """Delete and pseudonymise the rest of the rollout's personal data, in the open transaction; audited."""
    waves = _waves(rollout)
    options = {"synchronize_session": False}
    people = list(db.session.scalars(_only_for(rollout, leftovers=True)))
    counts = {
        "links": execute_dml(delete(FeedbackLink).where(FeedbackLink.wave_id.in_(waves))
                                    .execution_options(**options)).rowcount,
        "emails": execute_dml(delete(Notification).where(Notification.wave_id.in_(waves))
                                     .execution_options(**options)).rowcount,
        "memberships": execute_dml(delete(Membership).where(Membership.wave_id.in_(waves))
                                          .execution_options(**options)).rowcount,
        "problem_reports": execute_dml(
            update(ProblemReport).where(ProblemReport.wave_id.in_(waves), ProblemReport.person_id.is_not(None))
            .values(person_id=None).execution_options(**options)).rowcount,
    }
    responses = list(db.session.scalars(select(Response.id).where(
        Response.wave_id.in_(waves), ~Response.respondent_key.startswith(PSEUDONYM_PREFIX, autoescape=True))))
    for start in range(0, len(responses), CHUNK):
        db.session.execute(update(Response), [{"id": i, "person_id": None, "respondent_key": pseudonym()}
                                              for i in responses[start:start + CHUNK]])
    counts["responses"] = len(responses)
    # the check-ins' responses keep their answers for the counts, linked to nobody
    checkin_responses = list(db.session.scalars(select(CheckInResponse.id).where(
        CheckInResponse.checkin_id.in_(_checkins(waves)),
        ~CheckInResponse.respondent_key.startswith(PSEUDONYM_PREFIX, autoescape=True))))
    for start in range(0, len(checkin_responses), CHUNK):
        db.session.execute(update(CheckInResponse), [{"id": i, "person_id": None, "respondent_key": pseudonym()}
                                                     for i in checkin_responses[start:start + CHUNK]])
    counts["checkin_responses"] = len(checkin_responses)
    counts["people"] = forget_people(people)["people"]
    counts["named"] = _forget_names(rollout)
    rollout.purged_at = now
    audit.record(None, "retention.purge", rollout=rollout, subject=rollout.key, details=counts)
    return counts


def _forget_names(rollout: Rollout) -> int:
    """The external ids the rollout still holds: the people named in its waves' selections and in
    its audit events' details (the events themselves, who did what and when, stay)."""
    named = 0
    for wave in rollout.waves:
        selection = dict(wave.selection or {})
        if selection.get("people"):
            named += len(selection["people"])
            wave.selection = {**selection, "people": []}
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.rollout_id == rollout.id)):
        details = event.details or {}
        if "person" in details or (isinstance(details.get("selection"), dict) and details["selection"].get("people")):
            cleaned = {k: v for k, v in details.items() if k != "person"}
            if isinstance(cleaned.get("selection"), dict):
                cleaned["selection"] = {**cleaned["selection"], "people": []}
            event.details = cleaned
    return named


def _purge(rollout: Rollout, now: datetime, defaults: dict) -> list[str]:
    # lock the rollout (PostgreSQL) and look again: another tick may have purged it meanwhile
    db.session.refresh(rollout, with_for_update=True)
    what = _due(rollout, finished_at(rollout), now, defaults)
    done = []
    if what.texts:
        purge_texts(rollout, now)
        done.append(f"{rollout.key}:texts")
    if what.purge:
        purge_personal_data(rollout, now)
        done.append(f"{rollout.key}:all")
    db.session.commit()
    return done


def purge_due(now: Optional[datetime] = None) -> list[str]:
    """Run every purge that is due (the reconcile tick calls this); "<key>:texts" / "<key>:all" for each."""
    now = now or utcnow()
    finished = _finished()
    if not finished:
        return []
    defaults = settings.retention_defaults()
    done: list[str] = []
    for rollout in db.session.scalars(select(Rollout).where(Rollout.id.in_(sorted(finished)))
                                      .order_by(Rollout.id)).all():
        if not any(_due(rollout, finished[rollout.id], now, defaults)):
            continue
        key = rollout.key
        try:
            done += _purge(rollout, now, defaults)
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("retention: the purge of %s failed; the next tick tries again", key)
    return done


def job_retention_days() -> int:
    return max(int(current_app.config.get("JOB_RETENTION_DAYS", JOB_RETENTION_DAYS)), 1)


def delete_old_jobs(now: Optional[datetime] = None) -> int:
    """Delete the jobs that finished more than job_retention_days() ago, with their outcome and
    errors (the reconcile tick calls this); queued and running jobs stay, whatever their age. One
    transaction and, when it deleted any, one audit event with the count; the number deleted."""
    days = job_retention_days()
    cutoff = (now or utcnow()) - timedelta(days=days)
    old = (Job.state.in_(FINISHED), func.coalesce(Job.finished_at, Job.created_at) < cutoff)
    options = {"synchronize_session": False}
    try:
        execute_dml(delete(JobFile).where(JobFile.job_id.in_(select(Job.id).where(*old)))
                    .execution_options(**options))
        deleted = execute_dml(delete(Job).where(*old).execution_options(**options)).rowcount
        if deleted:
            audit.record(None, "retention.jobs", details={"jobs": deleted, "days": days})
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("retention: deleting old background jobs failed; the next tick tries again")
        return 0
    return deleted
