"""Gate criteria live on the rollout (defaults) and the wave (overrides); a
decision is recorded with an immutable snapshot of the evidence it was made on."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .accounts import User
from .types import JSONType, UTCDateTime, utcnow
from .vocabularies import DecisionKind, Verdict, one_of


class Decision(Model):
    """go / no-go / extend for a wave, beside the gate's own verdict. Never updated."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(one_of("decision", DecisionKind), name="decision"),
        CheckConstraint(one_of("verdict", Verdict), name="verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    rationale: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str] = mapped_column(String(30))
    against_verdict: Mapped[bool] = mapped_column(Boolean, default=False)
    # the results and the gate evaluation as they stood when the decision was made
    snapshot: Mapped[dict] = mapped_column(JSONType, default=dict)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[Optional[User]] = relationship()
