"""the district's pool of firms (优势资源库): terms in the pool, firms' qualifications and notes,
and the two-way matching of estates without a firm

Revision ID: 5a1d9e0c3b72
Revises: d15c7a2e0b41
Create Date: 2026-12-09 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import webapp.core.db


revision = '5a1d9e0c3b72'
down_revision = 'd15c7a2e0b41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pool_interests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=6), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('estate', 'firm')", name=op.f('ck_pool_interests_side_known')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_pool_interests_estate_id_estates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_pool_interests_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by_id'], ['staff_users.id'], name=op.f('fk_pool_interests_marked_by_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_interests')),
    sa.UniqueConstraint('estate_id', 'firm_id', 'side', name='uq_pool_interest')
    )
    with op.batch_alter_table('pool_interests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_interests_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pool_interests_firm_id'), ['firm_id'], unique=False)

    op.create_table('pool_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('entered_on', sa.Date(), nullable=False),
    sa.Column('entered_reason', sa.String(length=500), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('left_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(left_on IS NULL) = (left_reason IS NULL)', name=op.f('ck_pool_terms_left_with_reason')),
    sa.CheckConstraint('left_on IS NULL OR left_on >= entered_on', name=op.f('ck_pool_terms_left_after_entered')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_pool_terms_firm_id_firms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_terms'))
    )
    with op.batch_alter_table('pool_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_terms_firm_id'), ['firm_id'], unique=False)
        # One open term per firm: a firm is in the pool once, or not.
        batch_op.create_index('uq_pool_terms_open', ['firm_id'], unique=True, sqlite_where=sa.text('left_on IS NULL'), postgresql_where=sa.text('left_on IS NULL'))

    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualifications', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.drop_column('notes')
        batch_op.drop_column('qualifications')

    with op.batch_alter_table('pool_terms', schema=None) as batch_op:
        batch_op.drop_index('uq_pool_terms_open', sqlite_where=sa.text('left_on IS NULL'), postgresql_where=sa.text('left_on IS NULL'))
        batch_op.drop_index(batch_op.f('ix_pool_terms_firm_id'))

    op.drop_table('pool_terms')
    with op.batch_alter_table('pool_interests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_interests_firm_id'))
        batch_op.drop_index(batch_op.f('ix_pool_interests_estate_id'))

    op.drop_table('pool_interests')
