"""Officer hand-off (issue #6): who owns each resident conversation, the audit trail, and the
messages exchanged while an officer owned it.

`handoff_conversations` has one row per conversation (sender id '<channel>:<user id>'). Its
`owner` changes only through conditional UPDATEs (hotich.handoff.ownership) so that two officers
taking the same chat at once have exactly one winner. `ticket` counts the escalations of that
conversation; audit and message rows carry it so each escalation can be read on its own.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class HandoffConversation(Base):
    __tablename__ = "handoff_conversations"
    __table_args__ = (
        CheckConstraint("owner IN ('bot', 'waiting', 'officer', 'closed')", name="owner"),
        Index("ix_handoff_conversations_queue", "owner", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(160), unique=True)      # '<channel>:<user id>'
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    owner: Mapped[str] = mapped_column(String(8), default="bot")
    officer_id: Mapped[int | None] = mapped_column(BigInteger)             # Telegram user id of the officer
    ticket: Mapped[int] = mapped_column(Integer, default=0)                # escalations so far
    procedure: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))                 # asked | fallback | confirm
    topic_id: Mapped[int | None] = mapped_column(BigInteger, index=True)   # forum topic in the staff group
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HandoffAudit(Base):
    """Who requested, took, answered, forwarded, closed or cancelled which chat, and when."""

    __tablename__ = "handoff_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("handoff_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    ticket: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))      # request|take|answer|forward|close|cancel
    actor: Mapped[str] = mapped_column(String(16))       # resident | officer | system
    officer_id: Mapped[int | None] = mapped_column(BigInteger)
    target_officer_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str | None] = mapped_column(String(64))   # reason, message kind; never message text
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class HandoffMessage(Base):
    """A message exchanged while the conversation was not the bot's (personal data)."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("handoff_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    ticket: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))    # resident | officer
    officer_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16), default="text")   # text | photo | document | …
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
