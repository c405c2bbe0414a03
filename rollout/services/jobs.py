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
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select, update

from ..extensions import db, execute_dml
from ..models import Job, JobFile, JobState, Rollout, RolloutRole, User
from ..models.types import utcnow
from .errors import DomainError, NotFound

log = logging.getLogger("rollout.jobs")

HANDLERS: dict[str, str] = {
    "import_people": "rollout.services.imports:import_step",
    "start_wave": "rollout.services.wave_start:start_step",
    "store_buckets": "rollout.services.bucket_jobs:store_step",
}
PIECE = 256 * 1024  # bytes of an uploaded file per row of job_files
LEASE_SECONDS = 60  # a runner that has not renewed its lease for this long is taken to be dead
MAX_ATTEMPTS = 5  # a job taken over this many times is failed rather than tried forever
MAX_ERRORS = 1000  # problems stored with a failed job
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Step(Protocol):
    def __call__(self, job: Job, scratch: dict[str, Any], /) -> bool: ...


def handler_for(kind: str) -> Step:
    module, _sep, name = HANDLERS[kind].partition(":")
    step: Step = getattr(importlib.import_module(module), name)
    return step


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


# --- reading -------------------------------------------------------------------------------

def can_see(viewer: Optional[User], job: Job) -> bool:
    """The system, admins and whoever started the job; for a rollout's job, its leads too."""
    if viewer is None or viewer.is_admin or (job.actor_id is not None and job.actor_id == viewer.id):
        return True
    if job.rollout_id is None:
        return False
    return db.session.scalar(select(RolloutRole.id).where(
        RolloutRole.rollout_id == job.rollout_id, RolloutRole.user_id == viewer.id,
        RolloutRole.role == "lead")) is not None


def get_job(job_id: int, viewer: Optional[User]) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not can_see(viewer, job):
        raise NotFound(_("No such job."))
    return job


def list_jobs(limit: int = 50) -> list[Job]:
    """The newest jobs first (for the command line)."""
    return list(db.session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)))
