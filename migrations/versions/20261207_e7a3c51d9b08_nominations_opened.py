"""nominations opened: when the organisers called for candidates (owners see no draft before)

Revision ID: e7a3c51d9b08
Revises: 9c1e5a7b3d20
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.core.db


revision = 'e7a3c51d9b08'
down_revision = '9c1e5a7b3d20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assemblies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nominations_opened_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assemblies', schema=None) as batch_op:
        batch_op.drop_column('nominations_opened_at')
