"""The PostgreSQL side of backup.py: PostgreSQL's own tools, pg_dump and pg_restore.

The connection comes from the app's database URL as a libpq connection string without the
password, which goes through the PGPASSWORD environment variable (a command line can be read by
anyone on the machine). A backup exports the snapshot of one repeatable-read transaction and
gives it to pg_dump (`--snapshot`), so the counts it reports are those of the very data dumped.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from .backup import COUNTED, BackupFailed, Contents

MISSING_TOOL = ("{tool} is not installed (or not on PATH): it comes with PostgreSQL's client tools, "
                "e.g. `apt-get install postgresql-client` (a version at least as new as the server)")
# a table in `pg_restore --list`: "214; 1259 16389 TABLE public alembic_version postgres"
ALEMBIC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE \S+ alembic_version ", re.MULTILINE)
TOOL_SECONDS = 6 * 3600  # a dump or restore of a large database takes long; one that hangs does not go on forever


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(MISSING_TOOL.format(tool=name))
    return found


def conninfo(database_url: URL) -> str:
    """The libpq connection string of `database_url`, without its password."""
    params: dict[str, str | int] = {key: value for key, value in database_url.query.items() if isinstance(value, str)}
    for key, value in (("host", database_url.host), ("port", database_url.port),
                       ("user", database_url.username), ("dbname", database_url.database)):
        if value:
            params[key] = value
    return make_conninfo("", **params)


def environment(database_url: URL) -> dict[str, str]:
    env = dict(os.environ)
    if database_url.password:
        env["PGPASSWORD"] = str(database_url.password)
    return env


def _run(command: list[str], database_url: URL, what: str) -> str:
    try:
        done = subprocess.run(command, env=environment(database_url), capture_output=True, text=True,
                              timeout=TOOL_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise BackupFailed(f"{what} did not finish within {TOOL_SECONDS // 3600} hours") from error
    if done.returncode != 0:
        said = " ".join(done.stderr.strip().splitlines()[-5:]) or f"exit status {done.returncode}"
        raise BackupFailed(f"{what} failed: {said}")
    return done.stdout


def _counts(connection: Connection) -> Contents:
    present = {table for table in (*COUNTED, "alembic_version")
               if connection.scalar(text("SELECT to_regclass(:name)"), {"name": table}) is not None}
    counts = {table: int(connection.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0) if table in present else 0
              for table in COUNTED}
    revision = connection.scalar(text("SELECT version_num FROM alembic_version")) \
        if "alembic_version" in present else None
    return Contents(revision, counts)


@contextmanager
def connected(database_url: URL, isolation_level: str = "READ COMMITTED") -> Iterator[Connection]:
    """A connection of its own to the database, in a transaction; `BackupFailed` when there is none."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level=isolation_level) as connection, connection.begin():
            yield connection
    except DBAPIError as error:
        where = database_url.render_as_string(hide_password=True)
        raise BackupFailed(f"the database {where} cannot be used: {str(error.orig).strip()}") from error
    finally:
        engine.dispose()


def contents(database_url: URL) -> Contents:
    with connected(database_url) as connection:
        return _counts(connection)


def dump(database_url: URL, target: Path) -> Contents:
    """`pg_dump --format=custom` of the database into `target`, what it holds, and a check that
    pg_restore can read the archive."""
    pg_dump, pg_restore = tool("pg_dump"), tool("pg_restore")
    with connected(database_url, "REPEATABLE READ") as connection:
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        held = _counts(connection)
        if held.revision is None:
            raise BackupFailed("the database holds no Rollout schema (no alembic_version table): "
                               "`rollout db upgrade` (in a checkout: `flask --app wsgi db upgrade`) makes it")
        # the snapshot stays valid while this transaction is open: until pg_dump is done
        _run([pg_dump, "--format=custom", f"--file={target}", f"--snapshot={snapshot}",
              f"--dbname={conninfo(database_url)}"], database_url, "pg_dump")
    _run([pg_restore, "--list", str(target)], database_url, "Reading the new dump back (pg_restore --list)")
    return held


def archived_revision(source: Path) -> str | None:
    """The schema revision a pg_dump archive holds; `BackupFailed` when it is no readable archive
    or no dump of this app's database."""
    pg_restore = tool("pg_restore")
    listing = _run([pg_restore, "--list", str(source)], URL.create("postgresql"),
                   f"Reading {source} (pg_restore --list)")
    if not ALEMBIC_TABLE.search(listing):
        raise BackupFailed(f"{source} is a PostgreSQL dump, but not of a Rollout database "
                           "(it has no alembic_version table)")
    data = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(source)],
                URL.create("postgresql"), f"Reading {source} (pg_restore)")
    found = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$", data,
                      re.MULTILINE | re.DOTALL)
    rows = found.group(1).split() if found else []
    return rows[0] if rows else None


def restore(database_url: URL, source: Path) -> None:
    """pg_restore of `source` into the database, in one transaction: all of it, or (an error)
    nothing. `--clean --if-exists` first drops what the dump is about to create."""
    _run([tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={conninfo(database_url)}", str(source)], database_url,
         "pg_restore (nothing was changed: the restore runs in one transaction)")
