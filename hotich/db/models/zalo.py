"""Zalo channels: the Official Account's token pair, and the numbered choices shown to residents.

Zalo has no buttons for the Bot Platform (and OA buttons are limited), so choices are sent as a
numbered list; the list is kept here per resident so that "2" still means the second choice
after a gateway restart.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class ZaloToken(Base):
    """The OA's access/refresh token pair. Zalo's refresh token works once: the new pair is
    written here before the new access token is used."""

    __tablename__ = "zalo_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ZaloChoice(Base):
    """The last numbered list of choices a Zalo resident was shown (payloads, in order)."""

    __tablename__ = "zalo_choices"

    sender_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    payloads: Mapped[str] = mapped_column(Text)            # JSON list of button payloads
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
