"""content studio: revisions of pages and facts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 20:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('content_revisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('doc', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=True),
    sa.Column('self_approved', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_revisions'))
    )
    with op.batch_alter_table('content_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_content_revisions_doc', ['doc', 'id'], unique=False)
        batch_op.create_index('ix_content_revisions_state', ['state', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('content_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_content_revisions_state')
        batch_op.drop_index('ix_content_revisions_doc')
    op.drop_table('content_revisions')
