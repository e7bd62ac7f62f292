"""delivery: one outgoing queue for every channel, inbound event dedup for every channel

Revision ID: 0008_delivery
Revises: 0007_answers
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/gateway.py. Answers to queued messages move from
`pending_messages` (answered, not yet delivered) to `outgoing_messages`; Telegram's processed
update ids move to `inbound_events` (source "telegram:<bot id>").
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_delivery'
down_revision = '0007_answers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outgoing_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=160), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('messages', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_messages'))
    )
    with op.batch_alter_table('outgoing_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_messages_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_messages_sender_id'), ['sender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_messages_done_at'), ['done_at'], unique=False)

    op.create_table('inbound_events',
    sa.Column('source', sa.String(length=48), nullable=False),
    sa.Column('event_id', sa.String(length=96), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'event_id', name=op.f('pk_inbound_events'))
    )
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_events_received_at'), ['received_at'], unique=False)

    # Answers not handed over yet keep waiting for their resident, now in the outgoing queue.
    op.execute("INSERT INTO outgoing_messages (sender_id, channel, user_id, kind, messages, state, attempts, "
               "next_attempt_at, created_at) SELECT sender_id, channel, user_id, 'answer', answers, 'pending', 0, "
               "answered_at, created_at FROM pending_messages WHERE answered_at IS NOT NULL AND delivered_at IS NULL")
    op.execute("DELETE FROM pending_messages WHERE answered_at IS NOT NULL")
    with op.batch_alter_table('pending_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_messages_open')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answers')
        batch_op.drop_column('delivered_at')

    op.execute("INSERT INTO inbound_events (source, event_id, status, owner, received_at) "
               "SELECT 'telegram:' || CAST(bot_id AS VARCHAR(24)), CAST(update_id AS VARCHAR(24)), status, owner, "
               "received_at FROM telegram_updates")
    with op.batch_alter_table('telegram_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_updates_received_at'))
    op.drop_table('telegram_updates')


def downgrade() -> None:
    op.create_table('telegram_updates',
    sa.Column('bot_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bot_id', 'update_id', name=op.f('pk_telegram_updates'))
    )
    with op.batch_alter_table('telegram_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_updates_received_at'), ['received_at'], unique=False)
    with op.batch_alter_table('pending_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answers', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_pending_messages_open', ['answered_at', 'delivered_at'], unique=False)
    # Undelivered queued messages survive a downgrade as answered, undelivered outbox rows.
    op.execute("INSERT INTO pending_messages (sender_id, channel, user_id, created_at, attempts, answered_at, answers) "
               "SELECT sender_id, channel, user_id, created_at, 0, created_at, messages FROM outgoing_messages "
               "WHERE state IN ('pending', 'claimed')")
    with op.batch_alter_table('inbound_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_events_received_at'))
    op.drop_table('inbound_events')
    with op.batch_alter_table('outgoing_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_messages_done_at'))
        batch_op.drop_index(batch_op.f('ix_outgoing_messages_sender_id'))
        batch_op.drop_index('ix_outgoing_messages_due')
    op.drop_table('outgoing_messages')
