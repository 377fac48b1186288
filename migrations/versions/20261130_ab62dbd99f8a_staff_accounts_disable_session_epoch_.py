"""staff accounts: disable, session epoch, real display names

Platform admins disable and enable staff accounts (when and why are kept on the account);
a changed password raises the account's session epoch, which ends its other sessions; a staff
member's display name (shown on the public roll) may not be empty.

Revision ID: ab62dbd99f8a
Revises: f28f9a6ddbd9
Create Date: 2026-11-30 15:33:08.780258
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db


revision = 'ab62dbd99f8a'
down_revision = 'f28f9a6ddbd9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('disabled_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('disabled_reason', sa.Text(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_staff_users_display_name_not_empty'), "display_name <> ''")


def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_staff_users_display_name_not_empty'), type_='check')
        batch_op.drop_column('disabled_reason')
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('session_epoch')
