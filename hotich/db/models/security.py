"""Erasure requests that must reach Rasa's tracker store after the turn that asked for them.

"Xóa dữ liệu của tôi" runs inside a Rasa turn; Rasa saves that turn's events when it ends (and
its SQL tracker store re-inserts every event it believes missing), so the conversation can only
be deleted from the tracker store once Rasa has answered. The erase records a row here; the
gateway deletes the tracker rows after the reply (`erased_at`; its background job does it a little
later when no reply came), then once more a few minutes later for anything a concurrent turn of the
same conversation wrote back, and then this row. `sender_id` is kept only until then.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class TrackerErasure(Base):
    __tablename__ = "tracker_erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(160), unique=True)   # '<channel>:<user id>'
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
