"""Check-ins: a short pulse (1-3 questions) sent to a wave's members on set days while the wave
runs, and the answers to it. One response per person and check-in (`respondent_key`, a keyed hash
as for a wave's response); in an anonymous rollout no person and no time finer than the day."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .rollouts import Wave
from .types import JSONType, UTCDateTime, utcnow


class CheckIn(Model):
    """A check-in of a wave: sent `day` days after the wave started (0: the day it starts). Its
    questions are stored with it, as the questionnaire's are shaped (services.questionnaires
    question_data): {code, kind, prompt: {sv, en}, options, required, min, max}."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("wave_id", "day"),
        CheckConstraint("day >= 0", name="day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    day: Mapped[int] = mapped_column(Integer)
    questions: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # when the tick queued its messages to the members; never changed after
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    wave: Mapped[Wave] = relationship()


class CheckInResponse(Model):
    """One person's answers to one check-in, replaced when they edit."""

    __tablename__ = "checkin_responses"
    __table_args__ = (UniqueConstraint("checkin_id", "respondent_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"), index=True)
    respondent_key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    answers: Mapped[list["CheckInAnswer"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                          lazy="selectin")


class CheckInAnswer(Model):
    """One answer; a `multi` question has one row per chosen option, so that distributions are a
    GROUP BY, as for a wave's answers."""

    __tablename__ = "checkin_answers"
    __table_args__ = (Index("ix_checkin_answers_checkin_code", "checkin_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("checkin_responses.id", ondelete="CASCADE"), index=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50))
    number: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    option: Mapped[Optional[str]] = mapped_column(String(100), nullable=True)
    text: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
