"""memberships: drop the index on wave_id alone, which the unique (wave_id, person_id) index
already serves; one index fewer to write for every member a starting wave fixes

Revision ID: 0012_membership_index
Revises: 0011_jobs
Create Date: 2026-12-03 16:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_membership_index'
down_revision = '0011_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_memberships_wave_id', table_name='memberships')


def downgrade():
    op.create_index('ix_memberships_wave_id', 'memberships', ['wave_id'], unique=False)
