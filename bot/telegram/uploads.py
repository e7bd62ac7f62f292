"""Telegram side of papers sent ahead.

Residents: a photo or document in a private chat → size check on the update's file_size (before
any download) → consent/draft check → getFile + download → bot/uploads.py → "Đây là: …" buttons.

Officers (OFFICER_TELEGRAM_IDS only): a notification per new submission, `/hoso` (list) and
`/hoso <mã>` (the files, sent to that officer only with protect_content, then a review keyboard),
buttons "đạt" / "cần bổ sung" per paper (then the note as the next message, "-" for none), and
"Gửi kết quả" which tells the resident on their channel (the delivery port: Telegram, Zalo,
or the web page). Anyone else gets a refusal and no data. Papers a resident sends while an
officer has the chat take the same path (bot/uploads.py tells the officer in the topic).

`TelegramUploads` is one of the TelegramAdapter's update handlers (after the dedup claim);
`officer_notifier` is the UploadGateway's way to tell officers of a new submission.
"""
from __future__ import annotations

import asyncio
import logging
import re

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden as TgForbidden
from telegram.error import TelegramError

from bot import identity
from bot.messages import OutgoingMessage, from_replies
from bot.telegram.sender import TelegramSender
from bot.uploads import OfficerNotifier, UploadGateway
from hotich.uploads import dialogue
from hotich.uploads.service import MORE, OK, Forbidden, SubmissionView, UploadError
from hotich.uploads.validate import EXT, too_big_text

log = logging.getLogger(__name__)

CHANNEL = identity.TELEGRAM
PREFIX = "rv:"
NOT_OFFICER = "Lệnh này chỉ dành cho cán bộ xã."
DOWNLOAD_FAILED = "Dạ, em chưa tải được tệp này từ Telegram. Anh/chị vui lòng gửi lại sau ít phút."
_HOSO = re.compile(r"^/hoso(?:@\w+)?(?:\s+(?P<id>[A-Za-z0-9]{1,24}))?\s*$")


class TelegramUploads:
    def __init__(self, gateway: UploadGateway, sender: TelegramSender) -> None:
        self.gateway = gateway
        self.sender = sender
        self._notes: dict[int, tuple[str, int]] = {}  # officer id → (submission, item) awaiting a note

    @property
    def svc(self):
        return self.gateway.service

    # -- entry point (from TelegramAdapter.on_update) ---------------------------------------------

    async def handle_update(self, bot: Bot, update: Update) -> bool:
        """True when the update was ours (handled)."""
        q = update.callback_query
        if q is not None:
            if (q.data or "").startswith(PREFIX):
                await self._on_review_button(bot, q)
                return True
            return False
        m = update.message
        if m is None or m.chat.type != ChatType.PRIVATE or m.from_user is None or m.from_user.is_bot:
            return False
        if m.photo or m.document is not None:
            await self._on_file(bot, m)
            return True
        if m.text is not None:
            if _HOSO.match(m.text.strip()):
                await self._on_hoso(bot, m)
                return True
            if m.from_user.id in self._notes and not m.text.startswith("/"):
                await self._on_note(bot, m)
                return True
        return False

    # -- residents ----------------------------------------------------------------------------------

    async def _on_file(self, bot: Bot, m: Message) -> None:
        user, chat_id = m.from_user, m.chat.id
        if m.photo:
            best = m.photo[-1]          # the largest size Telegram made
            file_id, size, name = best.file_id, best.file_size, None
        else:
            file_id, size, name = m.document.file_id, m.document.file_size, m.document.file_name
        async with self.sender.chat_lock(chat_id):
            resident_id, _ = await asyncio.to_thread(identity.touch, self.svc.db_url, CHANNEL, str(user.id),
                                                     user.full_name or None)
            replies = self.gateway.refuse_declared(size)
            if replies is None:
                replies = await self.gateway.precheck(resident_id)
            if replies is not None:
                log.info("telegram upload: chat=%d file not downloaded (declared size=%s)", chat_id, size)
                await self._send(bot, chat_id, replies)
                return
            try:
                tg_file = await bot.get_file(file_id)
                if tg_file.file_size is not None and tg_file.file_size > self.gateway.max_bytes:
                    await self._send(bot, chat_id, [OutgoingMessage(too_big_text(self.gateway.max_bytes))])
                    return
                data = bytes(await tg_file.download_as_bytearray())
            except TelegramError as exc:
                log.warning("telegram upload: chat=%d download failed: %s", chat_id, type(exc).__name__)
                await self._send(bot, chat_id, [OutgoingMessage(DOWNLOAD_FAILED)])
                return
            log.info("telegram upload: chat=%d size=%d", chat_id, len(data))
            replies = await self.gateway.receive(resident_id, data, name)
            await self._send(bot, chat_id, replies)

    async def _send(self, bot: Bot, chat_id: int, messages: list[OutgoingMessage]) -> bool:
        try:
            return await self.sender.send(chat_id, messages)
        except TelegramError as exc:
            log.warning("telegram upload: sending to chat=%d failed: %s", chat_id, type(exc).__name__)
            return False

    # -- officers: /hoso and review -----------------------------------------------------------------

    async def _on_hoso(self, bot: Bot, m: Message) -> None:
        officer = m.from_user.id
        if not self.svc.is_officer(officer):
            log.warning("telegram upload: /hoso from non-officer user=%d refused", officer)
            await bot.send_message(m.chat.id, NOT_OFFICER)
            return
        pid = _HOSO.match(m.text.strip()).group("id")
        if not pid:
            waiting = await asyncio.to_thread(self.svc.awaiting_review, officer)
            if not waiting:
                await bot.send_message(m.chat.id, "Không có hồ sơ gửi trước nào đang chờ kiểm tra.")
                return
            lines = [f"• /hoso {v.public_id} — {dialogue._name(v.procedure)}, {len(v.files)} tệp" for v in waiting]
            await bot.send_message(m.chat.id, "Hồ sơ gửi trước đang chờ kiểm tra:\n" + "\n".join(lines))
            return
        await self._show(bot, m.chat.id, officer, pid)

    async def _show(self, bot: Bot, chat_id: int, officer: int, pid: str) -> None:
        try:
            files = await asyncio.to_thread(self.svc.officer_files, officer, pid)
            view = await asyncio.to_thread(self.svc.officer_submission, officer, pid)
        except UploadError as exc:
            await bot.send_message(chat_id, exc.message)
            return
        labels = {st.item.id: (st.index, st.item.label) for st in self.svc.item_states(view)}
        for n, (f, data) in enumerate(files, start=1):
            idx, label = labels.get(f.item_id, (0, "Chưa chọn loại giấy tờ"))
            fname = f"{pid}_{n:02d}_{f.item_id or 'khac'}.{EXT.get(f.kind, 'bin')}"
            # protect_content: the officer's client will not forward or save it elsewhere.
            await bot.send_document(chat_id, InputFile(data, filename=fname), caption=f"{idx}. {label}"[:1000],
                                    protect_content=True)
        await bot.send_message(chat_id, self._review_text(view), reply_markup=self._review_keyboard(view))

    def _review_text(self, view: SubmissionView) -> str:
        lines = [f"Hồ sơ {view.public_id} — {dialogue._name(view.procedure)}. Đánh giá từng giấy tờ:"]
        for st in self.svc.item_states(view):
            verdict = ""
            if st.review is not None:
                verdict = " → đạt" if st.review.status == OK else " → cần bổ sung" + (
                    f" ({st.review.note})" if st.review.note else "")
            req = " (bắt buộc)" if st.item.required else ""
            lines.append(f"{st.index}. {st.item.label}{req}: {len(st.files)} tệp{verdict}")
        return "\n".join(lines)

    def _review_keyboard(self, view: SubmissionView) -> InlineKeyboardMarkup:
        rows = []
        for st in self.svc.item_states(view):
            if st.files or st.item.required:
                rows.append([InlineKeyboardButton(f"{st.index}. Đạt", callback_data=f"{PREFIX}ok:{view.public_id}:{st.index}"),
                             InlineKeyboardButton(f"{st.index}. Cần bổ sung",
                                                  callback_data=f"{PREFIX}mo:{view.public_id}:{st.index}")])
        rows.append([InlineKeyboardButton("Gửi kết quả cho người dân", callback_data=f"{PREFIX}done:{view.public_id}")])
        return InlineKeyboardMarkup(rows)

    async def _on_review_button(self, bot: Bot, q: CallbackQuery) -> None:
        officer = q.from_user.id if q.from_user else None
        chat_id = q.message.chat.id if q.message is not None else None
        if not self.svc.is_officer(officer) or chat_id is None or q.message.chat.type != ChatType.PRIVATE:
            log.warning("telegram upload: review button from non-officer user=%s refused", officer)
            await _answer(q, NOT_OFFICER, alert=True)
            return
        parts = (q.data or "")[len(PREFIX):].split(":")
        action, pid = parts[0], parts[1] if len(parts) > 1 else ""
        try:
            if action == "v":
                await _answer(q)
                await self._show(bot, chat_id, officer, pid)
            elif action in ("ok", "mo") and len(parts) == 3:
                n = int(parts[2])
                status = OK if action == "ok" else MORE
                view, item = await asyncio.to_thread(self.svc.review_item, officer, pid, n, status)
                await _answer(q, f"{n}. {'đạt' if status == OK else 'cần bổ sung'}")
                if status == MORE:
                    self._notes[officer] = (pid, n)
                    await bot.send_message(chat_id, f"Ghi chú cho mục {n} ({item.label}): bạn nhắn nội dung cần "
                                                    "bổ sung, hoặc \"-\" nếu không có ghi chú.")
                else:
                    await bot.send_message(chat_id, self._review_text(view), reply_markup=self._review_keyboard(view))
            elif action == "done":
                view, to = await asyncio.to_thread(self.svc.finish_review, officer, pid)
                self._notes.pop(officer, None)
                await _answer(q, "Đã gửi kết quả")
                if to is not None:
                    await self.gateway.tell_resident(to, from_replies(dialogue.review_result(self.svc, view)))
                await bot.send_message(chat_id, f"Đã gửi kết quả kiểm tra hồ sơ {pid} cho người dân.")
            else:
                await _answer(q)
        except (UploadError, ValueError) as exc:
            await _answer(q, exc.message if isinstance(exc, UploadError) else None, alert=True)

    async def _on_note(self, bot: Bot, m: Message) -> None:
        officer = m.from_user.id
        pid, n = self._notes.pop(officer)
        note = m.text.strip()
        try:
            view, item = await asyncio.to_thread(self.svc.review_item, officer, pid, n, MORE,
                                                 "" if note == "-" else note)
        except UploadError as exc:
            await bot.send_message(m.chat.id, exc.message)
            return
        log.info("telegram upload: officer=%d noted item %d of submission=%s (len=%d)", officer, n, pid, len(note))
        await bot.send_message(m.chat.id, self._review_text(view), reply_markup=self._review_keyboard(view))


async def _answer(q: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    try:
        await q.answer(text=text, show_alert=alert)
    except TelegramError:
        pass


def officer_notifier(sender: TelegramSender, svc) -> OfficerNotifier:
    """Tell every officer of a new submission in their private chat; False (retry later) on a
    network error or before Telegram is connected."""

    async def notify(view: SubmissionView) -> bool:
        if not sender.connected:
            return False
        text = dialogue.officer_notice(svc, view)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Xem hồ sơ", callback_data=f"{PREFIX}v:{view.public_id}")]])
        for officer in sorted(svc.officer_ids):
            try:
                await sender.bot.send_message(officer, text, reply_markup=markup)
            except TgForbidden:
                log.warning("telegram upload: officer %d has not started the bot; not notified", officer)
            except TelegramError as exc:
                if "chat not found" in str(exc).lower():
                    log.warning("telegram upload: officer %d unknown to Telegram; not notified", officer)
                    continue
                raise
        log.info("telegram upload: officers notified of submission=%s", view.public_id)
        return True

    return notify


__all__ = ["TelegramUploads", "officer_notifier", "Forbidden"]
