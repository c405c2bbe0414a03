"""PostgreSQL: each rollout's stored buckets counted by triggers (row_counts), so that checking a
rollout's buckets before a preview or start reads that count by its key instead of counting every
bucket (models/counts.py). Nothing on SQLite.

Revision ID: 0016_row_counts
Revises: 0015_tally_shards
Create Date: 2026-12-06 21:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_row_counts'
down_revision = '0015_tally_shards'
branch_labels = None
depends_on = None

# as models/counts.py has them today, frozen here
CREATE = [
    'CREATE TABLE row_counts (key varchar(40) PRIMARY KEY, n bigint NOT NULL)',
    """CREATE FUNCTION count_buckets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO row_counts AS c (key, n) SELECT 'buckets/' || rollout_id, count(*) FROM counted_new GROUP BY rollout_id ORDER BY rollout_id
      ON CONFLICT (key) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO row_counts AS c (key, n) SELECT 'buckets/' || rollout_id, -count(*) FROM counted_old GROUP BY rollout_id ORDER BY rollout_id
      ON CONFLICT (key) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    DELETE FROM row_counts WHERE key LIKE 'buckets/%';
  END IF;
  RETURN NULL;
END $$""",
    'CREATE TRIGGER buckets_counted_insert AFTER INSERT ON buckets REFERENCING NEW TABLE AS counted_new FOR EACH STATEMENT EXECUTE FUNCTION count_buckets()',
    'CREATE TRIGGER buckets_counted_delete AFTER DELETE ON buckets REFERENCING OLD TABLE AS counted_old FOR EACH STATEMENT EXECUTE FUNCTION count_buckets()',
    'CREATE TRIGGER buckets_counted_truncate AFTER TRUNCATE ON buckets FOR EACH STATEMENT EXECUTE FUNCTION count_buckets()',
    "INSERT INTO row_counts (key, n) SELECT 'buckets/' || rollout_id, count(*) FROM buckets GROUP BY rollout_id",
]
DROP = [
    'DROP TRIGGER IF EXISTS buckets_counted_insert ON buckets',
    'DROP TRIGGER IF EXISTS buckets_counted_delete ON buckets',
    'DROP TRIGGER IF EXISTS buckets_counted_truncate ON buckets',
    'DROP FUNCTION IF EXISTS count_buckets()',
    'DROP TABLE IF EXISTS row_counts',
]

def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    # the tables stay still while the counts are taken and the triggers take over
    op.execute('LOCK TABLE buckets IN SHARE ROW EXCLUSIVE MODE')
    for statement in CREATE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for statement in DROP:
        op.execute(statement)
