"""Gateway bookkeeping: the inbound queue, the outgoing queue, and events already taken on.

* `pending_messages`: resident messages that arrived while Rasa could not answer. The retry task
  answers them once Rasa is back; in the same transaction the row is deleted and its answers are
  queued in `outgoing_messages` (so the resident's words are not kept once answered).
* `outgoing_messages`: everything the gateway sends a resident on its own initiative (answers
  to queued messages, reminders, closure notices, review results, the officer's messages, the
  bot speaking again after a hand-off). Push channels get a row claimed before it is sent;
  the web page collects its rows (pull). The message content is cleared once handed over.
* `inbound_events`: update / message ids each channel already handled (dedup of redeliveries).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class PendingMessage(Base):
    __tablename__ = "pending_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(160), index=True)   # '<channel>:<user id>'
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)                     # what the resident typed …
    payload: Mapped[str | None] = mapped_column(Text)                  # … or the payload for Rasa
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class OutboundMessage(Base):
    __tablename__ = "outgoing_messages"
    __table_args__ = (Index("ix_outgoing_messages_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(160), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))                      # answer | notice | officer | review …
    messages: Mapped[str | None] = mapped_column(Text)                 # JSON list of bot.messages.OutgoingMessage
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending | claimed | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(64))              # why it was given up (no content)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class InboundEvent(Base):
    """An update / message id a channel has taken on: a redelivery of it is not answered again."""

    __tablename__ = "inbound_events"

    source: Mapped[str] = mapped_column(String(48), primary_key=True)     # "telegram:<bot id>", "zalo_oa:<app>"
    event_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))                       # processing | done
    owner: Mapped[str] = mapped_column(String(32))                        # run id of the gateway that took it
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
