"""inspections, rectification notices and their follow-ups signed by supervisors' device keys;
firm accounts and their answers; inspection photos as attachments

Revision ID: 5731c895b2a5
Revises: 5e7171045a01
Create Date: 2026-12-09 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db


revision = '5731c895b2a5'
down_revision = '5e7171045a01'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('item', 'candidate', 'photo', 'bidder', 'plan', 'proxy', 'paper', 'nomination', 'objection')"
NEW_KINDS = (
    "kind IN ('item', 'candidate', 'photo', 'bidder', 'plan', 'proxy', 'paper', 'nomination', 'objection', 'inspection', "
    "'followup')"
)


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachments_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachments_kind_valid'), NEW_KINDS)
    op.create_table('firm_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("display_name <> ''", name=op.f('ck_firm_users_display_name_not_empty')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_firm_users_created_by_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_users_firm_id_firms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_users')),
    sa.UniqueConstraint('username', name=op.f('uq_firm_users_username'))
    )
    with op.batch_alter_table('firm_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_users_firm_id'), ['firm_id'], unique=False)

    op.create_table('inspection_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('published_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['staff_users.id'], name=op.f('fk_inspection_forms_published_by_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_forms')),
    sa.UniqueConstraint('code', 'version', name='uq_inspection_form_version'),
    sa.UniqueConstraint('digest', name=op.f('uq_inspection_forms_digest'))
    )
    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('score', sa.String(length=60), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('jwk', sa.JSON(), nullable=False),
    sa.Column('sig', sa.Text(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_inspections_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_inspections_firm_id_firms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['form_id'], ['inspection_forms.id'], name=op.f('fk_inspections_form_id_inspection_forms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['inspector_id'], ['staff_users.id'], name=op.f('fk_inspections_inspector_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('digest', name=op.f('uq_inspections_digest'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_inspected_on'), ['inspected_on'], unique=False)

    op.create_table('rectification_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('jwk', sa.JSON(), nullable=False),
    sa.Column('sig', sa.Text(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('open', 'rectified')", name=op.f('ck_rectification_notices_state_valid')),
    sa.CheckConstraint('deadline > issued_on', name=op.f('ck_rectification_notices_deadline_after_issue')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_rectification_notices_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_rectification_notices_firm_id_firms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_rectification_notices_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inspector_id'], ['staff_users.id'], name=op.f('fk_rectification_notices_inspector_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_notices')),
    sa.UniqueConstraint('digest', name=op.f('uq_rectification_notices_digest'))
    )
    with op.batch_alter_table('rectification_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_notices_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_notices_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_notices_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('firm_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('firm_user_id', sa.Integer(), nullable=True),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(inspection_id IS NULL) <> (notice_id IS NULL)', name=op.f('ck_firm_answers_one_subject')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_firm_answers_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_answers_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_user_id'], ['firm_users.id'], name=op.f('fk_firm_answers_firm_user_id_firm_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_firm_answers_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['rectification_notices.id'], name=op.f('fk_firm_answers_notice_id_rectification_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_answers'))
    )
    with op.batch_alter_table('firm_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_answers_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firm_answers_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firm_answers_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firm_answers_notice_id'), ['notice_id'], unique=False)

    op.create_table('rectification_followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('rectified', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('jwk', sa.JSON(), nullable=False),
    sa.Column('sig', sa.Text(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_rectification_followups_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inspector_id'], ['staff_users.id'], name=op.f('fk_rectification_followups_inspector_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notice_id'], ['rectification_notices.id'], name=op.f('fk_rectification_followups_notice_id_rectification_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_followups')),
    sa.UniqueConstraint('digest', name=op.f('uq_rectification_followups_digest'))
    )
    with op.batch_alter_table('rectification_followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_followups_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_followups_notice_id'), ['notice_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rectification_followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_followups_notice_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_followups_estate_id'))

    op.drop_table('rectification_followups')
    with op.batch_alter_table('firm_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_answers_notice_id'))
        batch_op.drop_index(batch_op.f('ix_firm_answers_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_firm_answers_firm_id'))
        batch_op.drop_index(batch_op.f('ix_firm_answers_estate_id'))

    op.drop_table('firm_answers')
    with op.batch_alter_table('rectification_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_notices_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_notices_firm_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_notices_estate_id'))

    op.drop_table('rectification_notices')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_inspected_on'))
        batch_op.drop_index(batch_op.f('ix_inspections_firm_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_estate_id'))

    op.drop_table('inspections')
    op.drop_table('inspection_forms')
    with op.batch_alter_table('firm_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_users_firm_id'))

    op.drop_table('firm_users')
    op.execute("DELETE FROM attachments WHERE kind IN ('inspection', 'followup')")
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachments_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachments_kind_valid'), OLD_KINDS)
