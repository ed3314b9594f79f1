"""unanswered questions: answered by a page, told when asked

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 21:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('answer', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_column('notified_at')
        batch_op.drop_column('answer')
        batch_op.drop_column('notify')
