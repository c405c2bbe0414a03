"""Each person's Unleash bucket in each rollout, stored once so that a wave's selection is a
range of an index instead of a hash of every person at every preview (services/buckets.py)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, delete, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import Model
from .people import Person

# the kind of job that stores a rollout's buckets in the background (services/bucket_jobs.py)
BUCKETS_KIND = "store_buckets"


class Bucket(Model):
    """murmur3(f"{rollout.key}:{person.external_id}") % 100 + 1 for one person and rollout."""

    __tablename__ = "buckets"
    __table_args__ = (
        CheckConstraint("value >= 1 AND value <= 100", name="value"),
        # a wave takes a range of buckets of its rollout: rollout, bucket, then the person
        Index("ix_buckets_rollout_id_value", "rollout_id", "value", "person_id"),
    )

    # the person first: deleting a person finds their buckets by this key
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)

    def __repr__(self) -> str:
        return f"<Bucket {self.rollout_id}/{self.person_id} {self.value}>"


@event.listens_for(Session, "before_flush")
def _forget_buckets_of_renamed_people(session: Session, _context: Any, _instances: Any) -> None:
    """A bucket is a hash of the external id: when a person's id changes, their buckets go (in
    the same flush), and the next top-up computes them from the new id."""
    renamed = [person.id for person in session.dirty if isinstance(person, Person) and person.id is not None
               and inspect(person).attrs.external_id.history.has_changes()]
    if renamed or any(isinstance(obj, Person) for obj in session.new):
        session.info.pop("buckets_checked", None)  # services/buckets.py: check again before the next selection
    if renamed:
        session.connection().execute(delete(Bucket).where(Bucket.person_id.in_(renamed))
                                     .execution_options(synchronize_session=False))
