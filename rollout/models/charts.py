"""Rendered charts, stored once for every worker and host (rollout.services.chart_cache)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class CachedChart(Model):
    """The bytes of one chart as drawn from one state of its data.

    `key` is a digest of everything the picture shows (the rollout, the chart, its data, its
    labels in one language, the format and CHART_VERSION), and is the chart's ETag: a key is
    never reused for other bytes, so an entry is never updated, only used and, once it has
    gone unused for long enough, pruned."""

    __tablename__ = "chart_cache"
    __table_args__ = (Index("ix_chart_cache_last_used_at", "last_used_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))  # "satisfaction", "question-<code>": to read the table by
    format: Mapped[str] = mapped_column(String(4))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
