"""Telegram's update ids in the gateway's event dedup (bot/dedup.py), per bot.

Update ids are per bot: the source is "telegram:<bot id>", so a commune replacing its bot (new
token) never has an update of the new bot taken for one of the old.
"""
from __future__ import annotations

import asyncio

from telegram.ext import ApplicationHandlerStop

from bot.dedup import EventDedup


def source(bot_id: int) -> str:
    return f"telegram:{bot_id}"


class UpdateDedup:
    def __init__(self, events: EventDedup) -> None:
        self.events = events

    def claim(self, bot_id: int, update_id: int) -> bool:
        return self.events.claim(source(bot_id), str(update_id))

    def done(self, bot_id: int, update_id: int) -> None:
        self.events.done(source(bot_id), str(update_id))

    def prune(self) -> int:
        return self.events.prune()


def exactly_once(dedup: UpdateDedup, callback):
    """Wrap a handler that runs before the resident adapter (officer commands, group < 0) so a
    redelivered update does not act twice: it claims the update like the adapter does."""

    async def wrapper(update, context):
        bot_id = context.bot.id
        if not await asyncio.to_thread(dedup.claim, bot_id, update.update_id):
            raise ApplicationHandlerStop
        try:
            await callback(update, context)
        finally:
            await asyncio.to_thread(dedup.done, bot_id, update.update_id)

    return wrapper
