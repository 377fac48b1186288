"""district areas: each estate's district and sub-district, and the area a staff member oversees

Revision ID: d15c7a2e0b41
Revises: c0ffee5e7e18
Create Date: 2026-12-09 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import webapp.core.db


revision = 'd15c7a2e0b41'
down_revision = 'c0ffee5e7e18'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'estate_areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('estate_id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=100), nullable=False),
        sa.Column('sub_district', sa.String(length=100), nullable=False),
        sa.Column('updated_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("district <> '' AND sub_district <> ''", name=op.f('ck_estate_areas_names_not_empty')),
        sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_estate_areas_estate_id_estates'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_estate_areas')),
        sa.UniqueConstraint('estate_id', name=op.f('uq_estate_areas_estate_id')),
    )
    op.create_index('ix_estate_areas_district', 'estate_areas', ['district', 'sub_district'])
    op.create_table(
        'staff_areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=100), nullable=False),
        sa.Column('sub_district', sa.String(length=100), nullable=True),
        sa.Column('updated_at', webapp.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "district <> '' AND (sub_district IS NULL OR sub_district <> '')", name=op.f('ck_staff_areas_names_not_empty')
        ),
        sa.ForeignKeyConstraint(
            ['staff_user_id'], ['staff_users.id'], name=op.f('fk_staff_areas_staff_user_id_staff_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_areas')),
        sa.UniqueConstraint('staff_user_id', name=op.f('uq_staff_areas_staff_user_id')),
    )


def downgrade() -> None:
    op.drop_table('staff_areas')
    op.drop_index('ix_estate_areas_district', table_name='estate_areas')
    op.drop_table('estate_areas')
