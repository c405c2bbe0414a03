"""Each person's Unleash bucket in each rollout, computed once in Python (murmur3 has no
equivalent in SQL) and stored, so that a wave's selection is a range of an index.

A rollout's buckets are written when it is created, and topped up before every preview and
start for the people who have none: people added since by any path (the form, the API, an
import, straight SQL), and people whose external id changed (models/buckets.py drops their
buckets when that change is flushed). Whether any is missing is one cheap comparison of two
counts; only then does the anti-join run. Rows stream in chunks (PostgreSQL: a server-side
cursor and COPY; SQLite: keyset pages and executemany), so memory stays flat whatever the size.
"""
from __future__ import annotations

import weakref
from typing import cast

import mmh3
import psycopg
from sqlalchemy import Select, delete, exists, func, select, text
from sqlalchemy.orm import SessionTransaction

from ..extensions import db
from ..models import Bucket, Person, Rollout

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


def _out_of_step(rollout_id: int) -> bool:
    """Whether some person lacks a bucket of this rollout (or a bucket outlived its person on
    SQLite, which enforces no foreign keys): the counts differ. Each stored bucket is a person's
    (the key is person and rollout; the foreign key cascades), so equal counts mean everyone has one."""
    people = select(func.count()).select_from(Person).scalar_subquery()
    stored = select(func.count()).select_from(Bucket).where(Bucket.rollout_id == rollout_id).scalar_subquery()
    return bool(db.session.scalar(select(people != stored)))


def top_up(rollout: Rollout) -> int:
    """Store the buckets this rollout's people are missing, in the open transaction (the caller
    commits); returns how many were written."""
    if rollout.id is None:
        db.session.flush()
    if _checked_in_this_transaction(rollout.id):
        return 0  # a start checks once, for its guard, and then inserts
    if not _out_of_step(rollout.id):
        _remember(rollout.id)
        return 0
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # a second top-up of the same rollout waits for the first, then finds nothing to write
        db.session.execute(text("SELECT pg_advisory_xact_lock(:space, :rollout)"),
                           {"space": LOCK_SPACE, "rollout": rollout.id})
    else:
        db.session.execute(delete(Bucket).where(Bucket.rollout_id == rollout.id, ~exists().where(
            Person.id == Bucket.person_id)).execution_options(synchronize_session=False))
    written = _write_postgresql(rollout) if postgresql else _write_sqlite(rollout)
    if postgresql and written >= ANALYZE_AFTER:
        db.session.execute(text("ANALYZE buckets"))
    _remember(rollout.id)
    return written


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


def _write_postgresql(rollout: Rollout) -> int:
    raw = cast(psycopg.Connection, db.session.connection().connection.driver_connection)
    query = str(_missing(rollout.id).compile(db.session.get_bind(), compile_kwargs={"literal_binds": True}))
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


def _write_sqlite(rollout: Rollout) -> int:
    written, after = 0, 0
    connection = db.session.connection()
    while rows := db.session.execute(_missing(rollout.id).where(Person.id > after)
                                     .order_by(Person.id).limit(CHUNK)).all():
        connection.exec_driver_sql(
            "INSERT OR IGNORE INTO buckets (person_id, rollout_id, value) VALUES (?, ?, ?)",
            [(person_id, rollout.id, bucket(rollout.key, external_id)) for person_id, external_id in rows])
        written += len(rows)
        after = rows[-1][0]
    return written
