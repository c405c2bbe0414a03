"""memberships: keyed by (wave_id, person_id), without the surrogate id, its unique constraint
or foreign keys -- a starting wave writes one row per member, and PostgreSQL's row-by-row
foreign key checks locked (and so rewrote) each member's row in the directory; see the
Membership model for what keeps the rows sound instead

Revision ID: 0013_membership_keys
Revises: 0012_membership_index
Create Date: 2026-12-04 19:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_membership_keys'
down_revision = '0012_membership_index'
branch_labels = None
depends_on = None

COLUMNS = "wave_id, person_id, bucket, explicit, added_at"


def _columns():
    return [sa.Column('wave_id', sa.Integer(), nullable=False),
            sa.Column('person_id', sa.Integer(), nullable=False),
            sa.Column('bucket', sa.Integer(), nullable=False),
            sa.Column('explicit', sa.Boolean(), nullable=False),
            sa.Column('added_at', sa.DateTime(timezone=True), nullable=False)]


def _rebuild_on_sqlite(*table_args, with_id: bool):
    """SQLite alters no constraint: a new table, the rows copied, the old one dropped."""
    columns = ([sa.Column('id', sa.Integer(), nullable=False)] if with_id else []) + _columns()
    op.create_table('memberships_new', *columns, *table_args)
    op.execute(f"INSERT INTO memberships_new ({COLUMNS}) SELECT {COLUMNS} FROM memberships")
    op.drop_index('ix_memberships_person_id', table_name='memberships')
    op.drop_table('memberships')
    op.rename_table('memberships_new', 'memberships')
    op.create_index('ix_memberships_person_id', 'memberships', ['person_id'], unique=False)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_on_sqlite(sa.PrimaryKeyConstraint('wave_id', 'person_id', name='pk_memberships'), with_id=False)
        return
    op.drop_constraint('fk_memberships_person_id_people', 'memberships', type_='foreignkey')
    op.drop_constraint('fk_memberships_wave_id_waves', 'memberships', type_='foreignkey')
    op.drop_constraint('pk_memberships', 'memberships', type_='primary')
    op.drop_column('memberships', 'id')
    op.drop_constraint('uq_memberships_wave_id_person_id', 'memberships', type_='unique')
    op.create_primary_key('pk_memberships', 'memberships', ['wave_id', 'person_id'])


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_on_sqlite(sa.PrimaryKeyConstraint('id', name='pk_memberships'),
                           sa.UniqueConstraint('wave_id', 'person_id', name='uq_memberships_wave_id_person_id'),
                           sa.ForeignKeyConstraint(['person_id'], ['people.id'], name='fk_memberships_person_id_people',
                                                   ondelete='CASCADE'),
                           sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name='fk_memberships_wave_id_waves',
                                                   ondelete='CASCADE'), with_id=True)
        return
    # rows of people or waves that are gone cannot be kept under the foreign keys again
    op.execute("DELETE FROM memberships m WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = m.person_id) "
               "OR NOT EXISTS (SELECT 1 FROM waves w WHERE w.id = m.wave_id)")
    op.drop_constraint('pk_memberships', 'memberships', type_='primary')
    op.create_unique_constraint('uq_memberships_wave_id_person_id', 'memberships', ['wave_id', 'person_id'])
    op.execute("ALTER TABLE memberships ADD COLUMN id SERIAL")
    op.create_primary_key('pk_memberships', 'memberships', ['id'])
    op.create_foreign_key('fk_memberships_person_id_people', 'memberships', 'people', ['person_id'], ['id'],
                          ondelete='CASCADE')
    op.create_foreign_key('fk_memberships_wave_id_waves', 'memberships', 'waves', ['wave_id'], ['id'],
                          ondelete='CASCADE')
