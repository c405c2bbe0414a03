"""Full-text search of the ideas from the floor, as `rollout.models.search` does it for lessons:
an FTS5 table over `ideas.search_text` kept by triggers on SQLite, a GIN index on
`to_tsvector('simple', search_text)` on PostgreSQL. Created after the `ideas` table by
`create_all` and by the migration 0019_ideas, hidden from Alembic's comparison by `include_name`.
`search_text` holds the words as `search.search_words` cuts them."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from sqlalchemy import DDL, event

from .ideas import Idea

FTS_TABLE = "ideas_fts"
PG_INDEX = "ix_ideas_search"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_text, content='ideas', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON ideas BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON ideas BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF search_text ON ideas BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{name}" for name in ("insert", "delete", "update")] + [
    f"DROP TABLE IF EXISTS {FTS_TABLE}"]
POSTGRES_CREATE = [f"CREATE INDEX {PG_INDEX} ON ideas USING gin (to_tsvector('simple', search_text))"]

for _statement in SQLITE_CREATE:
    event.listen(Idea.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_CREATE:
    event.listen(Idea.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_DROP:
    event.listen(Idea.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))


def include_name(name: Optional[str], type_: str, parent_names: Mapping[str, Optional[str]]) -> bool:
    """Alembic: the search objects are not in the models; leave them out of the comparison."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "index" and name == PG_INDEX:
        return False
    return True
