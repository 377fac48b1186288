"""server key set: each server signing key's public JWK, key id and validity period

Revision ID: c0ffee5e7e18
Revises: e7a20c4d9b51
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.core.db


revision = 'c0ffee5e7e18'
down_revision = 'e7a20c4d9b51'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: the first process to start records the configured key, once it has checked
    # that the installation's signed objects name it (webapp/voting/health.py).
    op.create_table(
        'server_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kid', sa.String(length=64), nullable=False),
        sa.Column('jwk', sa.JSON(), nullable=False),
        sa.Column('added_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('not_before', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('retired_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            'retired_at IS NULL OR not_before IS NULL OR retired_at > not_before', name=op.f('ck_server_keys_period_valid')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_server_keys')),
        sa.UniqueConstraint('kid', name=op.f('uq_server_keys_kid')),
    )


def downgrade() -> None:
    op.drop_table('server_keys')
