"""promises of inclusion on ballots; the estate's publication batch (issue 19)

Revision ID: 9c1e5a7b3d20
Revises: 7b3e9d1c2a40
Create Date: 2026-12-08 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '9c1e5a7b3d20'
down_revision = '7b3e9d1c2a40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promise', sa.JSON(), nullable=True))
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publish_batch', sa.Integer(), server_default='10', nullable=False))
        batch_op.create_check_constraint(op.f('ck_estates_publish_batch_range'), 'publish_batch BETWEEN 1 AND 1000')


def downgrade() -> None:
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_estates_publish_batch_range'), type_='check')
        batch_op.drop_column('publish_batch')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('promise')
