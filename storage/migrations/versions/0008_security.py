"""security: scoped API tokens, session flash, case context, health probe

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        # Tokens made before scopes existed keep the access they were given: every region.
        batch_op.add_column(sa.Column('regions', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[\"*\"]'")))
        batch_op.add_column(sa.Column('read_only', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flash', sa.String(length=500), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context_from_id',
                                      sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
    op.create_table('health_probes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_probes'))
    )


def downgrade() -> None:
    op.drop_table('health_probes')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('context_from_id')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_column('flash')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('read_only')
        batch_op.drop_column('regions')
