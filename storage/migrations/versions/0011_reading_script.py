"""contacts: the script a Kazakh reader reads (Cyrillic, Latin 2021, Arabic)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('script', sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('script')
