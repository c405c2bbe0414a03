"""wins: answers and retrospective cards the team shares with later waves, and the
participants' consent to share an answer

Revision ID: 0018_wins
Revises: 0017_checkins
Create Date: 2026-12-06 22:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0018_wins'
down_revision = '0017_checkins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('share_consents',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_share_consents_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'code', name=op.f('pk_share_consents'))
    )
    op.create_table('wins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rollout_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=50), nullable=True),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('answer', 'card')", name=op.f('ck_wins_source')),
    sa.ForeignKeyConstraint(['card_id'], ['retro_cards.id'], name=op.f('fk_wins_card_id_retro_cards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_wins_marked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_wins_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rollout_id'], ['rollouts.id'], name=op.f('fk_wins_rollout_id_rollouts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_wins_wave_id_waves'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_wins_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wins')),
    sa.UniqueConstraint('card_id', name=op.f('uq_wins_card_id')),
    sa.UniqueConstraint('response_id', 'code', name=op.f('uq_wins_response_id_code'))
    )
    with op.batch_alter_table('wins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wins_rollout_id'), ['rollout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wins_wave_id'), ['wave_id'], unique=False)


def downgrade():
    with op.batch_alter_table('wins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wins_wave_id'))
        batch_op.drop_index(batch_op.f('ix_wins_rollout_id'))
    op.drop_table('wins')
    op.drop_table('share_consents')
