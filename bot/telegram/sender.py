"""Sending to Telegram chats: rendering, per-chat order, and the delivery port's Pusher.

Used by everything that speaks to a Telegram resident: the adapter's replies, the staff desk,
the papers review, and the delivery port (answers to queued messages, reminders, officer
messages, review results). Network errors propagate from `send`; `push` turns Telegram's
errors into DeliveryError so the port knows what to retry.
"""
from __future__ import annotations

import asyncio
import html
import logging
import re
from contextlib import asynccontextmanager
from typing import AsyncIterator

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from bot.delivery import DeliveryError
from bot.messages import OutgoingMessage
from bot.outbox import with_header
from bot.telegram.callbacks import CallbackStore
from bot.telegram.render import render

log = logging.getLogger(__name__)

class TelegramSender:
    def __init__(self, application: Application, callbacks: CallbackStore) -> None:
        self.application = application
        self.callbacks = callbacks
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def bot(self) -> Bot:
        return self.application.bot

    @property
    def connected(self) -> bool:
        return self.application.running

    async def send(self, chat_id: int, messages: list[OutgoingMessage]) -> bool:
        """Send replies in order. False when the resident blocked the bot (403): nothing else is
        sent to them and nothing breaks. Network errors propagate."""
        for m in messages:
            chunks = await asyncio.to_thread(render, m, self.callbacks.data_for)
            for c in chunks:
                try:
                    await self._send_chunk(chat_id, c)
                except Forbidden:
                    log.info("telegram: chat=%d blocked the bot; reply dropped", chat_id)
                    return False
        return True

    async def push(self, user_id: str, messages: list[OutgoingMessage], kind: str) -> None:
        """Pusher for the delivery port."""
        if not self.connected:
            raise DeliveryError("not_connected", permanent=False)
        messages = with_header(messages, kind)
        chat_id = int(user_id)
        try:
            # No chat lock here: a push may happen while the adapter holds it (queued answers are
            # flushed before a newer reply), and the port already sends one resident's rows in order.
            delivered = await self.send(chat_id, messages)
        except RetryAfter as exc:
            raise DeliveryError("rate_limited", permanent=False, retry_after=_seconds(exc.retry_after)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise DeliveryError("unknown_user", permanent=True) from exc
            raise DeliveryError("bad_request", permanent=False) from exc
        except NetworkError as exc:     # includes timeouts and Telegram's 5xx
            raise DeliveryError(type(exc).__name__, permanent=False) from exc
        if not delivered:
            raise DeliveryError("blocked", permanent=True)

    async def _send_chunk(self, chat_id: int, c) -> None:
        bot = self.bot
        if c.photo:
            try:
                await bot.send_photo(chat_id, c.photo)
                return
            except BadRequest:
                await bot.send_message(chat_id, html.escape(c.photo), parse_mode=ParseMode.HTML)
                return
        try:
            await bot.send_message(chat_id, c.text, parse_mode=ParseMode.HTML, reply_markup=c.keyboard,
                                   link_preview_options=LinkPreviewOptions(is_disabled=True))
        except BadRequest as exc:
            if "parse" not in str(exc).lower():
                raise
            # Should not happen (we escape everything), but never lose the answer over markup.
            plain = html.unescape(re.sub(r"</?b>", "", c.text))
            await bot.send_message(chat_id, plain, reply_markup=c.keyboard)

    @asynccontextmanager
    async def chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        """One thing at a time per chat, so a resident's messages stay in order."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(chat_id) is lock and not getattr(lock, "_waiters", None):
                self._locks.pop(chat_id, None)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
