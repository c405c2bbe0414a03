"""Full-text search of the lesson library, on both databases.

SQLite: an FTS5 table over `lessons.search_text` (external content, kept in
step by triggers). PostgreSQL: a GIN index on `to_tsvector('simple',
search_text)`. Neither fits SQLAlchemy's model of a table, so they live here
as DDL: created after the `lessons` table by `create_all`, by the migration
that adds lessons, and hidden from Alembic's comparison by `include_name`.

Both get the same words so that the same search finds the same lessons on
either database: `search_text` is stored already cut into words and lower-cased
in Python (`search_words`), so neither database's own parser or locale decides
(PostgreSQL would keep `intranet.kommun.se` or `a@b.se` as one token, and lower-
case Å only in some locales). Accents are kept, and each word of the query
matches words that start with it, all words required.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Optional

from sqlalchemy import DDL, event

from .lessons import Lesson

FTS_TABLE = "lessons_fts"
PG_INDEX = "ix_lessons_search"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_text, content='lessons', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON lessons BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON lessons BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF search_text ON lessons BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{name}" for name in ("insert", "delete", "update")] + [
    f"DROP TABLE IF EXISTS {FTS_TABLE}"]
POSTGRES_CREATE = [f"CREATE INDEX {PG_INDEX} ON lessons USING gin (to_tsvector('simple', search_text))"]


for _statement in SQLITE_CREATE:
    event.listen(Lesson.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_CREATE:
    event.listen(Lesson.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_DROP:
    event.listen(Lesson.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))


def include_name(name: Optional[str], type_: str, parent_names: Mapping[str, Optional[str]]) -> bool:
    """Alembic: the search objects are not in the models; leave them out of the comparison."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "index" and name == PG_INDEX:
        return False
    return True


WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" separates, as in FTS5


def search_words(text: str) -> list[str]:
    """Text as the index holds it: words of letters and digits, lower-cased (not case-folded:
    neither database folds ß to ss)."""
    return [word.lower() for word in WORD.findall(text or "")]


def query_words(query: str) -> list[str]:
    """The words of a search, as `search_words` cuts them; punctuation and operators are ignored."""
    return search_words(query)[:12]


def sqlite_match(words: list[str]) -> str:
    # each word quoted (so it is never an FTS operator) and matched as a prefix
    return " ".join(f'"{word}"*' for word in words)


def postgres_tsquery(words: list[str]) -> str:
    # \w+ words hold no tsquery syntax; each is a prefix, all required
    return " & ".join(f"'{word}':*" for word in words)
