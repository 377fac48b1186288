"""the firm's answers carry photos: attachments of kind 'answer'

Revision ID: e4a7c1f9b2d3
Revises: c13fd2e0fc1d
Create Date: 2026-12-10 09:00:00
"""
from alembic import op


revision = 'e4a7c1f9b2d3'
down_revision = 'c13fd2e0fc1d'
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('item', 'candidate', 'photo', 'bidder', 'plan', 'proxy', 'paper', 'nomination', 'objection', 'inspection', "
    "'followup')"
)
NEW_KINDS = (
    "kind IN ('item', 'candidate', 'photo', 'bidder', 'plan', 'proxy', 'paper', 'nomination', 'objection', 'inspection', "
    "'followup', 'answer')"
)


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachments_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachments_kind_valid'), NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM attachments WHERE kind = 'answer'")
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachments_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachments_kind_valid'), OLD_KINDS)
