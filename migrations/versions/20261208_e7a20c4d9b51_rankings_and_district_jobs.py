"""rankings of firms (red and black lists), and district jobs without an estate

Revision ID: e7a20c4d9b51
Revises: e7a3c51d9b08
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.core.db


revision = 'e7a20c4d9b51'
down_revision = 'e7a3c51d9b08'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ranking_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('signed', sa.Text(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('published_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['published_by_id'], ['staff_users.id'], name=op.f('fk_ranking_rules_published_by_id_staff_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_rules')),
        sa.UniqueConstraint('code', 'version', name='uq_ranking_rule_version'),
        sa.UniqueConstraint('digest', name=op.f('uq_ranking_rules_digest')),
    )
    op.create_table(
        'rankings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('rule_code', sa.String(length=40), nullable=False),
        sa.Column('period_title', sa.String(length=200), nullable=False),
        sa.Column('period_from', sa.Date(), nullable=False),
        sa.Column('period_until', sa.Date(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('published_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['published_by_id'], ['staff_users.id'], name=op.f('fk_rankings_published_by_id_staff_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['rule_id'], ['ranking_rules.id'], name=op.f('fk_rankings_rule_id_ranking_rules'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rankings')),
        sa.UniqueConstraint('rule_code', 'period_from', 'period_until', name='uq_ranking_period'),
    )
    with op.batch_alter_table('rankings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rankings_rule_id'), ['rule_id'], unique=False)
    op.create_table(
        'ranking_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ranking_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('estate_id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.String(length=60), nullable=True),
        sa.Column('shown', sa.String(length=10), nullable=True),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.Column('band', sa.String(length=5), nullable=True),
        sa.Column('fails', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_ranking_entries_estate_id_estates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_ranking_entries_firm_id_firms'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['ranking_id'], ['rankings.id'], name=op.f('fk_ranking_entries_ranking_id_rankings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_entries')),
        sa.UniqueConstraint('ranking_id', 'estate_id', 'firm_id', name='uq_ranking_entry'),
    )
    with op.batch_alter_table('ranking_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranking_entries_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ranking_entries_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ranking_entries_ranking_id'), ['ranking_id'], unique=False)
    # A district job (the ranking of every estate's firm) belongs to no estate.
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.alter_column('estate_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE estate_id IS NULL")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.alter_column('estate_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('ranking_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranking_entries_ranking_id'))
        batch_op.drop_index(batch_op.f('ix_ranking_entries_firm_id'))
        batch_op.drop_index(batch_op.f('ix_ranking_entries_estate_id'))
    op.drop_table('ranking_entries')
    with op.batch_alter_table('rankings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rankings_rule_id'))
    op.drop_table('rankings')
    op.drop_table('ranking_rules')
