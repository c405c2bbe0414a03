"""A wave's retrospective: cards (went well / could be better / celebrate /
idea), grouped into themes, and dot votes with a fixed budget per person.

The budget is a database promise, not only a check: a vote takes one of the
voter's numbered slots in the wave, and (wave, voter, slot) is unique, so two
votes sent at once cannot both take the last slot.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .accounts import User
from .types import UTCDateTime, utcnow
from .vocabularies import CardKind, one_of

CARD_KINDS = tuple(CardKind)


class RetroTheme(Model):
    """Cards that belong together; a theme may become a lesson."""

    __tablename__ = "retro_themes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetroCard(Model):
    __tablename__ = "retro_cards"
    __table_args__ = (
        CheckConstraint(one_of("kind", CardKind), name="kind"),
        CheckConstraint("votes >= 0", name="votes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[Optional[int]] = mapped_column(ForeignKey("retro_themes.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)
    # "team" for a card written in the retrospective, "participant" for one taken from a feedback answer
    source: Mapped[str] = mapped_column(String(20), default="team")
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # kept current in the same transaction as each vote
    votes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Optional[User]] = relationship()


class RetroVote(Model):
    """One dot. A person may put several of their dots on the same card."""

    __tablename__ = "retro_votes"
    __table_args__ = (UniqueConstraint("wave_id", "user_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("retro_cards.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
