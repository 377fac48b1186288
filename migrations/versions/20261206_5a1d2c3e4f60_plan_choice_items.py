"""a choice among plans (方案选择): plan options, and the item kind and attachment kind for them

Revision ID: 5a1d2c3e4f60
Revises: ce11b4eb2f64
Create Date: 2026-12-06 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5a1d2c3e4f60'
down_revision = 'ce11b4eb2f64'
branch_labels = None
depends_on = None

OLD_FORMS = "form IN ('resolution', 'election', 'selection')"
NEW_FORMS = "form IN ('resolution', 'election', 'selection', 'plan')"
OLD_KINDS = "kind IN ('item', 'candidate', 'photo', 'bidder', 'proxy', 'paper', 'nomination', 'objection')"
NEW_KINDS = "kind IN ('item', 'candidate', 'photo', 'bidder', 'plan', 'proxy', 'paper', 'nomination', 'objection')"


def upgrade() -> None:
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agenda_items_form_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_agenda_items_form_valid'), NEW_FORMS)
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachments_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachments_kind_valid'), NEW_KINDS)
    op.create_table(
        'plan_options',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('attachment_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("name <> ''", name=op.f('ck_plan_options_name_not_empty')),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], name=op.f('fk_plan_options_attachment_id_attachments'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['item_id'], ['agenda_items.id'], name=op.f('fk_plan_options_item_id_agenda_items'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_options')),
    )
    with op.batch_alter_table('plan_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_options_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plan_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_options_item_id'))
    op.drop_table('plan_options')
    op.execute("DELETE FROM attachments WHERE kind = 'plan'")
    op.execute("DELETE FROM agenda_items WHERE form = 'plan'")
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachments_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachments_kind_valid'), OLD_KINDS)
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agenda_items_form_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_agenda_items_form_valid'), NEW_FORMS.replace(", 'plan'", ""))
