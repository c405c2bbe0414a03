"""answer_tallies: every sum in SHARDS rows (`shard`, a response's in the one of its id), so that
submits of one wave at once lock different rows; and the wave's response count is a tally too
(code ''), not waves.responses_count, a row every submit of the wave had to lock in turn

Revision ID: 0015_tally_shards
Revises: 0014_job_cancel
Create Date: 2026-12-04 20:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015_tally_shards'
down_revision = '0014_job_cancel'
branch_labels = None
depends_on = None

SUMS = "count, n, total, squares, high, promoters, detractors"
COUNTS_IN = ("INSERT INTO answer_tallies (wave_id, code, item, shard, count, n, total, squares, high, promoters, "
             "detractors) SELECT id, '', '', 0, responses_count, 0, 0, 0, 0, 0, 0 FROM waves WHERE responses_count > 0")
COUNTS_OUT = ("UPDATE waves SET responses_count = COALESCE((SELECT SUM(count) FROM answer_tallies t WHERE "
              "t.wave_id = waves.id AND t.code = '' AND t.item = ''), 0)")


def _tallies(name, *, sharded):
    columns = [sa.Column('wave_id', sa.Integer(), nullable=False),
               sa.Column('code', sa.String(length=50), nullable=False),
               sa.Column('item', sa.String(length=100), nullable=False)]
    if sharded:
        columns.append(sa.Column('shard', sa.SmallInteger(), nullable=False))
    columns += [sa.Column('count', sa.Integer(), nullable=False), sa.Column('n', sa.Integer(), nullable=False),
                sa.Column('total', sa.Float(), nullable=False), sa.Column('squares', sa.Float(), nullable=False),
                sa.Column('high', sa.Integer(), nullable=False), sa.Column('promoters', sa.Integer(), nullable=False),
                sa.Column('detractors', sa.Integer(), nullable=False)]
    keys = ['wave_id', 'code', 'item'] + (['shard'] if sharded else [])
    op.create_table(name, *columns,
                    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name='fk_answer_tallies_wave_id_waves',
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint(*keys, name='pk_answer_tallies'))


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':  # SQLite alters no key: a new table, the rows copied
        _tallies('answer_tallies_new', sharded=True)
        op.execute(f"INSERT INTO answer_tallies_new (wave_id, code, item, shard, {SUMS}) "
                   f"SELECT wave_id, code, item, 0, {SUMS} FROM answer_tallies")
        op.drop_table('answer_tallies')
        op.rename_table('answer_tallies_new', 'answer_tallies')
    else:
        op.add_column('answer_tallies', sa.Column('shard', sa.SmallInteger(), nullable=False, server_default='0'))
        op.alter_column('answer_tallies', 'shard', server_default=None)
        op.drop_constraint('pk_answer_tallies', 'answer_tallies', type_='primary')
        op.create_primary_key('pk_answer_tallies', 'answer_tallies', ['wave_id', 'code', 'item', 'shard'])
    op.execute(COUNTS_IN)
    with op.batch_alter_table('waves') as batch:
        batch.drop_column('responses_count')


def downgrade():
    with op.batch_alter_table('waves') as batch:
        batch.add_column(sa.Column('responses_count', sa.Integer(), nullable=False, server_default='0'))
    op.execute(COUNTS_OUT)
    # the shards added up again, without the response counts
    op.rename_table('answer_tallies', 'answer_tallies_sharded')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE answer_tallies_sharded RENAME CONSTRAINT pk_answer_tallies TO pk_answer_tallies_sharded")
    _tallies('answer_tallies', sharded=False)
    op.execute(f"INSERT INTO answer_tallies (wave_id, code, item, {SUMS}) "
               "SELECT wave_id, code, item, SUM(count), SUM(n), CASE WHEN SUM(n) = 0 THEN 0 ELSE SUM(total) END, "
               "CASE WHEN SUM(n) = 0 THEN 0 ELSE SUM(squares) END, SUM(high), SUM(promoters), SUM(detractors) "
               "FROM answer_tallies_sharded WHERE code <> '' GROUP BY wave_id, code, item")
    op.drop_table('answer_tallies_sharded')
