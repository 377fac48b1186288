"""objections one owner may file against one result: the estate's cap (issue 17)

Revision ID: 7b3e9f1a2c45
Revises: 5a1d2c3e4f60
Create Date: 2026-12-06 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7b3e9f1a2c45'
down_revision = '5a1d2c3e4f60'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('objection_cap', sa.Integer(), server_default='3', nullable=False))
        batch_op.create_check_constraint(op.f('ck_estates_objection_cap_range'), 'objection_cap BETWEEN 1 AND 20')


def downgrade() -> None:
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_estates_objection_cap_range'), type_='check')
        batch_op.drop_column('objection_cap')
