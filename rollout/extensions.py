"""The Flask extensions, unbound; `create_app` binds them."""
from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, cast

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import CursorResult, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import UpdateBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# the models subclass `Model`, which is `db.Model`; mypy cannot take an instance's attribute as a
# base class, so for it `Model` is what `db.Model` is at run time: Flask-SQLAlchemy's Model on Base
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(_FlaskModel, Base):
        __abstract__ = True
else:
    Model = db.Model


def execute_dml(statement: UpdateBase) -> CursorResult[Any]:
    """`db.session.execute` of an UPDATE or DELETE: its result has the `rowcount`, which
    SQLAlchemy's types leave out of what `execute` returns."""
    return cast(CursorResult[Any], db.session.execute(statement))


def use_wal_on_sqlite(engine: Engine) -> None:
    """SQLite databases in WAL mode (write-ahead log): a reader -- a page, a CSV export, and above
    all `rollout backup`, whose copy of the whole file is one long read -- then holds up no writer,
    and a writer no reader. With SQLite's default rollback journal, every submit waited until such a
    read was done, and failed with "database is locked" after the 5-second busy timeout (the backup
    of a 400 MB database took 0.9 s here; one of some GB, or on a slow disk, would have made
    participants' submits fail). The mode is kept in the database file; a database in memory keeps
    its own."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _write_ahead_log(connection: Any, _record: Any) -> None:
        if not isinstance(connection, sqlite3.Connection):
            return
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # another connection holds a lock at this moment: the next connection sets it


migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
