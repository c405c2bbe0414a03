"""Background jobs: long work (a large import, a large wave's start) run outside any request, in
steps that commit their progress, so that another runner can take a job over -- or stop it when
someone cancels it."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .accounts import User
from .rollouts import Rollout
from .types import JSONType, UTCDateTime, utcnow
from .vocabularies import one_of


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Job(Model):
    """One piece of background work of a kind (services.jobs.HANDLERS), its progress and outcome.

    A runner holds a job while `lease_owner` is its own and `lease_expires_at` is in the future;
    each step renews the lease and commits the checkpoint with the work it did. A running job whose
    `cancel_requested_at` is set is stopped by its runner before the next step (what the steps
    before committed stays); a queued one is cancelled at once."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(one_of("state", JobState), name="state"),
        CheckConstraint("progress_done >= 0 AND progress_total >= 0", name="progress"),
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    # what the handler needs to start (never personal data beyond ids and names of options)
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    # where a runner that takes the job over goes on from (the handler's own)
    checkpoint: Mapped[dict] = mapped_column(JSONType, default=dict)
    # the outcome: counts when done; a failed job's message and its problems (line, field, message)
    result: Mapped[dict] = mapped_column(JSONType, default=dict)
    errors: Mapped[list] = mapped_column(JSONType, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    rollout_id: Mapped[Optional[int]] = mapped_column(ForeignKey("rollouts.id", ondelete="SET NULL"),
                                                      nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[Optional[str]] = mapped_column(String(100), nullable=True)
    lease_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    cancel_requested_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    actor: Mapped[Optional[User]] = relationship()
    rollout: Mapped[Optional[Rollout]] = relationship()

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def cancelling(self) -> bool:
        """Cancelled while it ran: its runner stops before its next step."""
        return self.state == JobState.RUNNING and self.cancel_requested_at is not None

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return min(100, self.progress_done * 100 // self.progress_total) if self.progress_total else 0

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"


class JobFile(Model):
    """An uploaded file a job reads, in pieces of at most services.jobs.PIECE bytes: kept in the
    database, so that a runner on any host can take the job over; deleted when the job ends."""

    __tablename__ = "job_files"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
