"""buckets: each person's Unleash bucket in each rollout, stored once (services/buckets.py),
filled here for the rollouts that exist

Revision ID: 0010_buckets
Revises: 0009_chart_cache
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import mmh3
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_buckets'
down_revision = "0009_chart_cache"
branch_labels = None
depends_on = None

CHUNK = 20_000


def upgrade():
    op.create_table(
        'buckets',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('rollout_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.SmallInteger(), nullable=False),
        sa.CheckConstraint('value >= 1 AND value <= 100', name=op.f('ck_buckets_value')),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_buckets_person_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rollout_id'], ['rollouts.id'], name=op.f('fk_buckets_rollout_id_rollouts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'rollout_id', name=op.f('pk_buckets')),
    )
    op.create_index('ix_buckets_rollout_id_value', 'buckets', ['rollout_id', 'value', 'person_id'], unique=False)
    # murmur3 is not in SQL: the existing rollouts' buckets are computed here, a chunk at a time
    connection = op.get_bind()
    buckets = sa.table('buckets', sa.column('person_id'), sa.column('rollout_id'), sa.column('value'))
    rollouts = connection.execute(sa.text('SELECT id, key FROM rollouts ORDER BY id')).all()
    for rollout_id, key in rollouts:
        after = 0
        while rows := connection.execute(sa.text(
                'SELECT id, external_id FROM people WHERE id > :after ORDER BY id LIMIT :n'),
                {'after': after, 'n': CHUNK}).all():
            connection.execute(buckets.insert(), [
                {'person_id': person_id, 'rollout_id': rollout_id,
                 'value': mmh3.hash(f'{key}:{external_id}', 0, signed=False) % 100 + 1}
                for person_id, external_id in rows])
            after = rows[-1][0]


def downgrade():
    op.drop_index('ix_buckets_rollout_id_value', table_name='buckets')
    op.drop_table('buckets')
