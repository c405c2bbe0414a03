"""checkins: a wave's short pulses (1-3 questions on set days), their responses and answers

Revision ID: 0017_checkins
Revises: 0016_row_counts
Create Date: 2026-12-06 21:30:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0017_checkins'
down_revision = '0016_row_counts'
branch_labels = None
depends_on = None


def upgrade():
    # notifications.kind has no CHECK constraint (models/notifications.py): the new kind "checkin" needs no change there
    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('questions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('day >= 0', name=op.f('ck_checkins_day')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_checkins_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_checkins_wave_id_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('wave_id', 'day', name=op.f('uq_checkins_wave_id_day'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkins_wave_id'), ['wave_id'], unique=False)

    op.create_table('checkin_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.Column('respondent_key', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_checkin_responses_checkin_id_checkins'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_checkin_responses_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_responses')),
    sa.UniqueConstraint('checkin_id', 'respondent_key', name=op.f('uq_checkin_responses_checkin_id_respondent_key'))
    )
    with op.batch_alter_table('checkin_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_responses_checkin_id'), ['checkin_id'], unique=False)

    op.create_table('checkin_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('number', sa.Float(), nullable=True),
    sa.Column('option', sa.String(length=100), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_checkin_answers_checkin_id_checkins'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['checkin_responses.id'], name=op.f('fk_checkin_answers_response_id_checkin_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_answers'))
    )
    with op.batch_alter_table('checkin_answers', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_answers_checkin_code', ['checkin_id', 'code'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_answers_response_id'), ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('checkin_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_answers_response_id'))
        batch_op.drop_index('ix_checkin_answers_checkin_code')
    op.drop_table('checkin_answers')
    with op.batch_alter_table('checkin_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_responses_checkin_id'))
    op.drop_table('checkin_responses')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkins_wave_id'))
    op.drop_table('checkins')
