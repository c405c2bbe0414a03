"""Ideas from the floor: a proposal from anyone in the organisation (no account needed), the
people who support it, and the council's triage of it (services/ideas).

    new -> under_review -> accepted (a draft rollout, or a lesson of a rollout) | declined | merged

`search_text` is what the search of similar ideas reads: full-text through an FTS5 table on
SQLite and a GIN index on PostgreSQL, kept outside the models (see `rollout.models.search`).
The proposer's and supporters' name and e-mail are personal data: erased by retention some time
after the decision, and by a person's erasure (services/ideas/privacy.py); the text stays."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .accounts import User
from .lessons import Lesson
from .people import Unit
from .rollouts import Rollout
from .types import UTCDateTime, utcnow
from .vocabularies import IdeaReach, IdeaState, one_of


class Idea(Model):
    __tablename__ = "ideas"
    __table_args__ = (
        CheckConstraint(one_of("state", IdeaState), name="state"),
        CheckConstraint(one_of("reach", IdeaReach), name="reach"),
        Index("ix_ideas_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # the proposer: empty once erased (retention or a person's erasure)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    language: Mapped[str] = mapped_column(String(5), default="sv")
    # the unit as written, and the unit of the directory with that name, when there is one
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), nullable=True)
    problem: Mapped[str] = mapped_column(Text, default="")
    idea: Mapped[str] = mapped_column(Text, default="")
    reach: Mapped[str] = mapped_column(String(20), default="just_me")
    state: Mapped[str] = mapped_column(String(20), default="new")
    reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"), nullable=True)
    rollout_id: Mapped[Optional[int]] = mapped_column(ForeignKey("rollouts.id", ondelete="SET NULL"), nullable=True,
                                                      index=True)
    lesson_id: Mapped[Optional[int]] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"), nullable=True,
                                                     index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    supporters: Mapped[int] = mapped_column(Integer, default=0)  # kept with each support, in its transaction
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    personal_data_erased_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    unit: Mapped[Optional[Unit]] = relationship()
    rollout: Mapped[Optional[Rollout]] = relationship()
    lesson: Mapped[Optional[Lesson]] = relationship()
    decided_by: Mapped[Optional[User]] = relationship()
    merged_into: Mapped[Optional["Idea"]] = relationship(remote_side=[id])

    @property
    def unit_label(self) -> str:
        return self.unit.name if self.unit is not None else self.unit_name


class IdeaSupport(Model):
    """Someone who supports an idea instead of sending their own: one per e-mail address and idea."""

    __tablename__ = "idea_supports"
    __table_args__ = (UniqueConstraint("idea_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    # empty once erased; the row stays, so the count stays
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="sv")
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdeaLimit(Model):
    """How many ideas and supports one client address or e-mail address ("address:<ip>",
    "email:<address>") sent in the current window: the public form's rate limit, in the
    database so that it holds across workers and hosts."""

    __tablename__ = "idea_limits"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
