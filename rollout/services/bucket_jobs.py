"""Many buckets are written in the background: a request never stores more than
BUCKETS_SYNC_MAX (20,000) of them.

A new rollout among a million people needs a million buckets (services/buckets.py): 18-29 s,
too long for a request. When more than sync_max() are missing, create_rollout queues a
store_buckets job with the rollout (committed with it), and a runner writes them a range of
STEP person ids per step, each step one transaction that commits the buckets with the job's
checkpoint (the last person id done): a runner that takes the job over goes on from there, and
a step repeated after a takeover writes nothing twice (only the missing are selected; on
PostgreSQL the top-ups of one rollout also wait for each other).

While the job is pending, nothing reads a selection of the rollout: ready() raises
BucketsPending (a 409 guard, naming the job) instead of topping up a million in the request,
so the wave page shows the job's progress in place of the preview, and a wave's start is refused
until it is done -- the lead confirms a start against the preview's count, which does not exist
yet. The same holds whenever a request finds more than sync_max() missing (people added by a
path that wrote no buckets): it queues the job and refuses. A large import of people writes the
new people's buckets of every rollout that may still take them inside its own job
(import_step/after_import), so that the preview after it is at once complete.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select

from ..extensions import db
from ..models import BUCKETS_KIND, Job, JobState, Person, Rollout, User, Wave
from . import buckets, jobs
from .errors import DomainError, GuardFailed

KIND = BUCKETS_KIND
SYNC_MAX = 20_000  # missing buckets a request may write (config BUCKETS_SYNC_MAX)
STEP = 50_000  # people (by id) a step of a job goes through: about a second and a half on PostgreSQL
PENDING = (JobState.QUEUED, JobState.RUNNING)


class BucketsPending(GuardFailed):
    """The rollout's people are still being sorted into buckets by `job` (API: 409, its details
    name the job)."""

    def __init__(self, job: Job, text: Optional[str] = None):
        super().__init__("buckets_pending", text or message(job), [reason(job, text)])
        self.job = job


class RolloutGone(DomainError):
    status = 404
    code = "not_found"


def sync_max() -> int:
    return int(current_app.config.get("BUCKETS_SYNC_MAX", SYNC_MAX))


def message(job: Job) -> str:
    return _("The rollout's people are still being sorted into buckets: %(percent)s %% done.", percent=job.percent)


def start_message(job: Job) -> str:
    return _("The rollout's people are still being sorted into buckets (%(percent)s %% done): the wave can start "
             "once that is done and you have checked the preview.", percent=job.percent)


def reason(job: Job, text: Optional[str] = None) -> dict[str, Any]:
    """A refusal's detail: the guard, its message, the job (GET /api/v1/jobs/{job}) and how far it is."""
    return {"guard": "buckets_pending", "message": text or message(job), "job": job.id, "percent": job.percent}


def pending(rollout: Rollout) -> Optional[Job]:
    """The store_buckets job queued or running for the rollout, if any (one query)."""
    return db.session.scalar(select(Job).where(Job.rollout_id == rollout.id, Job.kind == KIND,
                                               Job.state.in_(PENDING)).order_by(Job.id).limit(1))


def queue(rollout: Rollout, actor: Optional[User], *, commit: bool = True) -> Job:
    """A new store_buckets job for the rollout; its progress counts the people gone through."""
    people = db.session.scalar(select(func.count()).select_from(Person)) or 0
    params = {"rollout": rollout.key, "language": str(get_locale() or "sv")}
    return jobs.enqueue(KIND, params, actor, rollout=rollout, total=people, commit=commit)


def fill(rollout: Rollout, actor: Optional[User]) -> Optional[Job]:
    """The rollout's missing buckets, stored now in the open transaction when at most sync_max()
    are missing; otherwise a job queued to store them (in the open transaction too: the caller's
    commit queues it), returned."""
    try:
        buckets.top_up(rollout, most=sync_max())
    except buckets.TooManyMissing:
        return queue(rollout, actor, commit=False)
    return None


def ready(rollout: Rollout) -> None:
    """Before a request reads a selection of the rollout: its buckets complete, at once when few
    are missing; BucketsPending while a job stores them, or when too many are missing (then the job
    is queued and committed first -- callers call this before they change anything, and refuse)."""
    if buckets.checked(rollout):
        return
    job = pending(rollout)
    if job is None:
        job = fill(rollout, None)
        if job is None:
            return
        db.session.commit()
    raise BucketsPending(job)


def sorting(rollout: Rollout) -> Optional[Job]:
    """ready(), as the job that is still sorting the rollout's people (None: the buckets are complete)."""
    try:
        ready(rollout)
    except BucketsPending as pending_job:
        return pending_job.job
    return None


# --- the job's steps -------------------------------------------------------------------------

def next_range(after: int, size: int) -> tuple[Optional[int], int]:
    """The id of the last of the `size` people that come after `after` by id, and how many there are."""
    ids = select(Person.id).where(Person.id > after).order_by(Person.id).limit(size).subquery()
    last, count = db.session.execute(select(func.max(ids.c.id), func.count()).select_from(ids)).one()
    return last, int(count or 0)


def _stored_range(rollout: Rollout, after: int) -> tuple[int, int, int, bool]:
    """One step: the missing buckets of the next STEP people after `after`; (the last id gone
    through, the people gone through, buckets written, whether it was the last range). The last
    range has no end, so that people added meanwhile are not left out."""
    upto, count = next_range(after, STEP)
    last = count < STEP
    written = buckets.top_up_range(rollout, after, None if last else upto) if count else 0
    return (upto if upto is not None else after), count, written, last


def store_step(job: Job, _scratch: dict[str, Any]) -> bool:
    """A step of a store_buckets job (services.jobs): the missing buckets of the next STEP people."""
    rollout = db.session.get(Rollout, job.rollout_id) if job.rollout_id is not None else None
    if rollout is None or rollout.purged_at is not None:
        raise RolloutGone(_("The rollout no longer exists or its personal data was purged: it needs no buckets."))
    after = int(job.checkpoint.get("after", 0))
    upto, people, written, last = _stored_range(rollout, after)
    stored = int(job.checkpoint.get("stored", 0)) + written
    job.checkpoint = {"after": upto, "stored": stored}
    job.progress_done = min(job.progress_total, job.progress_done + people)
    job.result = {"rollout": rollout.key, "stored": stored}
    if not last:
        return False
    buckets.forget_orphans(rollout)
    if stored >= buckets.ANALYZE_AFTER:
        buckets.analyze()
    job.progress_done = job.progress_total
    return True


# --- after an import of people -----------------------------------------------------------------

def open_rollouts() -> list[int]:
    """The rollouts that may still take people into a wave: not purged, with no wave yet or a wave
    that has neither started nor been cancelled. (Any other gets its buckets when it is next read.)"""
    waiting = exists().where(Wave.rollout_id == Rollout.id, Wave.started_at.is_(None), Wave.state != "cancelled")
    no_wave = ~exists().where(Wave.rollout_id == Rollout.id)
    return list(db.session.scalars(select(Rollout.id).where(Rollout.purged_at.is_(None), or_(waiting, no_wave))
                                   .order_by(Rollout.id)))


def last_person_id() -> int:
    return int(db.session.scalar(select(func.max(Person.id))) or 0)


def after_import(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """An import's checkpoint for its last phase: the buckets of the people it added (ids above
    the checkpoint's `before`) in every open rollout; its `rollouts` are those still to do."""
    before = int(checkpoint.get("before", 0))
    rollouts = open_rollouts() if last_person_id() > before else []
    return {**checkpoint, "phase": "buckets", "rollouts": rollouts, "after": before, "stored": 0}


def import_step(job: Job) -> bool:
    """A step of an import's last phase: one rollout's missing buckets of the next STEP new people;
    True once every open rollout has them."""
    checkpoint = dict(job.checkpoint)
    remaining, after = list(checkpoint["rollouts"]), int(checkpoint["after"])
    stored = int(checkpoint.get("stored", 0))
    while remaining:
        rollout = db.session.get(Rollout, remaining[0])
        if rollout is None or rollout.purged_at is not None:
            remaining.pop(0)
            continue
        after, _people, written, last = _stored_range(rollout, after)
        stored += written
        if last:
            remaining.pop(0)
            after = int(checkpoint.get("before", 0))
        break
    job.checkpoint = {**checkpoint, "rollouts": remaining, "after": after, "stored": stored}
    if remaining:
        return False
    if stored >= buckets.ANALYZE_AFTER:
        buckets.analyze()
    return True
