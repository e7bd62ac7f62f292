"""Gateway outbox: resident messages that arrived while Rasa could not answer.

A row is written when Rasa is unavailable, answered by the retry task once Rasa is back
(`answered_at`, `answers`), and handed to the resident exactly once (`delivered_at`): the web page
collects it with GET /api/pending, the Telegram adapter sends it proactively. The message text
and the answers are cleared once they are no longer needed (personal data).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class PendingMessage(Base):
    __tablename__ = "pending_messages"
    __table_args__ = (Index("ix_pending_messages_open", "answered_at", "delivered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(160), index=True)   # '<channel>:<user id>'
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)                     # what the resident typed …
    payload: Mapped[str | None] = mapped_column(Text)                  # … or the payload for Rasa
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answers: Mapped[str | None] = mapped_column(Text)                  # JSON list of OutgoingMessage.to_json()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
