"""Rendered charts shared by every worker and host, in the database.

A chart's key is a digest of everything its picture shows (`chart_data.ChartData.fingerprint`): the
rollout, the chart's name, its data as read by chart_data, its labels in the page's language,
the format and CHART_VERSION. Since drawing is deterministic, one key always stands for the same
bytes; so the key is also the ETag, an entry never needs invalidating (new data gives a new key)
and two workers that miss at once both draw the same bytes and store them once (the second
insert does nothing). A request whose If-None-Match holds the key is answered 304 before this
module is asked anything.

What stays bounded is the table: the reconcile tick prunes the entries unused for MAX_AGE and,
beyond MAX_ENTRIES, the least recently used (`prune`). Use is written at most once per
TOUCH_AFTER per entry, so that serving a chart from the cache is one read, not a write.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import charts
from ..extensions import db, execute_dml
from ..models import CachedChart
from ..models.types import utcnow
from .chart_data import ChartData

MAX_AGE = timedelta(days=7)  # an entry unused this long goes (the timeline's key changes every day)
MAX_ENTRIES = 2000  # and no more than this many stay, the most recently used (a chart is some 10-60 kB)
TOUCH_AFTER = timedelta(hours=1)  # how stale an entry's last use may be written
# built once and run on the connection: serving a chart from the cache is mostly this read
_STORED = select(CachedChart.content, CachedChart.last_used_at).where(CachedChart.key == bindparam("key"))


def image(data: ChartData, fmt: str, now: Optional[datetime] = None) -> bytes:
    """The chart of `data` as `fmt` bytes: stored ones if any worker drew them before, else drawn
    now and stored (committed), unless another worker stored them meanwhile."""
    key = data.fingerprint(fmt)
    now = now or utcnow()
    row = db.session.connection().execute(_STORED, {"key": key}).first()
    if row is not None:
        if row.last_used_at < now - TOUCH_AFTER:
            db.session.execute(update(CachedChart).where(CachedChart.key == key).values(last_used_at=now))
            db.session.commit()
        return bytes(row.content)
    content = charts.render(data.chart(), fmt)
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(CachedChart).values(key=key, rollout_id=data.rollout_id, name=data.name, format=fmt,
                                                  content=content, created_at=now, last_used_at=now)
                       .on_conflict_do_nothing(index_elements=["key"]))
    db.session.commit()
    return content


def prune(now: Optional[datetime] = None) -> int:
    """Remove the entries unused for MAX_AGE, then all but the MAX_ENTRIES most recently used;
    committed. Returns how many went."""
    now = now or utcnow()
    removed = execute_dml(delete(CachedChart).where(CachedChart.last_used_at < now - MAX_AGE)).rowcount
    cutoff = db.session.scalar(select(CachedChart.last_used_at).order_by(CachedChart.last_used_at.desc())
                               .offset(MAX_ENTRIES).limit(1))
    if cutoff is not None:
        removed += execute_dml(delete(CachedChart).where(CachedChart.last_used_at <= cutoff)).rowcount
    db.session.commit()
    return removed


def entries() -> int:
    """How many charts are stored."""
    return db.session.scalar(select(func.count()).select_from(CachedChart)) or 0


def clear() -> None:
    """Forget every stored chart (committed): the benchmark's cold start."""
    db.session.execute(delete(CachedChart))
    db.session.commit()
