"""Erasure and retention in Rasa's tracker store, from the gateway (the process that knows when a
turn is over).

- After Rasa answered a message, a pending erasure request of that conversation (written by
  "xóa dữ liệu của tôi" during the turn) is carried out: its events are deleted from the tracker
  store. Doing it during the turn would not work: Rasa writes the turn's tracker back at its end.
- A background job carries out requests whose reply never came (Rasa failed, gateway restarted),
  and deletes a second time, a few minutes later, any event stamped before the erasure that a
  concurrent turn of the same conversation wrote back; then the request is forgotten.
- Hourly: retention — conversations idle for RETENTION_DAYS leave the tracker store, and resident
  rows nothing needs any more leave the commune DB.

- Each round also asks the staff channel (when there is one) to delete the Telegram topics of
  erased hand-off conversations (`sender_id = 'erased:<id>'`), where their context was copied.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

from sqlalchemy import delete, select

from bot.background import BackgroundJob
from bot.messages import IncomingMessage, OutgoingMessage
from hotich.db.base import utcnow
from hotich.db.models import TrackerErasure
from hotich.db.session import session_scope
from hotich.privacy.erase import purge_idle_residents
from hotich.privacy.tracker import TrackerStore

log = logging.getLogger(__name__)


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


class TrackerErasures(BackgroundJob):
    job_name = "tracker-erasures"

    def __init__(self, db_url: str, tracker: TrackerStore | None, retention_days: int,
                 interval_s: float = 30.0, grace_s: float = 120.0, retention_every_s: float = 3600.0,
                 forget_topics: Callable[[], Awaitable[int]] | None = None) -> None:
        self.db_url = db_url
        self.forget_topics = forget_topics
        self.tracker = tracker
        self.retention_days = retention_days
        self.interval_s = interval_s
        self.grace = timedelta(seconds=grace_s)
        self.retention_every_s = retention_every_s

    @classmethod
    def from_settings(cls, settings, forget_topics: Callable[[], Awaitable[int]] | None = None) -> "TrackerErasures":
        tracker = TrackerStore(settings.rasa_tracker_url) if settings.rasa_tracker_url else None
        return cls(settings.database_url, tracker, settings.retention_days, forget_topics=forget_topics)

    # -- after a reply ---------------------------------------------------------------------------

    async def after_reply(self, msg: IncomingMessage, out: list[OutgoingMessage]) -> list[OutgoingMessage]:
        await asyncio.to_thread(self._erase_now, msg.sender_id)
        return out

    def _erase_now(self, sender_id: str) -> None:
        with session_scope(self.db_url) as s:
            row = s.scalar(select(TrackerErasure).where(TrackerErasure.sender_id == sender_id,
                                                        TrackerErasure.erased_at.is_(None)))
            if row is None:
                return
            self._erase(s, row)

    def _erase(self, s, row: TrackerErasure) -> None:
        row.attempts += 1
        if self.tracker is not None:
            self.tracker.delete_conversation(row.sender_id)
        row.erased_at = utcnow()

    # -- background ------------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> None:
        """Late first deletions, second deletions, then forget the requests."""
        now = now or utcnow()
        with session_scope(self.db_url) as s:
            late = s.scalars(select(TrackerErasure).where(TrackerErasure.erased_at.is_(None),
                                                          TrackerErasure.requested_at < now - self.grace)).all()
            for row in late:
                self._erase(s, row)
        with session_scope(self.db_url) as s:
            done = s.scalars(select(TrackerErasure).where(TrackerErasure.erased_at < now - self.grace)).all()
            for row in done:
                if self.tracker is not None:
                    self.tracker.delete_conversation(row.sender_id, up_to=_aware(row.erased_at))
                s.execute(delete(TrackerErasure).where(TrackerErasure.id == row.id))

    def retention_once(self, now: datetime | None = None) -> None:
        now = now or datetime.now(timezone.utc)
        if self.tracker is not None:
            self.tracker.purge_idle(now - timedelta(days=self.retention_days))
        gone = purge_idle_residents(self.db_url, self.retention_days, now)
        if gone:
            log.info("retention: %d idle resident rows removed", gone)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_retention = loop.time()
        while True:
            try:
                await asyncio.to_thread(self.run_once)
                if self.forget_topics is not None:
                    await self.forget_topics()
                if loop.time() >= next_retention:
                    next_retention = loop.time() + self.retention_every_s
                    await asyncio.to_thread(self.retention_once)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tracker erasures: background round failed")
            await asyncio.sleep(self.interval_s)

