"""Failed sign-ins, counted in the database so the count holds across workers and hosts."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class SignInThrottle(Model):
    """One counter per account ("account:<e-mail>") or client address ("address:<ip>").

    The count starts again once a window has passed without a failure; from a number
    of failures on, each further failure pauses sign-in for the key for longer.
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, nullable=True)
