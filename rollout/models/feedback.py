"""Feedback: versioned questionnaires, personal links, responses and their
answers, and problem reports."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import Model
from .people import Person
from .rollouts import Wave
from .types import JSONType, UTCDateTime, utcnow
from .vocabularies import ProblemStatus, QuestionKind, Severity, one_of

QUESTION_KINDS = tuple(QuestionKind)
SEVERITIES = tuple(Severity)
PROBLEM_STATUSES = tuple(ProblemStatus)


class Questionnaire(Model):
    """One version of a rollout's questions. Versions never change once saved;
    a wave keeps the version it opened feedback with."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("rollout_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan", lazy="selectin")


class Question(Model):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "code"),
        CheckConstraint(one_of("kind", QuestionKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))
    prompt_sv: Mapped[str] = mapped_column(Text)
    prompt_en: Mapped[str] = mapped_column(Text)
    # choice / multi: [{"value": "...", "sv": "...", "en": "..."}]
    options: Mapped[list] = mapped_column(JSONType, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    min_value: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    max_value: Mapped[Optional[float]] = mapped_column(Float, nullable=True)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")

    def prompt(self, language: str) -> str:
        return self.prompt_en if language == "en" and self.prompt_en else self.prompt_sv

    def option_label(self, value: str, language: str) -> str:
        for option in self.options or []:
            if option.get("value") == value:
                return option.get(language) or option.get("sv") or value
        return value


class FeedbackLink(Model):
    """A person's personal link for one wave. The token is derived from the app's
    secret and a random nonce; only its SHA-256 is stored, so it can be re-derived
    for a reminder but not read from the database."""

    __tablename__ = "feedback_links"
    __table_args__ = (UniqueConstraint("wave_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    last_opened_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    # a lead sent a new link (lost e-mail, changed address); in an anonymous rollout such a link
    # never shows answers given before, which the new address's holder may not have given
    renewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    person: Mapped[Person] = relationship()


class Response(Model):
    """One person's answers for one wave. `respondent_key` is a keyed hash of wave
    and person, unique per wave: one response per person and wave, also in an
    anonymous rollout, where `person_id` stays empty."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("wave_id", "respondent_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    respondent_key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    language: Mapped[str] = mapped_column(String(5), default="sv")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edits: Mapped[int] = mapped_column(Integer, default=0)

    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan",
                                                   lazy="selectin")


class Answer(Model):
    """One answer; a `multi` question has one row per chosen option, so that
    distributions are a GROUP BY."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_wave_code", "wave_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50))
    number: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    option: Mapped[Optional[str]] = mapped_column(String(100), nullable=True)
    text: Mapped[Optional[str]] = mapped_column(Text, nullable=True)

    response: Mapped[Response] = relationship(back_populates="answers")


class AnswerTally(Model):
    """What a wave's results read instead of its answers: per question code, kept current in the
    transaction that writes or removes answers (services/tallies.py), a few rows per wave however
    many responded.

    The row with `item` "" is the question's own: `count` is how many responses answered it, and
    n, total, squares, high, promoters and detractors sum its numbers (rating, nps, number,
    yes_no's 1 and 0). Any other `item` is an option (yes_no, choice, multi) or a scale value
    (rating, nps, as "4") and `count` how often it was given (option values are never empty).
    The row with `code` "" counts the wave's responses (`Wave.responses_count`).

    Each sum is kept in services.tallies.SHARDS rows (`shard`), a response's in the one of its id:
    submits at once mostly lock different rows. Readers add the shards up."""

    __tablename__ = "answer_tallies"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    item: Mapped[str] = mapped_column(String(100), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    squares: Mapped[float] = mapped_column(Float, default=0.0)
    high: Mapped[int] = mapped_column(Integer, default=0)
    promoters: Mapped[int] = mapped_column(Integer, default=0)
    detractors: Mapped[int] = mapped_column(Integer, default=0)


class ProblemReport(Model):
    __tablename__ = "problem_reports"
    __table_args__ = (
        CheckConstraint(one_of("severity", Severity), name="severity"),
        CheckConstraint(one_of("status", ProblemStatus), name="status"),
        Index("ix_problem_reports_wave_status", "wave_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    category: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Optional[Person]] = relationship()


# how many have answered a wave: the shards of its response count (the tally of code "") added up,
# read with the wave in the same statement
Wave.responses_count = column_property(
    select(func.coalesce(func.sum(AnswerTally.count), 0))
    .where(AnswerTally.wave_id == Wave.id, AnswerTally.code == "", AnswerTally.item == "")
    .correlate_except(AnswerTally).scalar_subquery())
