"""Telegram updates → IncomingMessage → GatewayCore (through the outbox) → Telegram sends.

One entry point, `TelegramAdapter.on_update`, registered as a TypeHandler so that every update,
whatever its kind, first goes through the durable dedup. Then the staff desk (staff group) and
the papers handler (files, /hoso, review buttons) get their turn, then resident messages and
button presses. Updates of one chat are handled one after the other (Application runs updates
concurrently, a resident's messages stay in order). Never log message content: ids, kinds and
lengths only.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Protocol

from telegram import Bot, CallbackQuery, Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core import EMPTY_TEXT, SERVICE_DOWN_TEXT
from bot.messages import IncomingMessage, OutgoingMessage
from bot.outbox import Outbox
from bot.rasa_client import RasaUnavailable
from bot.reserved import is_reserved
from bot.telegram.callbacks import DONE
from bot.telegram.commands import BY_NAME
from bot.telegram.dedup import UpdateDedup
from bot.telegram.render import pressed_keyboard
from bot.telegram.sender import TelegramSender
from hotich.identity import TELEGRAM

log = logging.getLogger(__name__)

CHANNEL = TELEGRAM
ALREADY_PRESSED_TEXT = "Anh/chị đã chọn mục này rồi ạ."
EXPIRED_TEXT = "Dạ, nút này đã cũ. Anh/chị vui lòng nhắn câu hỏi hoặc bấm /start để bắt đầu lại."
MEDIA_TEXT = ("Dạ, hiện em chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi, "
              "hoặc bấm /gui_ho_so để xem cách gửi trước giấy tờ.")


class UpdateHandler(Protocol):
    """A part of the bot that may take an update before the resident handling (staff, papers)."""

    async def handle_update(self, bot: Bot, update: Update) -> bool: ...

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
    def __init__(self, outbox: Outbox, sender: TelegramSender, dedup: UpdateDedup,
                 handlers: tuple[UpdateHandler, ...] = ()) -> None:
        self.outbox = outbox
        self.sender = sender
        self.callbacks = sender.callbacks
        self.dedup = dedup
        self.handlers = handlers             # staff desk, papers: they see an update first

    # -- entry point --------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bot = context.bot
        if not await asyncio.to_thread(self.dedup.claim, bot.id, update.update_id):
            log.info("telegram: update %d already handled, skipped", update.update_id)
            return
        try:
            for handler in self.handlers:
                if await handler.handle_update(bot, update):
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
        async with self.sender.chat_lock(message.chat.id):
            if message.text is None:
                log.info("telegram: non-text message chat=%d", message.chat.id)
                await self.sender.send(message.chat.id, [OutgoingMessage(MEDIA_TEXT)])
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
        async with self.sender.chat_lock(chat_id):
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
        try:
            replies = await self.outbox.handle(msg)
        except RasaUnavailable as exc:
            # The outbox kept the message; it is answered when Rasa is back.
            log.warning("telegram: Rasa unavailable for chat=%d (%s)", chat_id, type(exc).__name__)
            await self._send_quietly(chat_id, [OutgoingMessage(SERVICE_DOWN_TEXT)])
            return
        except Exception:
            log.exception("telegram: could not handle a message from chat=%d", chat_id)
            await self._send_quietly(chat_id, [OutgoingMessage(EMPTY_TEXT)])
            return
        await self._send_quietly(chat_id, replies)

    async def _send_quietly(self, chat_id: int, messages: list[OutgoingMessage]) -> None:
        try:
            await self.sender.send(chat_id, messages)
        except TelegramError as exc:
            log.warning("telegram: sending to chat=%d failed: %s", chat_id, type(exc).__name__)


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
