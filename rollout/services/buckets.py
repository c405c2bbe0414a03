"""Each person's Unleash bucket in each rollout, computed once in Python (murmur3 has no
equivalent in SQL) and stored, so that a wave's selection is a range of an index.

A rollout's buckets are written when it is created, and topped up before every preview and
start for the people who have none: people added since by any path (the form, the API, an
import, straight SQL), and people whose external id changed (models/buckets.py drops their
buckets when that change is flushed). Whether any is missing is one cheap comparison of two
counts (on PostgreSQL the buckets' kept by triggers, models/counts.py); only then does the anti-join run. Rows stream in chunks (PostgreSQL: a server-side
cursor and COPY; SQLite: keyset pages and executemany), so memory stays flat whatever the size.

Many missing buckets (a new rollout among a million people) are not written in a request:
top_up(most=...) refuses with TooManyMissing before writing anything, and services/bucket_jobs.py
writes them in a background job, a range of person ids per step (top_up_range).
"""
from __future__ import annotations

import weakref
from typing import Optional, cast

import mmh3
import psycopg
from sqlalchemy import Select, delete, exists, func, select, text
from sqlalchemy.orm import SessionTransaction

from ..extensions import db
from ..models import Bucket, Person, Rollout, counts

CHUNK = 20_000
# after writing this many rows, PostgreSQL's statistics of the table are refreshed at once, so
# that the next statement (a wave's start) is planned on them rather than on an empty table
ANALYZE_AFTER = 50_000
# pg_advisory_xact_lock(LOCK_SPACE, rollout id): one top-up of a rollout at a time
LOCK_SPACE = 0x6275
CHECKED = "buckets_checked"  # the session's note of the rollouts topped up in its transaction


def bucket(group_id: str, identifier: str) -> int:
    """Unleash's normalised bucket, 1..100: murmur3 x86 32-bit, seed 0, unsigned."""
    return mmh3.hash(f"{group_id}:{identifier}", 0, signed=False) % 100 + 1


class TooManyMissing(Exception):
    """More buckets are missing than a request may write (top_up's `most`): `missing` of them."""

    def __init__(self, missing: int):
        super().__init__(missing)
        self.missing = missing


def shortfall(rollout_id: int) -> int:
    """How many people lack a bucket of this rollout, as the difference of two counts: each stored
    bucket is a person's (the key is person and rollout; the foreign key cascades), so 0 means
    everyone has one. PostgreSQL keeps the count of buckets by triggers (models/counts.py) and
    counts the people by their key's index. SQLite counts the rows; as it enforces no foreign keys, a bucket may outlive its
    person there: then the difference is off by those, and any difference sends top_up to the
    anti-join."""
    if db.session.get_bind().dialect.name == "postgresql":
        kept = text(f"SELECT (SELECT count(*) FROM people) "
                    f"- COALESCE((SELECT n FROM {counts.TABLE} WHERE key = :stored), 0)")
        return int(db.session.scalar(kept, {"stored": counts.buckets_key(rollout_id)}) or 0)
    people = select(func.count()).select_from(Person).scalar_subquery()
    stored = select(func.count()).select_from(Bucket).where(Bucket.rollout_id == rollout_id).scalar_subquery()
    return int(db.session.scalar(select(people - stored)) or 0)


def top_up(rollout: Rollout, *, most: Optional[int] = None) -> int:
    """Store the buckets this rollout's people are missing, in the open transaction (the caller
    commits); returns how many were written. With `most`, more than that many missing raise
    TooManyMissing and nothing is written (a request leaves them to a job)."""
    if rollout.id is None:
        db.session.flush()
    if checked(rollout):
        return 0  # a start checks once, for its guard, and then inserts
    missing = shortfall(rollout.id)
    if missing == 0:
        _remember(rollout.id)
        return 0
    if most is not None and missing > most:
        raise TooManyMissing(missing)
    postgresql = _lock(rollout)
    if not postgresql:
        forget_orphans(rollout)
    written = _write_postgresql(rollout, _missing(rollout.id)) if postgresql else _write_sqlite(rollout)
    if postgresql and written >= ANALYZE_AFTER:
        analyze()
    _remember(rollout.id)
    return written


def top_up_range(rollout: Rollout, after: int, upto: Optional[int]) -> int:
    """Store the missing buckets of the people whose id is above `after` and at most `upto` (None:
    no end), in the open transaction; how many were written. A range done twice (a job's step
    repeated after a takeover) writes nothing the second time: only the missing are selected."""
    postgresql = _lock(rollout)
    if postgresql:
        query = _missing(rollout.id).where(Person.id > after)
        return _write_postgresql(rollout, query if upto is None else query.where(Person.id <= upto))
    return _write_sqlite(rollout, after=after, upto=upto)


def forget_orphans(rollout: Rollout) -> None:
    """SQLite: delete the buckets that outlived their person (PostgreSQL's foreign key cascades)."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(delete(Bucket).where(Bucket.rollout_id == rollout.id, ~exists().where(
            Person.id == Bucket.person_id)).execution_options(synchronize_session=False))


def analyze() -> None:
    """PostgreSQL: refresh the statistics of the table after many rows were written."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE buckets"))


def _lock(rollout: Rollout) -> bool:
    """PostgreSQL (True): wait for any other top-up of this rollout to commit, and hold it off until
    this transaction ends, so that the two never write the same bucket (the second one's anti-join,
    run after the lock, finds the first one's rows)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    db.session.execute(text("SELECT pg_advisory_xact_lock(:space, :rollout)"),
                       {"space": LOCK_SPACE, "rollout": rollout.id})
    return True


def checked(rollout: Rollout) -> bool:
    """Whether this transaction has already seen (or made) the rollout's buckets complete."""
    return rollout.id is not None and _checked_in_this_transaction(rollout.id)


def _checked_in_this_transaction(rollout_id: int) -> bool:
    memo = db.session.info.get(CHECKED)
    return memo is not None and memo[0]() is db.session().get_transaction() and rollout_id in memo[1]


def _remember(rollout_id: int) -> None:
    """Note that this rollout's buckets are complete as this transaction sees them; a person the
    session adds or renames forgets it (models/buckets.py)."""
    transaction = db.session().get_transaction()
    memo: tuple[weakref.ref[SessionTransaction], set[int]] | None = db.session.info.get(CHECKED)
    if transaction is None:
        return
    if memo is None or memo[0]() is not transaction:
        memo = db.session.info[CHECKED] = (weakref.ref(transaction), set())
    memo[1].add(rollout_id)


def _missing(rollout_id: int) -> Select[int, str]:
    return select(Person.id, Person.external_id).where(~exists().where(
        Bucket.person_id == Person.id, Bucket.rollout_id == rollout_id))


def _write_postgresql(rollout: Rollout, missing: Select[int, str]) -> int:
    raw = cast(psycopg.Connection, db.session.connection().connection.driver_connection)
    query = str(missing.compile(db.session.get_bind(), compile_kwargs={"literal_binds": True}))
    written = 0
    with raw.cursor(name="rollout_missing_buckets") as source:
        source.itersize = CHUNK
        source.execute(query)
        while rows := source.fetchmany(CHUNK):
            with raw.cursor() as target, target.copy(
                    "COPY buckets (person_id, rollout_id, value) FROM STDIN") as copy:
                for person_id, external_id in rows:
                    copy.write_row((person_id, rollout.id, bucket(rollout.key, external_id)))
            written += len(rows)
    return written


def _write_sqlite(rollout: Rollout, *, after: int = 0, upto: Optional[int] = None) -> int:
    written = 0
    connection = db.session.connection()
    missing = _missing(rollout.id) if upto is None else _missing(rollout.id).where(Person.id <= upto)
    while rows := db.session.execute(missing.where(Person.id > after).order_by(Person.id).limit(CHUNK)).all():
        connection.exec_driver_sql(
            "INSERT OR IGNORE INTO buckets (person_id, rollout_id, value) VALUES (?, ?, ?)",
            [(person_id, rollout.id, bucket(rollout.key, external_id)) for person_id, external_id in rows])
        written += len(rows)
        after = rows[-1][0]
    return written
