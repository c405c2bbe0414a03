"""chart cache: rendered charts stored once for every worker and host, keyed on a digest of
what they show (the key is the ETag), pruned by the reconcile tick

Revision ID: 0009_chart_cache
Revises: 0008_answer_tallies
Create Date: 2026-12-03 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_chart_cache'
down_revision = "0008_answer_tallies"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chart_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('rollout_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('format', sa.String(length=4), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rollout_id'], ['rollouts.id'], name=op.f('fk_chart_cache_rollout_id_rollouts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_chart_cache'))
    )
    with op.batch_alter_table('chart_cache', schema=None) as batch_op:
        batch_op.create_index('ix_chart_cache_last_used_at', ['last_used_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chart_cache_rollout_id'), ['rollout_id'], unique=False)


def downgrade():
    with op.batch_alter_table('chart_cache', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chart_cache_rollout_id'))
        batch_op.drop_index('ix_chart_cache_last_used_at')
    op.drop_table('chart_cache')
