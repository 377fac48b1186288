"""organising bodies (业委会, 筹备组, 物管会) term by term, staff notices, open accounts

Revision ID: c13fd2e0fc1d
Revises: 5731c895b2a5
Create Date: 2026-12-09 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db


revision = 'c13fd2e0fc1d'
down_revision = '5731c895b2a5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('series', sa.String(length=60), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_until', sa.Date(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('fees', 'complaints', 'revenue', 'statement', 'fund')", name=op.f('ck_disclosures_kind_valid')),
    sa.CheckConstraint('period_until IS NULL OR period_from IS NULL OR period_until >= period_from', name=op.f('ck_disclosures_period_in_order')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_disclosures_estate_id_estates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures')),
    sa.UniqueConstraint('estate_id', 'series', name='uq_disclosure_series')
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosures_estate_id'), ['estate_id'], unique=False)

    op.create_table('organising_bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('basis', sa.Text(), nullable=True),
    sa.Column('recorded_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('committee', 'preparatory', 'management')", name=op.f('ck_organising_bodies_kind_valid')),
    sa.CheckConstraint('term_end IS NULL OR term_end >= term_start', name=op.f('ck_organising_bodies_term_in_order')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_organising_bodies_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_organising_bodies_recorded_by_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organising_bodies'))
    )
    with op.batch_alter_table('organising_bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organising_bodies_estate_id'), ['estate_id'], unique=False)

    op.create_table('staff_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('zh', sa.Text(), nullable=False),
    sa.Column('en', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=True),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_staff_notices_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_notices_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notices'))
    )
    with op.batch_alter_table('staff_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_notices_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_notices_user_id'), ['user_id'], unique=False)

    op.create_table('disclosure_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disclosure_id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosures.id'], name=op.f('fk_disclosure_versions_disclosure_id_disclosures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_disclosure_versions_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['staff_users.id'], name=op.f('fk_disclosure_versions_published_by_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_versions')),
    sa.UniqueConstraint('disclosure_id', 'version', name='uq_disclosure_version')
    )
    with op.batch_alter_table('disclosure_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_versions_disclosure_id'), ['disclosure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_versions_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_versions_sha256'), ['sha256'], unique=False)

    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_reminder_months', sa.Integer(), server_default='6', nullable=False))
        batch_op.create_check_constraint(op.f('ck_estates_term_reminder_months_range'), 'term_reminder_months BETWEEN 1 AND 24')



def downgrade() -> None:
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_estates_term_reminder_months_range'), type_='check')
        batch_op.drop_column('term_reminder_months')

    with op.batch_alter_table('disclosure_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_versions_sha256'))
        batch_op.drop_index(batch_op.f('ix_disclosure_versions_estate_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_versions_disclosure_id'))

    op.drop_table('disclosure_versions')
    with op.batch_alter_table('staff_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_notices_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_notices_estate_id'))

    op.drop_table('staff_notices')
    with op.batch_alter_table('organising_bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organising_bodies_estate_id'))

    op.drop_table('organising_bodies')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_estate_id'))

    op.drop_table('disclosures')
