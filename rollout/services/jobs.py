"""Background jobs: long work runs outside any request, in steps, and survives its runner.

A job is queued with its kind's parameters (and a file, stored in the database in pieces, so a
runner on any host can read it). A runner claims one with a conditional UPDATE (FOR UPDATE SKIP
LOCKED on PostgreSQL) that also takes a lease; each step first renews the lease -- which fails if
another runner has taken the job over -- then does a bounded piece of work and commits it with
the job's checkpoint and progress in the same transaction. So a runner that dies (a restarted
worker, SIGKILL) leaves the last committed step; once its lease has expired, the next runner
takes the job over and goes on from that checkpoint: no step is committed twice, none is lost.

Kinds: HANDLERS names the step function of each kind, "module:function"; a step is
`step(job, scratch) -> bool` (True when the job is done), where `scratch` is what this runner
keeps in memory between the steps of one job (empty after a takeover: the checkpoint is the
truth). A step raises DomainError to fail the job with that message and its details.

Cancelling: whoever may see a job may cancel it while it is queued or running. A queued job is
cancelled at once (its file deleted); a running one gets `cancel_requested_at`, and its runner
stops it before its next step: what the steps before committed stays, and the kind's STOPPED
function (if any) says in `result` what that was. A finished job has nothing left to cancel.
"""
from __future__ import annotations

import importlib
import io
import logging
import os
import re
import socket
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Optional, Protocol

from flask import current_app
from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, func, insert, or_, select, true, update
from sqlalchemy.orm import joinedload

from ..extensions import db, execute_dml
from ..models import Job, JobFile, JobState, Rollout, RolloutRole, User
from ..models.types import utcnow
from . import audit
from .errors import DomainError, GuardFailed, NotFound
from .paging import page_of

log = logging.getLogger("rollout.jobs")

HANDLERS: dict[str, str] = {
    "import_people": "rollout.services.imports:import_step",
    "start_wave": "rollout.services.wave_start:start_step",
    "store_buckets": "rollout.services.bucket_jobs:store_step",
}
# what a kind does when its runner stops it after a cancel: `stopped(job)` says in job.result what
# the committed steps left (an import's people written so far), in the stopping transaction
STOPPED: dict[str, str] = {
    "import_people": "rollout.services.imports:import_stopped",
    "start_wave": "rollout.services.wave_start:start_stopped",
}
KIND_LABELS = {"import_people": _l("Import of people"), "start_wave": _l("Start of a wave"),
               "store_buckets": _l("Sorting a rollout's people into buckets")}
PIECE = 256 * 1024  # bytes of an uploaded file per row of job_files
LEASE_SECONDS = 60  # a runner that has not renewed its lease for this long is taken to be dead
MAX_ATTEMPTS = 5  # a job taken over this many times is failed rather than tried forever
MAX_ERRORS = 1000  # problems stored with a failed job
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Step(Protocol):
    def __call__(self, job: Job, scratch: dict[str, Any], /) -> bool: ...


def _function(path: str) -> Any:
    module, _sep, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def handler_for(kind: str) -> Step:
    step: Step = _function(HANDLERS[kind])
    return step


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def state_label(job: Job) -> str:
    """The job's state in words; a running job whose cancel its runner has yet to see is "cancelling"."""
    if job.cancelling:
        return pgettext("job state", "Cancelling")
    return {JobState.QUEUED: pgettext("job state", "Waiting"), JobState.RUNNING: pgettext("job state", "Running"),
            JobState.DONE: pgettext("job state", "Done"), JobState.FAILED: pgettext("job state", "Failed"),
            JobState.CANCELLED: pgettext("job state", "Cancelled")}.get(JobState(job.state), job.state)


def lease() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("JOB_LEASE_SECONDS", LEASE_SECONDS)))


def runner_name() -> str:
    """Who holds a lease: the host, the process and a random part (two runners of one process differ)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- queueing ------------------------------------------------------------------------------

def enqueue(kind: str, params: dict[str, Any], actor: Optional[User], *, rollout: Optional[Rollout] = None,
            pieces: Iterable[bytes] = (), total: int = 0, commit: bool = True) -> Job:
    """A new queued job of `kind`, with its file's `pieces` stored one by one (never all in memory
    at once); committed unless `commit` is False (the caller adds to it first)."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for jobs of kind {kind!r}")
    now = utcnow()
    job = Job(kind=kind, params=params, actor_id=actor.id if actor is not None else None,
              rollout_id=rollout.id if rollout is not None else None, progress_total=total,
              state=JobState.QUEUED, checkpoint={}, result={}, errors=[], message="", created_at=now)
    db.session.add(job)
    db.session.flush()
    for seq, piece in enumerate(pieces):  # a Core insert: the session keeps no copy of the piece
        db.session.execute(insert(JobFile).values(job_id=job.id, seq=seq, data=piece))
    if commit:
        db.session.commit()
    return job


def file_pieces(job_id: int) -> Iterator[bytes]:
    """The job's file, piece by piece: one small query per piece, never the whole file at once."""
    seq = 0
    while True:
        piece = db.session.scalar(select(JobFile.data).where(JobFile.job_id == job_id, JobFile.seq == seq))
        if piece is None:
            return
        yield bytes(piece)
        seq += 1


class PieceReader(io.RawIOBase):
    """Pieces of bytes as a readable binary stream (for io.TextIOWrapper)."""

    def __init__(self, pieces: Iterator[bytes]):
        self.pieces, self.rest = pieces, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.rest:
            piece = next(self.pieces, None)
            if piece is None:
                return 0
            self.rest = piece
        size = min(len(buffer), len(self.rest))
        buffer[:size] = self.rest[:size]
        self.rest = self.rest[size:]
        return size


# --- running -------------------------------------------------------------------------------

def claim(owner: str, *, job_id: Optional[int] = None) -> Optional[int]:
    """Take one queued job, or a running one whose lease has expired, for `owner`; its id or None.
    The condition is in the UPDATE itself: of two runners, one gets the job, the other nothing."""
    now = utcnow()
    claimable = or_(Job.state == JobState.QUEUED, (Job.state == JobState.RUNNING) & (Job.lease_expires_at < now))
    candidate = select(Job.id).where(claimable).order_by(Job.id).limit(1).with_for_update(skip_locked=True)
    if job_id is not None:
        candidate = candidate.where(Job.id == job_id)
    claimed = db.session.execute(
        update(Job).where(Job.id == candidate.scalar_subquery(), claimable)
        .values(state=JobState.RUNNING, lease_owner=owner, lease_expires_at=now + lease(), heartbeat_at=now,
                started_at=func.coalesce(Job.started_at, now), attempts=Job.attempts + 1)
        .returning(Job.id).execution_options(synchronize_session=False)).scalar()
    db.session.commit()
    return claimed


def _renew(job_id: int, owner: str) -> bool:
    """Renew the lease at the start of a step, in the step's transaction (which then holds the
    job's row): False when another runner has taken the job over."""
    now = utcnow()
    renewed = execute_dml(update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.state == JobState.RUNNING)
                          .values(heartbeat_at=now, lease_expires_at=now + lease())
                          .execution_options(synchronize_session=False))
    return renewed.rowcount == 1


def _finish(job: Job, state: JobState) -> None:
    job.state, job.finished_at, job.lease_owner, job.lease_expires_at = state, utcnow(), None, None
    db.session.execute(delete(JobFile).where(JobFile.job_id == job.id))


def storable(value: Any) -> Any:
    """`value` with the characters no database stores as text (NUL; half of a UTF-16 pair) replaced:
    a problem may quote a broken file (a header of binary junk names its columns)."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def _fail(job_id: int, owner: str, message: str, details: list | dict | None) -> Optional[Job]:
    if not _renew(job_id, owner):
        db.session.rollback()
        return None
    job = db.session.get_one(Job, job_id, populate_existing=True)
    job.message = storable(message)
    job.errors = storable(list(details)[:MAX_ERRORS]) if isinstance(details, list) else []
    _finish(job, JobState.FAILED)
    db.session.commit()
    return job


def run_job(job_id: int, owner: str, *, max_steps: Optional[int] = None) -> Optional[Job]:
    """Run the job `owner` holds, step by step, until it is done or failed (or after `max_steps`);
    None when another runner took it over meanwhile."""
    scratch: dict[str, Any] = {}
    steps = 0
    while max_steps is None or steps < max_steps:
        if not _renew(job_id, owner):
            db.session.rollback()
            return None
        job = db.session.get_one(Job, job_id, populate_existing=True)
        if job.cancel_requested_at is not None:  # cancelled while it ran: stop before this step
            _stop(job)
            db.session.commit()
            return job
        if job.attempts > MAX_ATTEMPTS:
            db.session.rollback()
            return _fail(job_id, owner, _("The job was stopped after %(n)s attempts; start it again.",
                                          n=MAX_ATTEMPTS), [])
        try:
            with force_locale(job.params.get("language") or "sv"):
                done = handler_for(job.kind)(job, scratch)
        except DomainError as error:
            db.session.rollback()
            return _fail(job_id, owner, error.message, error.details)
        except Exception:  # noqa: BLE001  (a failed job says so; it never takes its runner down)
            db.session.rollback()
            log.exception("job %s (%s) failed", job_id, owner)
            return _fail(job_id, owner, _("The job stopped on an unexpected error; what it had not finished "
                                          "was not done. Try again, or ask an administrator."), [])
        if done:
            _finish(job, JobState.DONE)
        db.session.commit()
        steps += 1
        if done:
            return job
    return db.session.get(Job, job_id)


def _stop(job: Job) -> None:
    """End a cancelled job, in the transaction whose renewal holds it: the kind says what stays."""
    if job.kind in STOPPED:
        with force_locale(job.params.get("language") or "sv"):
            _function(STOPPED[job.kind])(job)
    _finish(job, JobState.CANCELLED)


def run_pending(owner: Optional[str] = None, *, max_jobs: Optional[int] = None,
                until: Optional[datetime] = None) -> int:
    """Run queued jobs (and those whose runner died) one after another until there are none, or
    `max_jobs` have run, or it is `until`; the number run."""
    owner = owner or runner_name()
    count = 0
    while (max_jobs is None or count < max_jobs) and (until is None or utcnow() < until):
        job_id = claim(owner)
        if job_id is None:
            break
        run_job(job_id, owner)
        count += 1
    return count


# --- cancelling ----------------------------------------------------------------------------

def refuse_if_finished(job: Job) -> None:
    """GuardFailed (409) for a job that is done, failed or cancelled: nothing is left to cancel."""
    if job.finished:
        raise GuardFailed("job_finished", _("This job has finished (%(state)s): there is nothing left to cancel.",
                                            state=state_label(job).lower()))


def cancel(job: Job, actor: Optional[User]) -> Job:
    """Cancel `job` for `actor` (who may see it): a queued job is cancelled now and its file deleted;
    a running one is marked, and its runner stops it before its next step (its file goes then: the
    step under way still reads it). Each UPDATE names the state it changes, so a runner claiming the
    job meanwhile makes the first one miss and the second one hit. Audited; GuardFailed (409) for a
    job that has finished; asking again while a cancel is pending changes nothing."""
    if not can_see(actor, job):
        raise NotFound(_("No such job."))
    job_id, now = job.id, utcnow()
    queued = execute_dml(update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED)
                         .values(state=JobState.CANCELLED, cancel_requested_at=now, finished_at=now)
                         .execution_options(synchronize_session=False))
    if queued.rowcount == 1:
        db.session.execute(delete(JobFile).where(JobFile.job_id == job_id))
    else:
        running = execute_dml(update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING,
                                                Job.cancel_requested_at.is_(None))
                              .values(cancel_requested_at=now).execution_options(synchronize_session=False))
        if running.rowcount != 1:
            db.session.rollback()
            job = db.session.get_one(Job, job_id, populate_existing=True)
            refuse_if_finished(job)
            return job  # its cancel was asked for already
    job = db.session.get_one(Job, job_id, populate_existing=True)
    audit.record(actor, "job.cancel", rollout=job.rollout, subject=str(job_id),
                 details={"job": job_id, "kind": job.kind, "running": queued.rowcount != 1})
    db.session.commit()
    return job


# --- reading -------------------------------------------------------------------------------

def visible_to(viewer: Optional[User]) -> ColumnElement[bool]:
    """Which jobs `viewer` may see, as SQL: the system and admins all; anyone else those they
    started and those of the rollouts they lead."""
    if viewer is None or viewer.is_admin:
        return true()
    led = select(RolloutRole.rollout_id).where(RolloutRole.user_id == viewer.id, RolloutRole.role == "lead")
    return or_(Job.actor_id == viewer.id, Job.rollout_id.in_(led))


def can_see(viewer: Optional[User], job: Job) -> bool:
    """visible_to for one job (the same rule: one place says who may see a job)."""
    if viewer is None or viewer.is_admin or (job.actor_id is not None and job.actor_id == viewer.id):
        return True
    return db.session.scalar(select(Job.id).where(Job.id == job.id, visible_to(viewer))) is not None


def get_job(job_id: int, viewer: Optional[User]) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not can_see(viewer, job):
        raise NotFound(_("No such job."))
    return job


def list_jobs(viewer: Optional[User], page: int = 1, per_page: int = 50) -> tuple[list[Job], int]:
    """The jobs `viewer` may see, newest first, a page of them and how many in all: two queries
    whatever the page holds (who started each and its rollout come with it)."""
    query = (select(Job).where(visible_to(viewer)).options(joinedload(Job.actor), joinedload(Job.rollout))
             .order_by(Job.id.desc()))
    return page_of(query, page, per_page)
