"""roll supplements: a key added to a frozen roll after the freeze, signed by supervisors

Revision ID: 7b3e9d1c2a40
Revises: 5bb14dc08f11
Create Date: 2026-12-07 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.core.db


revision = '7b3e9d1c2a40'
down_revision = '5bb14dc08f11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'roll_supplements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('roll_id', sa.Integer(), nullable=False),
        sa.Column('assembly_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('member', sa.String(length=24), nullable=False),
        sa.Column('member_ref', sa.String(length=40), nullable=False),
        sa.Column('required_signatures', sa.Integer(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('created_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('certified_at', webapp.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('log_from', sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('signing', 'certified', 'void')", name=op.f('ck_roll_supplements_state_valid')),
        sa.CheckConstraint('required_signatures >= 1', name=op.f('ck_roll_supplements_required_positive')),
        sa.ForeignKeyConstraint(['assembly_id'], ['assemblies.id'], name=op.f('fk_roll_supplements_assembly_id_assemblies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['roll_id'], ['rolls.id'], name=op.f('fk_roll_supplements_roll_id_rolls'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_supplements')),
        sa.UniqueConstraint('assembly_id', 'seq', name=op.f('uq_roll_supplements_assembly_id_seq')),
    )
    with op.batch_alter_table('roll_supplements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roll_supplements_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roll_supplements_roll_id'), ['roll_id'], unique=False)
    op.create_table(
        'roll_supplement_signatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('supplement_id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('kid', sa.String(length=64), nullable=False),
        sa.Column('jwk', sa.JSON(), nullable=False),
        sa.Column('sig', sa.String(length=200), nullable=False),
        sa.Column('signed_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_roll_supplement_signatures_staff_user_id_staff_users'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['supplement_id'], ['roll_supplements.id'], name=op.f('fk_roll_supplement_signatures_supplement_id_roll_supplements'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_supplement_signatures')),
        sa.UniqueConstraint('supplement_id', 'kid', name=op.f('uq_roll_supplement_signatures_supplement_id_kid')),
        sa.UniqueConstraint('supplement_id', 'staff_user_id', name=op.f('uq_roll_supplement_signatures_supplement_id_staff_user_id')),
    )
    with op.batch_alter_table('roll_supplement_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roll_supplement_signatures_supplement_id'), ['supplement_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roll_supplement_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roll_supplement_signatures_supplement_id'))
    op.drop_table('roll_supplement_signatures')
    with op.batch_alter_table('roll_supplements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roll_supplements_roll_id'))
        batch_op.drop_index(batch_op.f('ix_roll_supplements_assembly_id'))
    op.drop_table('roll_supplements')
