"""delivery: one outgoing queue for every channel, resident identity

Revision ID: 0008_delivery
Revises: 0007_answers
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_delivery'
down_revision = '0007_answers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
