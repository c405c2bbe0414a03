"""Many rows written by one statement: INSERT ... SELECT from a JSON array bound as a single
parameter (PostgreSQL's json_to_recordset, SQLite's json_each). A multi-row VALUES statement has
a parameter per value, which SQLAlchemy and psycopg build and PostgreSQL parses one by one; a
plain executemany runs one INSERT per row in the server. Here the rows cost what storing them
costs. Only integer and text columns travel in the array; values the same for every row are
bound once, with their column's type (a timestamp, say)."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from sqlalchemy import Integer, String, Table, bindparam
from sqlalchemy import text as sql

from ..extensions import db


def _json_type(table: Table, name: str) -> str:
    kind = table.c[name].type
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, String):  # (Text is a String)
        return "text"
    raise TypeError(f"{table.name}.{name}: only integer and text columns are written from JSON")


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *,
                same: Optional[Mapping[str, Any]] = None, unique: Optional[str] = None) -> int:
    """Insert `rows` (their `columns`; `same` gives the values the same for all) into `table`,
    in the caller's transaction; with `unique`, a row whose value of that unique column exists
    is left out (ON CONFLICT DO NOTHING). How many rows were added."""
    if not rows:
        return 0
    same = dict(same or {})
    names = ", ".join([*columns, *same])
    constants = [f":{name}" for name in same]
    conflict = f" ON CONFLICT ({unique}) DO NOTHING" if unique else ""
    if db.session.get_bind().dialect.name == "postgresql":
        record = ", ".join(f"{name} {_json_type(table, name)}" for name in columns)
        values = ", ".join([*(f"r.{name}" for name in columns), *constants])
        statement = (f"INSERT INTO {table.name} ({names}) SELECT {values} "
                     f"FROM json_to_recordset(CAST(:rows AS json)) AS r({record}){conflict} RETURNING 1")
    else:
        for name in columns:
            _json_type(table, name)
        values = ", ".join([*(f"json_extract(value, '$.{name}')" for name in columns), *constants])
        # (WHERE true: SQLite's grammar needs it between a SELECT and ON CONFLICT)
        statement = f"INSERT INTO {table.name} ({names}) SELECT {values} FROM json_each(:rows) WHERE true{conflict} RETURNING 1"
    query = sql(statement).bindparams(*(bindparam(name, type_=table.c[name].type) for name in same))
    payload = json.dumps([{name: row[name] for name in columns} for row in rows])
    return len(db.session.execute(query, {"rows": payload, **same}).all())
