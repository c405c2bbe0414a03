"""Wins: answers and retrospective cards the team chose to celebrate and share with later
waves, and the participants' consent to share an answer (asked where the rollout is not
anonymous).

A win keeps the text as it was shared (a snapshot): editing the card or the answer later does
not change what later waves were shown. Withdrawing keeps the row (who marked it, who withdrew
it, when) but not the text.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .accounts import User
from .rollouts import Wave
from .types import UTCDateTime, utcnow
from .vocabularies import WinSource, one_of

WIN_SOURCES = tuple(WinSource)


class ShareConsent(Model):
    """A participant's "yes, you may share this with later waves" for one answer (question code)
    of their response. Replaced with the response's answers on each submit."""

    __tablename__ = "share_consents"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Win(Model):
    __tablename__ = "wins"
    __table_args__ = (
        CheckConstraint(one_of("source", WinSource), name="source"),
        # one win per answer and per card: marking it again shows the one there is
        UniqueConstraint("response_id", "code"),
        UniqueConstraint("card_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    # an answer is named by its response and question code: an edit replaces the answer rows, not the response
    response_id: Mapped[Optional[int]] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), nullable=True)
    code: Mapped[Optional[str]] = mapped_column(String(50), nullable=True)
    # a win outlives its card: it is a snapshot shared with later waves, withdrawn on its own
    card_id: Mapped[Optional[int]] = mapped_column(ForeignKey("retro_cards.id", ondelete="SET NULL"), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    marked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # in an anonymous rollout a win from an answer keeps only the day it was marked
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                           nullable=True)

    wave: Mapped[Wave] = relationship()
    marked_by: Mapped[Optional[User]] = relationship(foreign_keys=[marked_by_id])

    @property
    def shown(self) -> bool:
        return self.withdrawn_at is None
