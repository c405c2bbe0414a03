"""Backups of the app's database while it serves, and restores into an empty database.

SQLite: SQLite's online backup API (`sqlite3.Connection.backup`) copies the configured database
file in one step, under one read transaction, so the copy is the database as it was at one
moment; with the app's connections in WAL mode (rollout/extensions.py) that read holds up
neither the app's readers nor its writers. The copy goes to a temporary file beside the target,
passes `PRAGMA integrity_check`, and only then takes the target's name (a rename: the target is
either the old file or the whole new one). A restore copies a backup file into the configured
database the same way, in one transaction of the destination.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists --no-owner
--single-transaction` (backup_postgres.py), with the connection from the app's database URL and
the password in PGPASSWORD, never on a command line.

Whatever goes wrong -- a missing file, a file that is no backup of this app, a backup of the other
backend, a target that would be overwritten -- raises `BackupFailed` before anything is changed.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL

from ..config import create_private_file
from .errors import DomainError

# what a backup and a restore say they hold, in this order
COUNTED = ("rollouts", "waves", "responses", "people", "users")
# a database holding any row of these has the app's data: a restore refuses to replace it unasked
APP_DATA = ("rollouts", "users", "people")
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
Backend = Literal["sqlite", "postgresql"]


class BackupFailed(DomainError):
    """A backup or restore that cannot be done; nothing was changed."""

    code = "backup_failed"


@dataclass(frozen=True)
class Contents:
    """What a database or a backup holds: its schema revision and the rows of the main tables
    (empty `counts` where they cannot be read without restoring: a PostgreSQL dump)."""

    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_app_data(self) -> bool:
        return any(self.counts.get(table, 0) for table in APP_DATA)

    def describe(self) -> str:
        return ", ".join(f"{self.counts[table]} {table}" for table in COUNTED if table in self.counts)


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    contents: Contents


@dataclass(frozen=True)
class RestoreResult:
    contents: Contents  # what the database holds now
    schema: Literal["current", "older"]  # against this version's migrations
    head: str  # this version's newest schema revision


def backend_of(database_url: URL) -> Backend:
    name = database_url.get_backend_name()
    if name == "sqlite":
        return "sqlite"
    if name == "postgresql":
        return "postgresql"
    raise BackupFailed(f"backups are made of SQLite and PostgreSQL databases, not {name}")


def backup(database_url: URL, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the database of `database_url` into the file `target`, consistent as of one moment,
    while the app goes on serving. An existing `target` is replaced only with `force`."""
    backend = backend_of(database_url)
    target = _checked_target(target, force)
    if backend == "postgresql":
        from . import backup_postgres
        with _partial_file(target) as partial:
            contents = backup_postgres.dump(database_url, partial)
            _put_in_place(partial, target, force)
    else:
        source = sqlite_file(database_url)
        if not source.is_file():
            raise BackupFailed(f"the database file {source} does not exist")
        if _same_file(source, target):
            raise BackupFailed(f"{target} is the database itself; give the backup another name")
        with _partial_file(target) as partial:
            contents = _sqlite_copy(source, partial)
            _put_in_place(partial, target, force)
    return BackupResult(target, target.stat().st_size, contents)


def check_backup(source: Path, database_url: URL) -> Contents:
    """What the backup file `source` holds, once it is known to be a backup of this app for the
    backend of `database_url`; `BackupFailed` saying what it is otherwise."""
    backend = backend_of(database_url)
    if not source.exists():
        raise BackupFailed(f"{source} does not exist")
    if not source.is_file():
        raise BackupFailed(f"{source} is not a file")
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if backend == "sqlite":
        if head.startswith(PG_DUMP_MAGIC):
            raise BackupFailed(f"{source} is a PostgreSQL dump (pg_dump), and the configured database is SQLite: "
                               "restore it with DATABASE_URL set to a PostgreSQL database")
        if head != SQLITE_MAGIC:
            raise BackupFailed(f"{source} is not an SQLite database (nor a backup made by `rollout backup`)")
        return _sqlite_backup_contents(source)
    if head == SQLITE_MAGIC:
        raise BackupFailed(f"{source} is an SQLite backup, and the configured database is PostgreSQL: "
                           "restore it with DATABASE_URL set to an SQLite file")
    if not head.startswith(PG_DUMP_MAGIC):
        raise BackupFailed(f"{source} is not a PostgreSQL dump in pg_dump's custom format "
                           "(nor a backup made by `rollout backup`)")
    from . import backup_postgres
    return Contents(backup_postgres.archived_revision(source))


def database_contents(database_url: URL) -> Contents:
    """What the database of `database_url` holds now (nothing, where it has no tables yet)."""
    if backend_of(database_url) == "postgresql":
        from . import backup_postgres
        return backup_postgres.contents(database_url)
    path = sqlite_file(database_url)
    if not path.is_file():
        return Contents(None, dict.fromkeys(COUNTED, 0))
    try:
        with closing(_read_only(path)) as connection:
            return _sqlite_contents(connection)
    except sqlite3.Error as error:
        raise BackupFailed(f"the database {path} cannot be read: {error}") from error


def schema_state(revision: str | None, migrations: Path) -> tuple[Literal["current", "older"], str]:
    """Whether a backup's schema `revision` is this version's newest ("current") or an earlier one
    of its migrations ("older", which `flask db upgrade` brings up to date), with the newest
    revision; `BackupFailed` for a revision these migrations do not know (a newer version's)."""
    script = ScriptDirectory(str(migrations))
    head = script.get_current_head() or ""
    if revision is None:
        raise BackupFailed("the backup holds no schema revision (its alembic_version table is empty)")
    if revision == head:
        return "current", head
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupFailed(f"the backup's schema is at revision {revision}, which this version of Rollout does not "
                           "know (a backup made by a newer version?): restore it with the version that made it")
    return "older", head


def restore(database_url: URL, source: Path, migrations: Path, *, force: bool = False) -> RestoreResult:
    """Put the backup file `source` into the database of `database_url`, which must hold no app data
    (no rollouts, users or people) unless `force`: then everything in it is replaced."""
    backend = backend_of(database_url)
    backed_up = check_backup(source, database_url)
    schema, head = schema_state(backed_up.revision, migrations)
    present = database_contents(database_url)
    if present.has_app_data and not force:
        raise BackupFailed(f"the database already holds data ({present.describe()}); a restore goes into an empty "
                           "database, or replaces everything in it with --force")
    if backend == "postgresql":
        from . import backup_postgres
        backup_postgres.restore(database_url, source)
    else:
        _sqlite_restore(source, sqlite_file(database_url))
    return RestoreResult(database_contents(database_url), schema, head)


# --- SQLite -------------------------------------------------------------------------------

def sqlite_file(database_url: URL) -> Path:
    """The file of an SQLite database URL (Flask-SQLAlchemy has made it absolute)."""
    database = database_url.database or ""
    if not database or database == ":memory:" or database_url.query.get("mode") == "memory":
        raise BackupFailed("the database is in memory: there is no file to back up or restore into")
    return Path(database)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _sqlite_contents(connection: sqlite3.Connection) -> Contents:
    tables = _tables(connection)
    counts = {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] if table in tables else 0
              for table in COUNTED}
    revision = None
    if "alembic_version" in tables:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return Contents(revision, counts)


def _integrity_problems(connection: sqlite3.Connection) -> list[str]:
    found = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    return [] if found == ["ok"] else found


def _sqlite_copy(source: Path, partial: Path) -> Contents:
    """The backup proper: one step (all pages under one read transaction, so the copy is one
    moment's database; a step-wise copy would start again after each write of the app), then the
    copy's own check."""
    try:
        with closing(_read_only(source)) as connection:
            if "alembic_version" not in _tables(connection):
                raise BackupFailed(f"the database {source} holds no Rollout schema (no alembic_version table): "
                                   "`rollout db upgrade` (in a checkout: `flask --app wsgi db upgrade`) makes it")
            with closing(sqlite3.connect(partial)) as copy:
                connection.backup(copy, pages=-1)
                # the copy takes the source's journal mode (WAL): made a plain one-file database again
                copy.execute("PRAGMA journal_mode=DELETE")
                problems = _integrity_problems(copy)
                if problems:
                    raise BackupFailed(f"the copy of {source} fails SQLite's integrity check: {'; '.join(problems[:5])}")
                return _sqlite_contents(copy)
    except sqlite3.Error as error:
        raise BackupFailed(f"the database {source} could not be copied: {error}") from error


def _sqlite_backup_contents(source: Path) -> Contents:
    try:
        with closing(_read_only(source)) as connection:
            problems = _integrity_problems(connection)
            if problems:
                raise BackupFailed(f"{source} fails SQLite's integrity check: {'; '.join(problems[:5])}")
            if "alembic_version" not in _tables(connection):
                raise BackupFailed(f"{source} is an SQLite database, but not a backup of Rollout "
                                   "(it has no alembic_version table)")
            return _sqlite_contents(connection)
    except sqlite3.Error as error:
        raise BackupFailed(f"{source} cannot be read as an SQLite database: {error}") from error


def _sqlite_restore(source: Path, database: Path) -> None:
    """SQLite's backup API again, from the file into the database: the destination is written in
    one transaction, so a restore that fails leaves the database as it was."""
    if _same_file(source, database):
        raise BackupFailed(f"{source} is the configured database itself")
    if not database.parent.is_dir():
        raise BackupFailed(f"the folder of the database, {database.parent}, does not exist")
    create_private_file(database)  # a new database is readable by its owner only, as the app makes it
    try:
        with closing(_read_only(source)) as backup_file, closing(sqlite3.connect(database, timeout=30)) as target:
            backup_file.backup(target, pages=-1)
    except sqlite3.Error as error:
        raise BackupFailed(f"{source} could not be restored into {database}: {error}") from error


# --- the target file ----------------------------------------------------------------------

def _checked_target(target: Path, force: bool) -> Path:
    target = target.absolute()
    if target.is_dir():
        raise BackupFailed(f"{target} is a folder; give the backup file's name")
    if not target.parent.is_dir():
        raise BackupFailed(f"the folder {target.parent} does not exist")
    if target.exists() and not force:
        raise BackupFailed(f"{target} exists already; choose another name, or replace it with --force")
    return target


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.exists() and other.exists() and os.path.samefile(one, other)
    except OSError:
        return False


@contextmanager
def _partial_file(target: Path) -> Iterator[Path]:
    """A new empty file beside `target` (same file system: the rename is atomic), readable by its
    owner only (a backup holds personal data); removed unless it has been put in place."""
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _put_in_place(partial: Path, target: Path, force: bool) -> None:
    """`partial` on disk, then under `target`'s name: replacing it with `force`, else never (a file
    that appeared meanwhile stays, and the backup fails)."""
    with partial.open("rb") as file:
        os.fsync(file.fileno())
    if force:
        os.replace(partial, target)
    else:
        try:
            os.link(partial, target)  # fails where `target` exists: no overwrite, not even in a race
        except FileExistsError as error:
            raise BackupFailed(f"{target} exists already; choose another name, or replace it with --force") from error
        except OSError:  # a file system without hard links
            if target.exists():
                raise BackupFailed(f"{target} exists already; choose another name, or replace it with --force") from None
            os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name survives a crash too
    finally:
        os.close(directory)
