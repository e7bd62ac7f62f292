"""zalo: OA token pair, numbered choices shown to Zalo residents

Revision ID: 0009_zalo
Revises: 0008_delivery
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/zalo.py. (Processed Zalo events are `inbound_events`.)
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_zalo'
down_revision = '0008_delivery'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('zalo_tokens',
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=True),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('app_id', name=op.f('pk_zalo_tokens'))
    )
    op.create_table('zalo_choices',
    sa.Column('sender_id', sa.String(length=160), nullable=False),
    sa.Column('payloads', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sender_id', name=op.f('pk_zalo_choices'))
    )
    with op.batch_alter_table('zalo_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zalo_choices_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('zalo_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zalo_choices_updated_at'))
    op.drop_table('zalo_choices')
    op.drop_table('zalo_tokens')
