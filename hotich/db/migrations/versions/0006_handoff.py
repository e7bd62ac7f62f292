"""handoff: conversation owner (bot/waiting/officer/closed), audit trail, hand-off messages

Revision ID: 0006_handoff
Revises: 0005_uploads
Create Date: 2026-11-28 11:00:00.000000

Written by hand; mirrors hotich/db/models/handoff.py.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_handoff'
down_revision = '0005_uploads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handoff_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=160), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('owner', sa.String(length=8), nullable=False),
    sa.Column('officer_id', sa.BigInteger(), nullable=True),
    sa.Column('ticket', sa.Integer(), nullable=False),
    sa.Column('procedure', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('topic_id', sa.BigInteger(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("owner IN ('bot', 'waiting', 'officer', 'closed')", name=op.f('ck_handoff_conversations_owner')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_handoff_conversations_resident_id_residents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_conversations')),
    sa.UniqueConstraint('sender_id', name=op.f('uq_handoff_conversations_sender_id'))
    )
    with op.batch_alter_table('handoff_conversations', schema=None) as batch_op:
        batch_op.create_index('ix_handoff_conversations_queue', ['owner', 'requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_conversations_topic_id'), ['topic_id'], unique=False)

    op.create_table('handoff_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('ticket', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=16), nullable=False),
    sa.Column('officer_id', sa.BigInteger(), nullable=True),
    sa.Column('target_officer_id', sa.BigInteger(), nullable=True),
    sa.Column('detail', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['handoff_conversations.id'], name=op.f('fk_handoff_audit_conversation_id_handoff_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_audit'))
    )
    with op.batch_alter_table('handoff_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_audit_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_audit_created_at'), ['created_at'], unique=False)

    op.create_table('handoff_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('ticket', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('officer_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['handoff_conversations.id'], name=op.f('fk_handoff_messages_conversation_id_handoff_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_messages'))
    )
    with op.batch_alter_table('handoff_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_messages_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_messages_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handoff_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_messages_created_at'))
        batch_op.drop_index(batch_op.f('ix_handoff_messages_conversation_id'))
    op.drop_table('handoff_messages')
    with op.batch_alter_table('handoff_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_audit_created_at'))
        batch_op.drop_index(batch_op.f('ix_handoff_audit_conversation_id'))
    op.drop_table('handoff_audit')
    with op.batch_alter_table('handoff_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_conversations_topic_id'))
        batch_op.drop_index('ix_handoff_conversations_queue')
    op.drop_table('handoff_conversations')
