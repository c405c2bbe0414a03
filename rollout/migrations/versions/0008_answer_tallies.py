"""answer tallies: per wave and question the aggregates a wave's results show, kept current
with the answers (services/tallies.py), filled here from the answers stored so far

Revision ID: 0008_answer_tallies
Revises: 0007_rollout_language
Create Date: 2026-12-03 15:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_answer_tallies'
down_revision = '0007_rollout_language'
branch_labels = None
depends_on = None

COLUMNS = "wave_id, code, item, count, n, total, squares, high, promoters, detractors"

# the same counts as services/tallies.py `rebuild`, for every wave at once: each question's own
# row (item ''), then the options and the rating and nps values
QUESTIONS = f"""
INSERT INTO answer_tallies ({COLUMNS})
SELECT wave_id, code, '', COUNT(DISTINCT response_id), COUNT(number), COALESCE(SUM(number), 0.0),
       COALESCE(SUM(number * number), 0.0),
       COALESCE(SUM(CASE WHEN number >= 4 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN number >= 9 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN number <= 6 THEN 1 ELSE 0 END), 0)
FROM answers GROUP BY wave_id, code
"""
ITEMS = f"""
INSERT INTO answer_tallies ({COLUMNS})
SELECT answers.wave_id, answers.code,
       CASE WHEN answers.option IS NOT NULL THEN answers.option
            ELSE CAST(CAST(answers.number AS INTEGER) AS VARCHAR) END,
       COUNT(*), 0, 0, 0, 0, 0, 0
FROM answers JOIN waves ON waves.id = answers.wave_id
LEFT OUTER JOIN questions ON questions.questionnaire_id = waves.questionnaire_id AND questions.code = answers.code
WHERE answers.text IS NULL
  AND (answers.option IS NOT NULL OR (questions.kind IN ('rating', 'nps') AND answers.number IS NOT NULL))
GROUP BY answers.wave_id, answers.code,
         CASE WHEN answers.option IS NOT NULL THEN answers.option
              ELSE CAST(CAST(answers.number AS INTEGER) AS VARCHAR) END
"""


def upgrade():
    op.create_table('answer_tallies',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('item', sa.String(length=100), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('squares', sa.Float(), nullable=False),
    sa.Column('high', sa.Integer(), nullable=False),
    sa.Column('promoters', sa.Integer(), nullable=False),
    sa.Column('detractors', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_answer_tallies_wave_id_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wave_id', 'code', 'item', name=op.f('pk_answer_tallies'))
    )
    op.execute(QUESTIONS)
    op.execute(ITEMS)


def downgrade():
    op.drop_table('answer_tallies')
