"""A rollout, its waves, and who is in each wave (membership)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..languages import LANGUAGES
from .accounts import RolloutRole
from .buckets import BUCKETS_KIND
from .people import Person
from .types import JSONType, UTCDateTime, utcnow
from .vocabularies import DecisionKind, WaveState, one_of

if TYPE_CHECKING:
    from .jobs import Job

WAVE_STATES = tuple(WaveState)
DECISIONS = tuple(DecisionKind)


class Rollout(Model):
    __tablename__ = "rollouts"
    # the language the team writes the rollout's texts in (name, waves, cards, lessons); pages mark
    # those texts with it when the reader's language differs (WCAG 3.1.2)
    __table_args__ = (CheckConstraint(f"language IN ({', '.join(repr(code) for code in LANGUAGES)})",
                                      name="language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="sv")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # results of groups smaller than this are hidden in an anonymous rollout
    anonymity_k: Mapped[int] = mapped_column(Integer, default=5)
    # reminders go to non-responders this many days before the feedback window closes
    reminder_days: Mapped[int] = mapped_column(Integer, default=2)
    # [{"code", "sv", "en"}]; participants choose one when they report a problem
    problem_categories: Mapped[list] = mapped_column(JSONType, default=list)
    # gate criteria for going from one wave to the next; a wave may override any of them
    gate: Mapped[dict] = mapped_column(JSONType, default=dict)
    # dots each team member may place in a wave's retrospective
    vote_budget: Mapped[int] = mapped_column(Integer, default=5)
    # personal data is purged this many days after the last wave is done (None: the
    # organisation's default); free texts and problem descriptions may go sooner
    retention_days: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    text_retention_days: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    texts_purged_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    purged_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    waves: Mapped[list["Wave"]] = relationship(
        back_populates="rollout", order_by="Wave.number", cascade="all, delete-orphan"
    )
    roles: Mapped[list[RolloutRole]] = relationship(back_populates="rollout", cascade="all, delete-orphan")
    tag_rows: Mapped[list["RolloutTag"]] = relationship(cascade="all, delete-orphan", order_by="RolloutTag.tag")
    # the jobs still sorting its people into buckets (services/bucket_jobs.py): none, or one
    sorting_jobs: Mapped[list["Job"]] = relationship(
        primaryjoin=f"and_(Job.rollout_id == Rollout.id, Job.kind == '{BUCKETS_KIND}', "
                    "Job.state.in_(['queued', 'running']))",
        foreign_keys="Job.rollout_id", viewonly=True, order_by="Job.id")

    @property
    def tags(self) -> list[str]:
        """What the change is about ("windows", "e-service"); the library suggests lessons by them."""
        return [row.tag for row in self.tag_rows]

    def __repr__(self) -> str:
        return f"<Rollout {self.key}>"


class Wave(Model):
    """One round of a rollout; number 0 is the pilot."""

    __tablename__ = "waves"
    __table_args__ = (
        UniqueConstraint("rollout_id", "number"),
        CheckConstraint(one_of("state", WaveState), name="state"),
        CheckConstraint("percentage IS NULL OR (percentage >= 1 AND percentage <= 100)", name="percentage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="planned")
    # the state a paused wave resumes to
    paused_from: Mapped[Optional[str]] = mapped_column(String(20), nullable=True)
    # {"people": [external_id], "units": [name], "attributes": {key: [value]}}
    selection: Mapped[dict] = mapped_column(JSONType, default=dict)
    percentage: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    planned_start: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    planned_end: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    feedback_days: Mapped[int] = mapped_column(Integer, default=7)
    auto_advance: Mapped[bool] = mapped_column(Boolean, default=False)
    members_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    feedback_opened_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    decision: Mapped[Optional[str]] = mapped_column(String(20), nullable=True)
    decision_rationale: Mapped[str] = mapped_column(Text, default="")
    # the questionnaire version frozen when feedback opened, and when the window closes
    questionnaire_id: Mapped[Optional[int]] = mapped_column(ForeignKey("questionnaires.id"), nullable=True)
    feedback_closes_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    if TYPE_CHECKING:
        # how many have answered: the shards of the wave's response count added up (a read-only
        # column_property, models/feedback.py; the submits write services/tallies)
        responses_count: Mapped[int]
    gate_overrides: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rollout: Mapped[Rollout] = relationship(back_populates="waves")

    @property
    def is_pilot(self) -> bool:
        return self.number == 0

    @property
    def has_started(self) -> bool:
        """Members are fixed once the wave has started."""
        return self.started_at is not None

    def __repr__(self) -> str:
        return f"<Wave {self.rollout_id}/{self.number} {self.state}>"


class Membership(Model):
    """A person fixed into a wave when the wave started.

    Keyed by (wave, person), with no foreign keys: a starting wave writes one row per member
    (100,000 for a 10 % wave of a large agency), and PostgreSQL checks a foreign key row by row,
    locking each person's row as it goes, so that a start rewrote a page of the directory for
    nearly every member. What the keys promised holds by how the rows are written and removed:
    cohorts.fix_members is the only writer, selecting from the people's buckets within the
    transaction that starts (and so locks) the wave; privacy.forget_people deletes a person's
    memberships with the person, as on SQLite, which enforces no foreign keys; and retention
    sweeps any row whose person went while a wave was starting (`memberships_orphaned`)."""

    __tablename__ = "memberships"

    wave_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # a person's waves: erasure, and which waves already hold someone (`index` of its own)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)
    bucket: Mapped[int] = mapped_column(Integer)
    explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    wave: Mapped[Wave] = relationship(primaryjoin="foreign(Membership.wave_id) == Wave.id", viewonly=True)
    person: Mapped[Person] = relationship(primaryjoin="foreign(Membership.person_id) == Person.id", viewonly=True)


class RolloutTag(Model):
    __tablename__ = "rollout_tags"

    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)
