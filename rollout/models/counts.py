"""PostgreSQL: how many buckets each rollout has stored, kept exact by the database itself, so
that "is anyone's bucket missing?" (services/buckets.py, before every preview and start) counts
the people once (an index-only scan) and reads the other count by its key, instead of counting
a million buckets too.

Statement-level triggers with transition tables add up what each INSERT (a COPY too), DELETE
(also a cascade from a deleted person or rollout) and TRUNCATE did to `buckets`, in the same
transaction, by any path: the app or straight SQL. Buckets are written by a few large statements
(COPY, INSERT ... SELECT), so the trigger runs a few times per top-up. The rollouts of one
statement are counted in order, so two statements never wait on each other's rows the other way
round. (The people are not counted so: an import writes them with executemany, one statement
per row, where a statement trigger made inserting six times as slow.)

SQLite counts the two tables each time instead (they are small there), so this is DDL for
PostgreSQL only, outside the models like the search objects (models/search.py): created after the
`buckets` table by `create_all`, by migration 0016, and hidden from Alembic's comparison.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from sqlalchemy import DDL, event

from .buckets import Bucket

TABLE = "row_counts"


def buckets_key(rollout_id: int) -> str:
    return f"buckets/{rollout_id}"


def _function(name: str, key: str, group: str, reset: str) -> str:
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {TABLE} AS c (key, n) SELECT {key}, count(*) FROM counted_new{group}
      ON CONFLICT (key) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO {TABLE} AS c (key, n) SELECT {key}, -count(*) FROM counted_old{group}
      ON CONFLICT (key) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    DELETE FROM {TABLE} WHERE {reset};
  END IF;
  RETURN NULL;
END $$"""


CREATE = [
    f"CREATE TABLE {TABLE} (key varchar(40) PRIMARY KEY, n bigint NOT NULL)",
    _function("count_buckets", "'buckets/' || rollout_id", " GROUP BY rollout_id ORDER BY rollout_id",
              "key LIKE 'buckets/%'"),
]
for _table, _function_name in (("buckets", "count_buckets"),):
    CREATE += [
        f"CREATE TRIGGER {_table}_counted_insert AFTER INSERT ON {_table} REFERENCING NEW TABLE AS counted_new "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_function_name}()",
        f"CREATE TRIGGER {_table}_counted_delete AFTER DELETE ON {_table} REFERENCING OLD TABLE AS counted_old "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_function_name}()",
        f"CREATE TRIGGER {_table}_counted_truncate AFTER TRUNCATE ON {_table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_function_name}()",
    ]
# what the tables hold already (the migration, on a database with data)
FILL = [
    f"INSERT INTO {TABLE} (key, n) SELECT 'buckets/' || rollout_id, count(*) FROM buckets GROUP BY rollout_id",
]
DROP = [f"DROP TRIGGER IF EXISTS {table}_counted_{what} ON {table}"
        for table in ("buckets",) for what in ("insert", "delete", "truncate")] + [
    "DROP FUNCTION IF EXISTS count_buckets()",
    f"DROP TABLE IF EXISTS {TABLE}"]

for _statement in CREATE:
    event.listen(Bucket.__table__, "after_create", DDL(_statement.replace("%", "%%")).execute_if(dialect="postgresql"))
for _statement in DROP:
    event.listen(Bucket.__table__, "before_drop", DDL(_statement).execute_if(dialect="postgresql"))


def include_name(name: Optional[str], type_: str, parent_names: Mapping[str, Optional[str]]) -> bool:
    """Alembic: the counts are not in the models; leave them out of the comparison."""
    return not (type_ == "table" and name == TABLE)
