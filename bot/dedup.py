"""Events a channel has taken on, kept in the commune DB so a redelivery is not answered twice.

Channels redeliver: Telegram after a timeout or restart (same update_id), Zalo OA retries a
webhook it did not get a quick 200 for (same msg_id), the Zalo Bot Platform re-sends updates.
An event is *claimed* before it is handled; a second claim of the same (source, id) is refused —
unless the first claim belongs to a gateway run that died while handling it (another `owner`,
never marked done), which then gets the event again, once. So a message reaches Rasa once even
when the channel retries it.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from hotich.db.base import utcnow
from hotich.db.models import InboundEvent
from hotich.db.session import session_scope

# Telegram keeps undelivered updates for 24 hours, Zalo retries for hours: a week leaves room.
KEEP = timedelta(days=7)


class EventDedup:
    def __init__(self, db_url: str, keep: timedelta = KEEP) -> None:
        self.db_url = db_url
        self.keep = keep
        self.owner = uuid.uuid4().hex   # this gateway run

    def claim(self, source: str, event_id: str) -> bool:
        """True when this run should handle the event (first time seen, or left unfinished)."""
        try:
            with session_scope(self.db_url) as s:
                s.add(InboundEvent(source=source, event_id=event_id, status="processing", owner=self.owner))
            return True
        except IntegrityError:
            pass
        with session_scope(self.db_url) as s:
            row = s.scalar(select(InboundEvent).where(InboundEvent.source == source,
                                                      InboundEvent.event_id == event_id))
            if row is None or row.status == "done" or row.owner == self.owner:
                return False
            # Claimed by a run that stopped before finishing it: take it over (once).
            res = s.execute(update(InboundEvent)
                            .where(InboundEvent.source == source, InboundEvent.event_id == event_id,
                                   InboundEvent.owner == row.owner, InboundEvent.status == "processing")
                            .values(owner=self.owner))
            return res.rowcount == 1

    def done(self, source: str, event_id: str) -> None:
        with session_scope(self.db_url) as s:
            s.execute(update(InboundEvent)
                      .where(InboundEvent.source == source, InboundEvent.event_id == event_id)
                      .values(status="done"))

    def prune(self) -> int:
        with session_scope(self.db_url) as s:
            res = s.execute(delete(InboundEvent).where(InboundEvent.received_at < utcnow() - self.keep))
            return res.rowcount or 0
