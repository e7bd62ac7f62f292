"""Telegram updates → IncomingMessage → GatewayCore (through the outbox) → Telegram sends.

One entry point, `TelegramAdapter.on_update`, registered as a TypeHandler so that every update,
whatever its kind, first goes through the durable dedup. Updates of one chat are handled one
after the other (Application runs updates concurrently, a resident's messages stay in order).
Never log message content: ids, kinds and lengths only.
"""
from __future__ import annotations

import asyncio
import html
import logging
import re
from contextlib import asynccontextmanager
from typing import AsyncIterator

from telegram import Bot, CallbackQuery, LinkPreviewOptions, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.core import EMPTY_TEXT, SERVICE_DOWN_TEXT, GatewayCore
from bot.messages import IncomingMessage, OutgoingMessage
from bot.outbox import Outbox
from bot.rasa_client import RasaUnavailable
from bot.reserved import is_reserved
from bot.telegram.callbacks import DONE, CallbackStore
from bot.telegram.commands import BY_NAME
from bot.telegram.dedup import UpdateDedup
from bot.telegram.render import pressed_keyboard, render

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALREADY_PRESSED_TEXT = "Bạn đã chọn mục này rồi."
EXPIRED_TEXT = "Nút này đã cũ. Bạn vui lòng nhắn câu hỏi hoặc bấm /start để bắt đầu lại."
QUEUED_HEADER = "Hệ thống đã hoạt động trở lại. Đây là câu trả lời cho tin nhắn trước của bạn:"
MEDIA_TEXT = ("Hiện mình chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi, "
              "hoặc bấm /gui_ho_so để xem cách gửi trước giấy tờ.")

_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+(?P<arg>.*))?$", re.S)


def incoming_from_text(text: str, user: User, bot_username: str | None = None) -> IncomingMessage | None:
    """What a typed message means. Only our own commands become Rasa payloads: anything else
    starting with "/" is sent as plain text, so a resident cannot type Rasa intents."""
    base = dict(channel=CHANNEL, user_id=str(user.id), display_name=user.full_name or None)
    m = _COMMAND.match(text.strip())
    if m:
        target = m.group("bot")
        if target and bot_username and target.lower() != bot_username.lower():
            return None   # a command for another bot
        name = m.group("name").lower()
        if name == "start":
            # /start <payload> from a QR code; no or a bad payload gives the normal welcome.
            return IncomingMessage(start_payload=(m.group("arg") or "").strip()[:64], **base)
        cmd = BY_NAME.get(name)
        if cmd is not None and cmd.payload:
            return IncomingMessage(payload=cmd.payload, **base)
    cleaned = text.strip().lstrip("/").strip()
    if not cleaned:
        return IncomingMessage(start_payload="", **base)
    return IncomingMessage(text=cleaned, **base)


def _pressed_title(message: Message | None, data: str) -> str:
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return "Đã chọn"


class TelegramAdapter:
    def __init__(self, core: GatewayCore, outbox: Outbox | None, callbacks: CallbackStore,
                 dedup: UpdateDedup) -> None:
        self.core = core
        self.outbox = outbox
        self.callbacks = callbacks
        self.dedup = dedup
        self.bot: Bot | None = None          # set once the application is initialised
        self._locks: dict[int, asyncio.Lock] = {}

    # -- entry point --------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bot = context.bot
        if not await asyncio.to_thread(self.dedup.claim, bot.id, update.update_id):
            log.info("telegram: update %d already handled, skipped", update.update_id)
            return
        try:
            staff = getattr(self, "staff", None)   # handoff hook (issue #6): staff group, residents' media
            if staff is not None and await staff.on_update(bot, update):
                return
            uploads = getattr(self, "uploads", None)   # uploads hook (issue #5): files, /hoso, review buttons
            if uploads is not None and await uploads.handle_update(bot, update):
                return
            if update.callback_query is not None:
                await self._on_callback(bot, update.callback_query)
            elif update.message is not None:
                await self._on_message(bot, update.message)
            else:
                # edited messages, channel posts, …: answered once already, or not for us
                log.info("telegram: update %d ignored (kind=%s)", update.update_id, _kind(update))
        finally:
            await asyncio.to_thread(self.dedup.done, bot.id, update.update_id)

    # -- messages -----------------------------------------------------------------------------

    async def _on_message(self, bot: Bot, message: Message) -> None:
        user = message.from_user
        if message.chat.type != ChatType.PRIVATE or user is None or user.is_bot:
            return
        async with self._chat_lock(message.chat.id):
            if message.text is None:
                log.info("telegram: non-text message chat=%d", message.chat.id)
                await self.send(bot, message.chat.id, [OutgoingMessage(MEDIA_TEXT)])
                return
            msg = incoming_from_text(message.text, user, bot.username)
            if msg is None:
                return
            log.info("telegram: message chat=%d len=%d kind=%s", message.chat.id, len(message.text),
                     "start" if msg.start_payload is not None else "payload" if msg.payload else "text")
            await self._answer(bot, message.chat.id, msg)

    # -- buttons ------------------------------------------------------------------------------

    async def _on_callback(self, bot: Bot, query: CallbackQuery) -> None:
        data = query.data or ""
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            await _answer_query(query)
            return
        chat_id = message.chat.id
        async with self._chat_lock(chat_id):
            if data == DONE:
                await _answer_query(query, ALREADY_PRESSED_TEXT)
                return
            # One press per keyboard: a double tap (two callback queries) acts once.
            if not await asyncio.to_thread(self.callbacks.claim_press, bot.id, chat_id, message.message_id):
                log.info("telegram: keyboard chat=%d msg=%d pressed again, ignored", chat_id, message.message_id)
                await _answer_query(query, ALREADY_PRESSED_TEXT)
                return
            payload = await asyncio.to_thread(self.callbacks.resolve, data)
            if payload is None or is_reserved(payload):   # unknown token, or forged callback data
                await _answer_query(query, EXPIRED_TEXT, alert=True)
                return
            await _answer_query(query)   # stop the button's spinner at once
            try:
                await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message.message_id,
                                                    reply_markup=pressed_keyboard(_pressed_title(message, data), DONE))
            except TelegramError as exc:   # message too old, deleted, …: the press still counts
                log.info("telegram: could not mark keyboard chat=%d: %s", chat_id, type(exc).__name__)
            user = query.from_user
            base = dict(channel=CHANNEL, user_id=str(user.id), display_name=user.full_name or None)
            msg = (IncomingMessage(payload=payload, **base) if payload.startswith("/")
                   else IncomingMessage(text=payload, **base))
            log.info("telegram: button chat=%d msg=%d", chat_id, message.message_id)
            await self._answer(bot, chat_id, msg)

    # -- answering ----------------------------------------------------------------------------

    async def _answer(self, bot: Bot, chat_id: int, msg: IncomingMessage) -> None:
        queued_before = (await self.outbox.waiting_count(CHANNEL, msg.user_id)) if self.outbox else 0
        try:
            replies = await (self.outbox.handle(msg) if self.outbox else self.core.handle(msg))
        except RasaUnavailable as exc:
            # The outbox kept the message; it is answered when Rasa is back.
            log.warning("telegram: Rasa unavailable for chat=%d (%s)", chat_id, type(exc).__name__)
            await self._send_quietly(bot, chat_id, [OutgoingMessage(SERVICE_DOWN_TEXT)])
            return
        except Exception:
            log.exception("telegram: could not handle a message from chat=%d", chat_id)
            await self._send_quietly(bot, chat_id, [OutgoingMessage(EMPTY_TEXT)])
            return
        if queued_before and self.outbox is not None:
            # Older queued messages were just answered: show those answers first, in order.
            for queued in await self.outbox.take_answers(CHANNEL, msg.user_id):
                await self._send_quietly(bot, chat_id, [OutgoingMessage(QUEUED_HEADER), *queued.messages])
        await self._send_quietly(bot, chat_id, replies)

    async def deliver_queued(self, user_id: str, messages: list[OutgoingMessage]) -> bool:
        """Outbox deliverer: push the answer to a message queued while Rasa was down."""
        if self.bot is None:
            return False
        chat_id = int(user_id)
        async with self._chat_lock(chat_id):
            await self.send(self.bot, chat_id, [OutgoingMessage(QUEUED_HEADER), *messages])
        return True   # also when blocked: nobody to deliver to, do not retry forever

    async def _send_quietly(self, bot: Bot, chat_id: int, messages: list[OutgoingMessage]) -> None:
        try:
            await self.send(bot, chat_id, messages)
        except TelegramError as exc:
            log.warning("telegram: sending to chat=%d failed: %s", chat_id, type(exc).__name__)

    async def send(self, bot: Bot, chat_id: int, messages: list[OutgoingMessage]) -> bool:
        """Send replies in order. False when the resident blocked the bot (403): nothing else is
        sent to them and nothing breaks. Network errors propagate (the outbox retries)."""
        for m in messages:
            chunks = await asyncio.to_thread(render, m, self.callbacks.data_for)
            for c in chunks:
                try:
                    await self._send_chunk(bot, chat_id, c)
                except Forbidden:
                    log.info("telegram: chat=%d blocked the bot; reply dropped", chat_id)
                    return False
        return True

    async def _send_chunk(self, bot: Bot, chat_id: int, c) -> None:
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

    # -- helpers ------------------------------------------------------------------------------

    @asynccontextmanager
    async def _chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(chat_id) is lock and not getattr(lock, "_waiters", None):
                self._locks.pop(chat_id, None)


async def _answer_query(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Every callback query gets an answer (or the resident's button keeps spinning)."""
    try:
        await query.answer(text=text, show_alert=alert)
    except TelegramError as exc:   # too old, already answered
        log.info("telegram: answerCallbackQuery failed: %s", type(exc).__name__)


def _kind(update: Update) -> str:
    for name in ("edited_message", "channel_post", "edited_channel_post", "my_chat_member", "inline_query"):
        if getattr(update, name, None) is not None:
            return name
    return "other"
