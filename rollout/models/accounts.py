"""Staff accounts (users), their API tokens and their roles per rollout."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow
from .vocabularies import Role, one_of

if TYPE_CHECKING:
    from .rollouts import Rollout

ROLES = tuple(Role)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # organisation-wide roles, granted by admins: keeps the people directory / may plan rollouts
    is_people_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    is_rollout_creator: Mapped[bool] = mapped_column(Boolean, default=False)
    # the council (digi-råd): triages the ideas from the floor
    is_council: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(5), default="sv")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # moves on when the user logs out or is deactivated: every session of an older generation ends
    session_generation: Mapped[int] = mapped_column(Integer, default=0)

    roles: Mapped[list["RolloutRole"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user cannot log in
        return self.active

    def get_id(self) -> str:  # Flask-Login keeps this in the session (see rollout.sessions)
        return f"{self.id}.{self.session_generation or 0}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(Model):
    """A bearer token for the API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


class RolloutRole(Model):
    """A user's role in one rollout: lead or reviewer."""

    __tablename__ = "rollout_roles"
    __table_args__ = (
        UniqueConstraint("rollout_id", "user_id"),
        CheckConstraint(one_of("role", Role), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="roles")
    rollout: Mapped["Rollout"] = relationship(back_populates="roles")
