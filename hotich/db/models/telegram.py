"""Telegram channel bookkeeping: long button payloads, pressed keyboards (handled updates are
`inbound_events`, hotich/db/models/gateway.py).

Both are keyed by the bot's id too: update ids and message ids are per bot, and a commune
may replace its bot (new token) without emptying the database.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class TelegramCallback(Base):
    """A button payload longer than Telegram's 64-byte callback_data, sent as `cb:<token>`."""

    __tablename__ = "telegram_callbacks"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)   # hash of the payload
    payload: Mapped[str] = mapped_column(Text)
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class TelegramPress(Base):
    """An inline keyboard that has been pressed once: a second tap must not act again."""

    __tablename__ = "telegram_presses"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pressed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
