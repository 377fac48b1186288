"""petitions: owners' petitions for an extraordinary meeting, their logs; the estate's
petition settings

Revision ID: 5e7171045a01
Revises: 5a1d9e0c3b72
Create Date: 2026-12-09 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.core.db


revision = '5e7171045a01'
down_revision = '5a1d9e0c3b72'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('petition_area_percent', sa.Integer(), server_default='20', nullable=False))
        batch_op.add_column(sa.Column('petition_heads_percent', sa.Integer(), server_default='20', nullable=False))
        batch_op.add_column(sa.Column('petition_window_days', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('petition_convene_days', sa.Integer(), server_default='15', nullable=False))
        batch_op.create_check_constraint(op.f('ck_estates_petition_area_percent_range'), 'petition_area_percent BETWEEN 1 AND 20')
        batch_op.create_check_constraint(op.f('ck_estates_petition_heads_percent_range'), 'petition_heads_percent BETWEEN 1 AND 20')
        batch_op.create_check_constraint(op.f('ck_estates_petition_window_days_range'), 'petition_window_days BETWEEN 1 AND 180')
        batch_op.create_check_constraint(op.f('ck_estates_petition_convene_days_range'), 'petition_convene_days BETWEEN 1 AND 90')


    op.create_table(
        'petitions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('estate_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('category', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('opened_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('closes_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('area_percent', sa.Integer(), nullable=False),
        sa.Column('heads_percent', sa.Integer(), nullable=False),
        sa.Column('convene_days', sa.Integer(), nullable=False),
        sa.Column('total_area_centi', sa.Integer(), nullable=False),
        sa.Column('total_heads', sa.Integer(), nullable=False),
        sa.Column('member_count', sa.Integer(), nullable=False),
        sa.Column('members_root', sa.String(length=64), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('tree_state', sa.LargeBinary(), nullable=False),
        sa.Column('signed_area_centi', sa.Integer(), nullable=False),
        sa.Column('signed_heads', sa.Integer(), nullable=False),
        sa.Column('succeeded_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('convene_by', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('lapsed_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('assembly_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'succeeded', 'lapsed')", name=op.f('ck_petitions_state_valid')),
        sa.CheckConstraint('category BETWEEN 1 AND 9', name=op.f('ck_petitions_category_valid')),
        sa.CheckConstraint('area_percent BETWEEN 1 AND 20 AND heads_percent BETWEEN 1 AND 20', name=op.f('ck_petitions_shares_within_statute')),
        sa.ForeignKeyConstraint(['assembly_id'], ['assemblies.id'], name=op.f('fk_petitions_assembly_id_assemblies'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_petitions_estate_id_estates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['started_by_id'], ['registrations.id'], name=op.f('fk_petitions_started_by_id_registrations'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_petitions')),
        sa.UniqueConstraint('digest', name=op.f('uq_petitions_digest')),
        sa.UniqueConstraint('estate_id', 'seq', name='uq_petition_seq'),
    )
    op.create_index(op.f('ix_petitions_estate_id'), 'petitions', ['estate_id'], unique=False)

    op.create_table(
        'petition_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('member', sa.String(length=40), nullable=False),
        sa.Column('member_ref', sa.String(length=40), nullable=False),
        sa.Column('area_centi', sa.Integer(), nullable=False),
        sa.Column('heads', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_members_petition_id_petitions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_members')),
        sa.UniqueConstraint('petition_id', 'member', name='uq_petition_member'),
        sa.UniqueConstraint('petition_id', 'member_ref', name='uq_petition_member_ref'),
    )
    op.create_index(op.f('ix_petition_members_petition_id'), 'petition_members', ['petition_id'], unique=False)

    op.create_table(
        'petition_signatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('member', sa.String(length=40), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('kid', sa.String(length=64), nullable=False),
        sa.Column('entry', sa.Text(), nullable=False),
        sa.Column('leaf_hash', sa.String(length=64), nullable=False),
        sa.Column('leaf_index', sa.Integer(), nullable=False),
        sa.Column('received_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_signatures_petition_id_petitions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_petition_signatures_registration_id_registrations'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_signatures')),
        sa.UniqueConstraint('petition_id', 'member', name='uq_petition_signature_member'),
        sa.UniqueConstraint('petition_id', 'leaf_index', name='uq_petition_signature_index'),
        sa.UniqueConstraint('petition_id', 'leaf_hash', name='uq_petition_signature_leaf'),
    )
    op.create_index(op.f('ix_petition_signatures_petition_id'), 'petition_signatures', ['petition_id'], unique=False)
    op.create_index(op.f('ix_petition_signatures_registration_id'), 'petition_signatures', ['registration_id'], unique=False)

    op.create_table(
        'petition_tree_heads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('final', sa.Boolean(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_tree_heads_petition_id_petitions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_tree_heads')),
        sa.UniqueConstraint('petition_id', 'n', name='uq_petition_tree_head'),
    )
    op.create_index(op.f('ix_petition_tree_heads_petition_id'), 'petition_tree_heads', ['petition_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_petition_tree_heads_petition_id'), table_name='petition_tree_heads')
    op.drop_table('petition_tree_heads')
    op.drop_index(op.f('ix_petition_signatures_registration_id'), table_name='petition_signatures')
    op.drop_index(op.f('ix_petition_signatures_petition_id'), table_name='petition_signatures')
    op.drop_table('petition_signatures')
    op.drop_index(op.f('ix_petition_members_petition_id'), table_name='petition_members')
    op.drop_table('petition_members')
    op.drop_index(op.f('ix_petitions_estate_id'), table_name='petitions')
    op.drop_table('petitions')
    with op.batch_alter_table('estates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_estates_petition_convene_days_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_estates_petition_window_days_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_estates_petition_heads_percent_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_estates_petition_area_percent_range'), type_='check')
        batch_op.drop_column('petition_convene_days')
        batch_op.drop_column('petition_window_days')
        batch_op.drop_column('petition_heads_percent')
        batch_op.drop_column('petition_area_percent')
