"""jobs: a job can be cancelled -- a queued one at once, a running one by its runner before its
next step (cancel_requested_at) -- so the state takes "cancelled"

Revision ID: 0014_job_cancel
Revises: 0013_membership_keys
Create Date: 2026-12-04 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_job_cancel'
down_revision = '0013_membership_keys'
branch_labels = None
depends_on = None

STATES = "state IN ('queued', 'running', 'done', 'failed', 'cancelled')"
OLD_STATES = "state IN ('queued', 'running', 'done', 'failed')"


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_jobs_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_jobs_state'), STATES)


def downgrade():
    # the old schema has no word for a cancelled job: it becomes a failed one that says why
    op.execute("UPDATE jobs SET state = 'failed', message = 'Cancelled.' WHERE state = 'cancelled'")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_jobs_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_jobs_state'), OLD_STATES)
        batch_op.drop_column('cancel_requested_at')
