"""the estate's help line: a phone number owners can call, on the letter and every owner page

Revision ID: 7b3e9f1a2c40
Revises: 7b3e9f1a2c45
Create Date: 2026-12-06 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7b3e9f1a2c40'
down_revision = '7b3e9f1a2c45'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('help_phone', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_column('help_phone')
