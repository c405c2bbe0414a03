"""Lessons: an action from a retrospective with an owner, the wave it came
from, the wave it must change, the metric that should show whether it helped,
and where it stands.

    open -> planned -> applied -> verified_effective | verified_ineffective
    open / planned -> deferred | dropped (with a reason)

`search_text` is what the lesson library searches: full-text through an FTS5
table on SQLite and a GIN index on PostgreSQL, both kept outside the models
(see `rollout.models.search`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .accounts import User
from .rollouts import Rollout, Wave
from .types import JSONType, UTCDateTime, utcnow
from .vocabularies import LessonStatus, one_of

LESSON_STATUSES = tuple(LessonStatus)


class Lesson(Model):
    __tablename__ = "lessons"
    __table_args__ = (
        CheckConstraint(one_of("status", LessonStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), index=True)
    # None for a lesson carried in from another rollout's library before any wave here
    origin_wave_id: Mapped[Optional[int]] = mapped_column(ForeignKey("waves.id", ondelete="SET NULL"),
                                                          nullable=True, index=True)
    target_wave_id: Mapped[Optional[int]] = mapped_column(ForeignKey("waves.id", ondelete="SET NULL"),
                                                          nullable=True, index=True)
    theme_id: Mapped[Optional[int]] = mapped_column(ForeignKey("retro_themes.id", ondelete="SET NULL"), nullable=True)
    # the library lesson this one was carried from
    source_lesson_id: Mapped[Optional[int]] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"),
                                                            nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # a question code, or "problems:<category>"
    metric: Mapped[Optional[str]] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(30), default="open")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # the comparison shown when the team confirmed the verification
    verification: Mapped[Optional[dict]] = mapped_column(JSONType, nullable=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    rollout: Mapped[Rollout] = relationship()
    origin_wave: Mapped[Optional[Wave]] = relationship(foreign_keys=[origin_wave_id])
    target_wave: Mapped[Optional[Wave]] = relationship(foreign_keys=[target_wave_id])
    owner: Mapped[Optional[User]] = relationship(foreign_keys=[owner_id])
    tag_rows: Mapped[list["LessonTag"]] = relationship(cascade="all, delete-orphan", order_by="LessonTag.tag")

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class LessonTag(Model):
    __tablename__ = "lesson_tags"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)
