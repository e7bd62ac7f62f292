"""security: erasure requests for Rasa's tracker store (rate-limit counters live in memory)

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
    op.create_table('tracker_erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=160), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracker_erasures')),
    sa.UniqueConstraint('sender_id', name=op.f('uq_tracker_erasures_sender_id'))
    )
    with op.batch_alter_table('tracker_erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracker_erasures_requested_at'), ['requested_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tracker_erasures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracker_erasures_requested_at'))
    op.drop_table('tracker_erasures')
