"""Processed update_ids, kept in the commune DB so a redelivered update is not answered twice.

Telegram redelivers an update when the bot did not confirm it (polling offset not advanced,
webhook timed out, gateway restarted). An update is *claimed* before it is handled; a second
claim of the same id is refused — unless the first claim belongs to a gateway run that died
while handling it (different `owner`, never marked done), which then gets the update again.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from hotich.db.base import utcnow
from hotich.db.models import TelegramUpdate
from hotich.db.session import session_scope

log = logging.getLogger(__name__)

# Telegram keeps undelivered updates for 24 hours; a week leaves room for long outages.
KEEP = timedelta(days=7)


class UpdateDedup:
    def __init__(self, db_url: str, keep: timedelta = KEEP) -> None:
        self.db_url = db_url
        self.keep = keep
        self.owner = uuid.uuid4().hex   # this gateway run

    def claim(self, bot_id: int, update_id: int) -> bool:
        """True when this run should handle the update (first time seen, or left unfinished)."""
        try:
            with session_scope(self.db_url) as s:
                s.add(TelegramUpdate(bot_id=bot_id, update_id=update_id, status="processing", owner=self.owner))
            return True
        except IntegrityError:
            pass
        with session_scope(self.db_url) as s:
            row = s.scalar(select(TelegramUpdate).where(TelegramUpdate.bot_id == bot_id,
                                                        TelegramUpdate.update_id == update_id))
            if row is None or row.status == "done" or row.owner == self.owner:
                return False
            # Claimed by a run that stopped before finishing it: take it over (once).
            res = s.execute(update(TelegramUpdate)
                            .where(TelegramUpdate.bot_id == bot_id, TelegramUpdate.update_id == update_id,
                                   TelegramUpdate.owner == row.owner, TelegramUpdate.status == "processing")
                            .values(owner=self.owner))
            return res.rowcount == 1

    def done(self, bot_id: int, update_id: int) -> None:
        with session_scope(self.db_url) as s:
            s.execute(update(TelegramUpdate)
                      .where(TelegramUpdate.bot_id == bot_id, TelegramUpdate.update_id == update_id)
                      .values(status="done"))

    def prune(self) -> int:
        with session_scope(self.db_url) as s:
            res = s.execute(delete(TelegramUpdate).where(TelegramUpdate.received_at < utcnow() - self.keep))
            return res.rowcount or 0


def exactly_once(dedup: UpdateDedup, callback):
    """Wrap a handler that runs before the resident adapter (officer commands, group < 0) so a
    redelivered update does not act twice: it claims the update like the adapter does."""
    import asyncio

    from telegram.ext import ApplicationHandlerStop

    async def wrapper(update, context):
        bot_id = context.bot.id
        if not await asyncio.to_thread(dedup.claim, bot_id, update.update_id):
            raise ApplicationHandlerStop
        try:
            await callback(update, context)
        finally:
            await asyncio.to_thread(dedup.done, bot_id, update.update_id)

    return wrapper
