"""People who can be in a wave, and the units they belong to."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import JSONType, UTCDateTime, utcnow


class Unit(Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"


class Person(Model):
    """Someone who can be in a wave. Not an account."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True, nullable=True)
    language: Mapped[str] = mapped_column(String(5), default="sv")
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    # name, e-mail and id case-folded in Python: SQLite's lower() knows no å, ä, ö
    search_text: Mapped[str] = mapped_column(String(600), default="")
    # the rollout this person was imported for; retention deletes them with it when they
    # are in no other rollout
    added_for_rollout_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("rollouts.id", ondelete="SET NULL"), index=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Optional[Unit]] = relationship(lazy="joined")

    def refresh_search_text(self) -> None:
        self.search_text = " ".join((self.name or "", self.email or "", self.external_id or "")).casefold()

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit else ""

    def __repr__(self) -> str:
        return f"<Person {self.external_id}>"
