"""desk: officer accounts, desk sessions, one-time form tokens, officer audit, commune settings,
attendance on bookings

Revision ID: 0011_desk
Revises: 0010_security
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/desk.py and the attendance columns of bookings.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_desk'
down_revision = '0010_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('officer_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('telegram_id', sa.BigInteger(), nullable=True),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('officer', 'admin')", name=op.f('ck_officer_accounts_role')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_accounts')),
        sa.UniqueConstraint('username', name=op.f('uq_officer_accounts_username')),
        sa.UniqueConstraint('telegram_id', name=op.f('uq_officer_accounts_telegram_id')),
    )
    op.create_table('desk_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['officer_id'], ['officer_accounts.id'],
                                name=op.f('fk_desk_sessions_officer_id_officer_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_desk_sessions_token_hash')),
    )
    op.create_index(op.f('ix_desk_sessions_officer_id'), 'desk_sessions', ['officer_id'])
    op.create_table('desk_form_tokens',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_desk_form_tokens')),
    )
    op.create_index(op.f('ix_desk_form_tokens_used_at'), 'desk_form_tokens', ['used_at'])
    op.create_table('officer_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=True),
        sa.Column('detail', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['officer_id'], ['officer_accounts.id'],
                                name=op.f('fk_officer_audit_officer_id_officer_accounts'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_audit')),
    )
    op.create_index(op.f('ix_officer_audit_officer_id'), 'officer_audit', ['officer_id'])
    op.create_index(op.f('ix_officer_audit_created_at'), 'officer_audit', ['created_at'])
    op.create_table('commune_settings',
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_commune_settings')),
    )
    with op.batch_alter_table('bookings') as batch:
        batch.add_column(sa.Column('attendance', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('attendance_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings') as batch:
        batch.drop_column('attendance_at')
        batch.drop_column('attendance')
    op.drop_table('commune_settings')
    op.drop_index(op.f('ix_officer_audit_created_at'), table_name='officer_audit')
    op.drop_index(op.f('ix_officer_audit_officer_id'), table_name='officer_audit')
    op.drop_table('officer_audit')
    op.drop_index(op.f('ix_desk_form_tokens_used_at'), table_name='desk_form_tokens')
    op.drop_table('desk_form_tokens')
    op.drop_index(op.f('ix_desk_sessions_officer_id'), table_name='desk_sessions')
    op.drop_table('desk_sessions')
    op.drop_table('officer_accounts')
