"""The officers' side of the hand-off in Telegram: a staff supergroup with forum topics.

One topic per escalated resident, created by the bot, opening with the context (bot/handoff.py).
In a topic, configured officers (OFFICER_TELEGRAM_IDS) type:

    /nhan                     take the chat (of two officers at once exactly one gets it)
    /dong                     close: the bot answers again ("Bạn cần hỏi thêm gì không?")
    /chuyen <id | @username>  forward to another officer

and everything else they write in a topic they own goes to the resident: Telegram residents get
a copy_message (text and media), residents of other channels get the text through the delivery
port. Residents' messages come into the topic; papers they send are stored like any papers sent
ahead and only announced in the topic. Anyone else in the group is ignored, silently.

`StaffTopics` is the sending side (bot/handoff.py's StaffChannel, and where the delivery port
tells officers that a resident cannot be reached); `StaffDesk` handles the group's updates.
Never log message content: ids, kinds and lengths only.
"""
from __future__ import annotations

import asyncio
import html
import logging
import re

from telegram import Bot, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.delivery import GIVEN_UP_TEXT
from bot.handoff import HandoffService
from bot.messages import FILE_NOT_SHOWN_TEXT, Attachment, OutgoingMessage
from bot.telegram.sender import TelegramSender
from hotich.handoff import ownership
from hotich.handoff.ownership import OFFICER, Conversation
from hotich.identity import TELEGRAM, ZALO_OA, Address

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/(?P<name>[A-Za-z_]+)(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+(?P<arg>.*))?$", re.S)

TAKEN = "✅ {who} đã nhận cuộc trò chuyện. Tin nhắn của bạn trong chủ đề này sẽ được gửi tới người dân."
ALREADY_YOURS = "Bạn đã nhận cuộc trò chuyện này rồi."
TAKEN_BY_OTHER = "Cuộc trò chuyện này đã có cán bộ khác nhận."
NOT_OPEN = "Cuộc trò chuyện này đã kết thúc; trợ lý tự động đang trả lời người dân."
NOT_YOURS = "Cuộc trò chuyện này do cán bộ khác phụ trách; chỉ cán bộ đó mới đóng hoặc chuyển được."
TAKE_FIRST = "Gõ /nhan để nhận cuộc trò chuyện trước khi trả lời người dân."
CLOSED = "🔒 {who} đã kết thúc cuộc trò chuyện; trợ lý tự động tiếp tục trả lời người dân."
FORWARDED = "🔁 {who} đã chuyển cuộc trò chuyện cho {target}."
FORWARD_USAGE = "Cách dùng: /chuyen <mã Telegram của cán bộ> hoặc /chuyen @tên_người_dùng"
FORWARD_UNKNOWN = "Không tìm thấy cán bộ này trong danh sách cán bộ được cấu hình."
UNKNOWN_TOPIC = "Chủ đề này không gắn với cuộc trò chuyện nào đang mở."
RESIDENT_BLOCKED = "⚠️ Không gửi được: người dân đã chặn trợ lý hoặc rời cuộc trò chuyện."
# Channels the officer's photos and documents are passed on to as files, with Zalo OA's limits.
FILE_CHANNELS = {ZALO_OA}
MAX_IMAGE_BYTES, MAX_FILE_BYTES = 1024 * 1024, 5 * 1024 * 1024
FILE_EXTENSIONS = (".pdf", ".doc", ".docx")
REOPENED = "🔄 Người dân lại yêu cầu gặp cán bộ."


def _kind(m: Message) -> str:
    for k in ("photo", "document", "video", "voice", "audio", "sticker", "animation", "video_note", "contact",
              "location"):
        if getattr(m, k, None):
            return k
    return "text" if m.text else "other"


class StaffTopics:
    """Posting in the staff group: one topic per escalated resident."""

    def __init__(self, sender: TelegramSender, staff_chat_id: int, db_url: str) -> None:
        self.sender = sender
        self.chat_id = staff_chat_id
        self.db_url = db_url

    @property
    def bot(self) -> Bot:
        return self.sender.bot

    async def open_topic(self, conv: Conversation, title: str, text: str) -> int | None:
        topic_id = conv.topic_id
        if topic_id is not None:
            try:   # a resident escalating again continues in their topic
                await self.bot.reopen_forum_topic(self.chat_id, topic_id)
                await self.bot.send_message(self.chat_id, REOPENED, message_thread_id=topic_id)
            except BadRequest as exc:
                if "not_modified" not in str(exc).lower() and "topic_not_modified" not in str(exc).lower():
                    log.info("staff: topic %d not reusable (%s); creating a new one", topic_id, type(exc).__name__)
                    topic_id = None
        if topic_id is None:
            topic = await self.bot.create_forum_topic(self.chat_id, title)
            topic_id = topic.message_thread_id
        await self.send_text(topic_id, text)
        log.info("staff: topic %d opened for conv=%d", topic_id, conv.id)
        return topic_id

    async def post(self, conv: Conversation, text: str) -> None:
        if conv.topic_id is not None:
            await self.send_text(conv.topic_id, text)

    async def close_topic(self, conv: Conversation, note: str) -> None:
        if conv.topic_id is None:
            return
        await self.send_text(conv.topic_id, note)
        try:
            await self.bot.close_forum_topic(self.chat_id, conv.topic_id)
        except BadRequest as exc:   # already closed
            log.info("staff: closing topic %d: %s", conv.topic_id, type(exc).__name__)

    async def delete_erased_topics(self) -> int:
        """Topics of residents who erased their data: deleted in the staff group (their context and
        messages go with them), then forgotten. Kept for the next round when Telegram is unreachable."""
        done = 0
        for conv_id, topic_id in await asyncio.to_thread(ownership.erased_topics, self.db_url):
            try:
                await self.bot.delete_forum_topic(self.chat_id, topic_id)
            except BadRequest as exc:    # already gone (deleted by hand): nothing left to delete
                log.info("staff: topic %d of an erased conversation: %s", topic_id, type(exc).__name__)
            except TelegramError as exc:
                log.warning("staff: deleting topic %d failed (%s); will retry", topic_id, type(exc).__name__)
                continue
            await asyncio.to_thread(ownership.set_topic, self.db_url, conv_id, None)
            done += 1
        return done

    async def send_text(self, topic_id: int | None, text: str) -> None:
        # Plain text (no parse mode): residents' words must not be read as markup.
        for start in range(0, len(text), 4000):
            await self.bot.send_message(self.chat_id, text[start:start + 4000], message_thread_id=topic_id)

    async def undeliverable(self, to: Address, kind: str, reason: str) -> None:
        """The delivery port gave up on a resident: say so in their topic (or the group's General)."""
        conv = await asyncio.to_thread(ownership.get, self.db_url, to.sender_id)
        topic_id = conv.topic_id if conv is not None else None
        text = GIVEN_UP_TEXT.get(reason, GIVEN_UP_TEXT["retries"])
        if topic_id is None:
            text += f"\n(Kênh: {to.channel}, loại tin: {kind})"
        await self.send_text(topic_id, text)


class StaffDesk:
    def __init__(self, handoff: HandoffService, topics: StaffTopics, officer_ids: frozenset[int]) -> None:
        self.handoff = handoff
        self.topics = topics
        self.chat_id = topics.chat_id
        self.officers = officer_ids
        self._usernames: dict[str, int] = {}   # @username (lower) → officer id, learnt on the way
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def bot(self) -> Bot:
        return self.topics.bot

    # -- updates ------------------------------------------------------------------------------------

    async def handle_update(self, bot: Bot, update: Update) -> bool:
        """True when the update was the staff desk's (handled or deliberately ignored)."""
        if update.callback_query is not None:
            msg = update.callback_query.message
            return msg is not None and msg.chat.id == self.chat_id
        m = update.message
        if m is None or m.chat.id != self.chat_id:
            return False
        try:
            await self._on_staff_message(bot, m)
        except TelegramError as exc:
            log.warning("staff: handling a staff message failed: %s", type(exc).__name__)
        return True

    async def _on_staff_message(self, bot: Bot, m: Message) -> None:
        user = m.from_user
        if user is None or user.is_bot or user.id not in self.officers:
            log.info("staff: message from a non-officer ignored")
            return
        if user.username:
            self._usernames[user.username.lower()] = user.id
        if m.forum_topic_created or m.forum_topic_closed or m.forum_topic_reopened or m.forum_topic_edited:
            return
        topic_id = m.message_thread_id if m.is_topic_message else None
        if topic_id is None:
            return   # the General topic is the officers' own space
        async with self._topic_lock(topic_id):   # one officer action at a time per topic
            await self._in_topic(bot, m, user, topic_id)

    def _topic_lock(self, topic_id: int) -> asyncio.Lock:
        return self._locks.setdefault(topic_id, asyncio.Lock())

    async def _in_topic(self, bot: Bot, m: Message, user, topic_id: int) -> None:
        conv = await asyncio.to_thread(ownership.get_by_topic, self.handoff.db_url, topic_id)
        cmd = _COMMAND.match(m.text.strip()) if m.text else None
        if cmd and cmd.group("bot") and cmd.group("bot").lower() != (bot.username or "").lower():
            return
        if conv is None:
            if cmd:
                await self._reply(topic_id, UNKNOWN_TOPIC)
            return
        if cmd:
            name, arg = cmd.group("name").lower(), (cmd.group("arg") or "").strip()
            if name == "nhan":
                await self._take(conv, user.id, user.full_name)
            elif name == "dong":
                await self._close(conv, user.id, user.full_name)
            elif name == "chuyen":
                await self._forward(bot, conv, user.id, user.full_name, arg)
            # other commands belong to other features (/lichhen, /hoso, …): never sent to the resident
            return
        await self._officer_message(bot, conv, user.id, m)

    async def _reply(self, topic_id: int, text: str) -> None:
        await self.bot.send_message(self.chat_id, text, message_thread_id=topic_id)

    async def _take(self, conv: Conversation, officer_id: int, who: str) -> None:
        t = await asyncio.to_thread(ownership.take, self.handoff.db_url, conv.id, officer_id)
        if not t.ok:
            await self._reply(conv.topic_id, {"already_yours": ALREADY_YOURS, "taken": TAKEN_BY_OTHER}
                              .get(t.refused or "", NOT_OPEN))
            return
        log.info("staff: conv=%d taken by officer=%d", conv.id, officer_id)
        await self._reply(conv.topic_id, TAKEN.format(who=who))
        await self.handoff.taken(t.conversation)

    async def _close(self, conv: Conversation, officer_id: int, who: str) -> None:
        t = await asyncio.to_thread(ownership.close, self.handoff.db_url, conv.id, officer_id)
        if not t.ok:
            await self._reply(conv.topic_id, NOT_YOURS if t.refused == "not_yours" else NOT_OPEN)
            return
        log.info("staff: conv=%d closed by officer=%d", conv.id, officer_id)
        await self.handoff.hand_back(t.conversation)
        await self.topics.close_topic(t.conversation, CLOSED.format(who=who))

    async def _forward(self, bot: Bot, conv: Conversation, officer_id: int, who: str, arg: str) -> None:
        target = await self._resolve_officer(bot, arg)
        if not arg:
            await self._reply(conv.topic_id, FORWARD_USAGE)
            return
        if target is None:
            await self._reply(conv.topic_id, FORWARD_UNKNOWN)
            return
        t = await asyncio.to_thread(ownership.forward, self.handoff.db_url, conv.id, officer_id, target)
        if not t.ok:
            text = {"not_yours": NOT_YOURS, "same_officer": ALREADY_YOURS}.get(t.refused or "", NOT_OPEN)
            await self._reply(conv.topic_id, text)
            return
        log.info("staff: conv=%d forwarded officer=%d → officer=%d", conv.id, officer_id, target)
        name = await self._officer_name(bot, target)
        # An HTML mention notifies the officer the chat was passed to.
        text = FORWARDED.format(who=html.escape(who), target=f'<a href="tg://user?id={target}">{html.escape(name)}</a>')
        await self.bot.send_message(self.chat_id, text, message_thread_id=conv.topic_id, parse_mode=ParseMode.HTML)
        if conv.owner != OFFICER:   # assigned straight from the queue: the resident hears a person has it
            await self.handoff.taken(t.conversation)

    async def _attachment(self, bot: Bot, m: Message) -> Attachment | None:
        """The officer's photo or document as a file for the resident's channel (None when it is
        too big or of a kind that channel does not take)."""
        if m.photo:
            fitting = [p for p in m.photo if (p.file_size or 0) <= MAX_IMAGE_BYTES] or m.photo[:1]
            file_id, name, image, limit = fitting[-1].file_id, "anh.jpg", True, MAX_IMAGE_BYTES
        elif m.document is not None and (m.document.file_name or "").lower().endswith(FILE_EXTENSIONS):
            file_id, name, image, limit = m.document.file_id, m.document.file_name, False, MAX_FILE_BYTES
        else:
            return None
        try:
            data = bytes(await (await bot.get_file(file_id)).download_as_bytearray())
        except TelegramError as exc:
            log.warning("staff: downloading an officer's file failed: %s", type(exc).__name__)
            return None
        return Attachment(name, data, image) if len(data) <= limit else None

    async def _resolve_officer(self, bot: Bot, arg: str) -> int | None:
        arg = arg.strip()
        if re.fullmatch(r"\d{1,20}", arg):
            return int(arg) if int(arg) in self.officers else None
        name = arg.lstrip("@").lower()
        if not name:
            return None
        if name in self._usernames:
            return self._usernames[name]
        for officer in self.officers:   # learn officers' usernames from the group's member list
            try:
                member = await bot.get_chat_member(self.chat_id, officer)
            except TelegramError:
                continue
            if member.user.username:
                self._usernames[member.user.username.lower()] = officer
        return self._usernames.get(name)

    async def _officer_name(self, bot: Bot, officer_id: int) -> str:
        try:
            return (await bot.get_chat_member(self.chat_id, officer_id)).user.full_name
        except TelegramError:
            return str(officer_id)

    async def _officer_message(self, bot: Bot, conv: Conversation, officer_id: int, m: Message) -> None:
        if conv.owner != OFFICER:
            await self._reply(conv.topic_id, TAKE_FIRST if conv.with_human else NOT_OPEN)
            return
        if conv.officer_id != officer_id:
            return   # a colleague commenting in the topic: not for the resident
        kind = _kind(m)
        # Kept first, so the log follows the order messages reached the gateway.
        await self.handoff.officer_text(conv, officer_id, m.text or m.caption, kind)
        if conv.channel == TELEGRAM:
            try:
                await bot.copy_message(int(conv.user_id), self.chat_id, m.message_id)
            except Forbidden:
                await self._reply(conv.topic_id, RESIDENT_BLOCKED)
                return
        elif kind == "text":
            await self.handoff.send_to_resident(conv, [OutgoingMessage(m.text or "", custom={"handoff": "officer"})])
        else:
            attachment = await self._attachment(bot, m) if conv.channel in FILE_CHANNELS else None
            text = "\n".join(x for x in (m.caption, None if attachment is not None else FILE_NOT_SHOWN_TEXT) if x)
            await self.handoff.send_to_resident(conv, [OutgoingMessage(text, custom={"handoff": "officer"},
                                                                       attachment=attachment)])
        log.info("staff: officer %s relayed conv=%d len=%d", kind, conv.id, len(m.text or m.caption or ""))
