"""answers: what the router decided for each logged question; the case an appointment is for

and the case papers sent ahead are for (their checklist is that case's).

Revision ID: 0007_answers
Revises: 0006_handoff
Create Date: 2026-12-02 14:20:00.000000

Written by hand; mirrors hotich/db/models/residents.py (QuestionLog), booking.py (Booking) and
uploads.py (UploadSubmission).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_answers'
down_revision = '0006_handoff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('question_log') as batch:
        batch.add_column(sa.Column('route', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('entry_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('score', sa.Float(), nullable=True))
    with op.batch_alter_table('bookings') as batch:
        batch.add_column(sa.Column('case', sa.String(length=32), nullable=True))
    with op.batch_alter_table('upload_submissions') as batch:
        batch.add_column(sa.Column('case', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('upload_submissions') as batch:
        batch.drop_column('case')
    with op.batch_alter_table('bookings') as batch:
        batch.drop_column('case')
    with op.batch_alter_table('question_log') as batch:
        batch.drop_column('score')
        batch.drop_column('entry_id')
        batch.drop_column('route')
