"""Residents (one row per channel account), their questions and the QR boards they scanned."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class Resident(Base):
    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_residents_channel_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))            # "web", "telegram", later "zalo"
    channel_user_id: Mapped[str] = mapped_column(String(128))   # Telegram user id / web session id
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def sender_id(self) -> str:
        """The conversation id used with Rasa: '<channel>:<channel user id>'."""
        return f"{self.channel}:{self.channel_user_id}"


class QuestionLog(Base):
    """One row per resident message the bot interpreted, for analytics. Text is redacted."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    sender_id: Mapped[str] = mapped_column(String(160), index=True)
    text_redacted: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64))
    procedure: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))            # "answered" | "clarify" | "none" | "fallback" | …
    # What the answer router decided: "nlu" (intent → KB topic), "retrieval" (FAQ search), "button";
    # the FAQ entry answered and the retrieval score, so weak answers can be found and improved.
    route: Mapped[str | None] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class QrScan(Base):
    """A resident arriving through a board's QR code (/start payload or web-chat link)."""

    __tablename__ = "qr_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    board_code: Mapped[str | None] = mapped_column(String(32), index=True)
    procedure: Mapped[str | None] = mapped_column(String(32))
    new_resident: Mapped[bool] = mapped_column(default=False)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
