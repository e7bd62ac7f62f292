"""What both Zalo channels share: text splitting, numbered choices, and the resident-side flow.

Zalo's Bot Platform has no buttons and the OA's buttons send their payload back as typed text,
so every choice is numbered ("1. Lệ phí …") and the list is remembered per resident
(`zalo_choices`): a reply "2" — typed, or an OA button whose payload is "2" — picks the second
choice, also after a gateway restart. A resident's message goes through the outbox like every
channel's (kept when Rasa is down), images/files through bot/uploads.py.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable

from sqlalchemy import delete, select

from bot.core import EMPTY_TEXT, SERVICE_DOWN_TEXT
from bot.messages import FILE_NOT_SHOWN_TEXT, Attachment, Button, IncomingMessage, OutgoingMessage
from bot.outbox import Outbox, with_header
from bot.rasa_client import RasaUnavailable
from bot.uploads import UploadGateway
from hotich import identity
from hotich.db.base import utcnow
from hotich.db.models import ZaloChoice
from hotich.db.session import session_scope
from hotich.privacy.logid import log_id

log = logging.getLogger(__name__)

MAX_TEXT = 2000                # Zalo refuses longer texts (OA error -210, Bot 400)
CHOOSE_HINT = "Anh/chị trả lời bằng số thứ tự (ví dụ: 1) để chọn."
STICKER_TEXT = "Dạ, em cảm ơn anh/chị. Anh/chị cần hỏi gì về hộ tịch cứ nhắn em bằng chữ nhé."
UNSUPPORTED_TEXT = ("Dạ, em chưa đọc được loại tin nhắn này. Anh/chị vui lòng nhắn bằng chữ, "
                    "hoặc gửi ảnh giấy tờ khi em hỏi.")
DOWNLOAD_FAILED = "Dạ, em chưa tải được ảnh/tệp này từ Zalo. Anh/chị vui lòng gửi lại sau ít phút."
_NUMBER = re.compile(r"^\s*(?:số\s*)?(\d{1,2})\s*[.)]?\s*$", re.I)


# ---------------------------------------------------------------------------- text

def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Plain text → parts of at most `limit` characters, cut between paragraphs, then lines,
    then words (a word longer than the limit is cut inside)."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    cur = ""
    for unit, sep in _units(text, limit):
        if not cur:
            cur = unit
        elif len(cur) + len(sep) + len(unit) <= limit:
            cur += sep + unit
        else:
            parts.append(cur)
            cur = unit
    if cur:
        parts.append(cur)
    return parts


def _units(text: str, limit: int) -> list[tuple[str, str]]:
    """(piece, separator before it), each piece ≤ limit."""
    out: list[tuple[str, str]] = []
    for para in re.split(r"\n\s*\n", text):
        if len(para) <= limit:
            out.append((para, "\n\n"))
            continue
        first = True
        for line in para.split("\n"):
            for piece in ([line] if len(line) <= limit else _words(line, limit)):
                out.append((piece, "\n\n" if first else "\n"))
                first = False
    return out


def _words(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    cur = ""
    for word in re.split(r"(?<=\s)", line):
        while len(word) > limit:
            if cur:
                pieces.append(cur.rstrip())
                cur = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if len(cur) + len(word) <= limit:
            cur += word
        else:
            pieces.append(cur.rstrip())
            cur = word
    if cur.strip():
        pieces.append(cur.rstrip())
    return pieces


# ---------------------------------------------------------------------------- choices

def is_link(button: Button) -> bool:
    return bool(re.match(r"^https?://", button.payload))


def numbered(buttons: list[Button], start: int = 1) -> list[str]:
    """'1. Lệ phí', '2. Giấy tờ' …; links are listed with their address, not numbered."""
    lines, n = [], start
    for b in buttons:
        title = (b.title or b.payload).strip()
        if is_link(b):
            lines.append(f"• {title}: {b.payload}")
        else:
            lines.append(f"{n}. {title}")
            n += 1
    return lines


class ChoiceMemory:
    """The numbered choices last shown to each Zalo resident (durable)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def remember(self, sender_id: str, payloads: list[str]) -> None:
        with session_scope(self.db_url) as s:
            row = s.get(ZaloChoice, sender_id)
            if not payloads:
                if row is not None:
                    s.delete(row)
                return
            if row is None:
                s.add(ZaloChoice(sender_id=sender_id, payloads=json.dumps(payloads, ensure_ascii=False)))
            else:
                row.payloads = json.dumps(payloads, ensure_ascii=False)
                row.updated_at = utcnow()

    def pick(self, sender_id: str, text: str) -> str | None:
        """The payload a reply like "2" or "2." picks, or None."""
        m = _NUMBER.match(text or "")
        if not m:
            return None
        with session_scope(self.db_url) as s:
            raw = s.scalar(select(ZaloChoice.payloads).where(ZaloChoice.sender_id == sender_id))
        payloads = json.loads(raw) if raw else []
        n = int(m.group(1))
        return payloads[n - 1] if 1 <= n <= len(payloads) else None

    def forget(self, sender_id: str) -> None:
        with session_scope(self.db_url) as s:
            s.execute(delete(ZaloChoice).where(ZaloChoice.sender_id == sender_id))


@dataclass
class Part:
    """One thing a Zalo channel sends: text (≤ 2000), with the numbered choices it offers
    (title, number) when the channel can show them as buttons, or an image URL."""
    text: str = ""
    choices: list[tuple[str, str]] | None = None      # (title, number as payload)
    image: str | None = None
    file: Attachment | None = None


def plan(messages: list[OutgoingMessage], buttons_as_list: bool, files: bool = False, max_buttons: int = 5
         ) -> tuple[list[Part], list[str]]:
    """Neutral messages → Zalo parts, and the payloads the numbers stand for (in order).
    `buttons_as_list`: choices are written into the text (Bot Platform); otherwise they become
    OA buttons whose payload is the number, unless there are more than `max_buttons`.
    `files`: the channel can send files (OA); otherwise an attachment becomes a note."""
    parts: list[Part] = []
    payloads: list[str] = []
    for m in messages:
        if m.image:
            parts.append(Part(image=m.image))
        if m.attachment is not None:
            parts.append(Part(file=m.attachment) if files else Part(FILE_NOT_SHOWN_TEXT))
        choosable = [b for b in m.buttons if not is_link(b)]
        start = len(payloads) + 1
        payloads += [b.payload for b in choosable]
        text = m.text.strip()
        # OA buttons only when every choice fits as one (a link cannot be an oa.query.show button)
        as_buttons = (bool(choosable) and not buttons_as_list and len(choosable) == len(m.buttons)
                      and len(m.buttons) <= max_buttons)
        if m.buttons and not as_buttons:
            text = "\n".join(x for x in (text, "\n".join(numbered(m.buttons, start)), CHOOSE_HINT) if x)
        chunks = split_text(text) if text else []
        if as_buttons:
            if not chunks:
                chunks = [CHOOSE_HINT]
            parts += [Part(c) for c in chunks[:-1]]
            parts.append(Part(chunks[-1], [(f"{i}. {b.title}"[:100], str(i))
                                           for i, b in enumerate(choosable, start)]))
        else:
            parts += [Part(c) for c in chunks]
    return parts, payloads


# ---------------------------------------------------------------------------- the resident side

# (user id, parts) → sent; raises DeliveryError on failure.
SendParts = Callable[[str, list[Part]], Awaitable[None]]
# () → the file's bytes (downloaded from Zalo).
Fetch = Callable[[], Awaitable[bytes]]


class ZaloOutgoing:
    """Sending to a Zalo resident: render, remember the numbered choices, send. Also the
    delivery port's Pusher for the channel (the client raises DeliveryError)."""

    def __init__(self, channel: str, send: SendParts, choices: ChoiceMemory, buttons_as_list: bool,
                 files: bool = False) -> None:
        self.channel = channel
        self.send_parts = send
        self.choices = choices
        self.buttons_as_list = buttons_as_list
        self.files = files

    async def deliver(self, user_id: str, messages: list[OutgoingMessage], remember_empty: bool = False) -> None:
        """The numbers shown become the resident's current choices. An answer without choices
        clears them (a later "2" is then text); a push without choices keeps them."""
        parts, payloads = plan(messages, self.buttons_as_list, self.files)
        if payloads or remember_empty:
            await asyncio.to_thread(self.choices.remember, identity.sender_id(self.channel, user_id), payloads)
        if parts:
            await self.send_parts(user_id, parts)

    async def push(self, user_id: str, messages: list[OutgoingMessage], kind: str) -> None:
        await self.deliver(user_id, with_header(messages, kind))


class ZaloResidents:
    """Turns a Zalo resident's text / image / other message into replies, for either channel."""

    def __init__(self, outgoing: ZaloOutgoing, outbox: Outbox, uploads: UploadGateway) -> None:
        self.channel = outgoing.channel
        self.outgoing = outgoing
        self.choices = outgoing.choices
        self.outbox = outbox
        self.uploads = uploads
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def lock(self, user_id: str) -> AsyncIterator[None]:
        """One message at a time per resident, so answers keep the order of the questions."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            yield
        if not lock.locked() and not getattr(lock, "_waiters", None):
            self._locks.pop(user_id, None)

    async def on_text(self, user_id: str, text: str, display_name: str | None = None) -> None:
        sender = identity.sender_id(self.channel, user_id)
        async with self.lock(user_id):
            payload = await asyncio.to_thread(self.choices.pick, sender, text)
            if payload is not None:
                msg = IncomingMessage(self.channel, user_id, payload=payload, display_name=display_name)
            else:
                # Only our numbers become payloads: "/intent" typed by a resident is plain text.
                cleaned = (text or "").strip().lstrip("/").strip()
                msg = (IncomingMessage(self.channel, user_id, text=cleaned, display_name=display_name) if cleaned
                       else IncomingMessage(self.channel, user_id, start_payload="", display_name=display_name))
            log.info("%s: message user=%s kind=%s len=%d", self.channel, log_id(user_id),
                     "choice" if payload is not None else "text", len(text or ""))
            await self.reply(user_id, await self._answer(msg))

    async def on_start(self, user_id: str, display_name: str | None = None) -> None:
        """The resident followed / opened the chat: the normal welcome."""
        async with self.lock(user_id):
            await self.reply(user_id, await self._answer(
                IncomingMessage(self.channel, user_id, start_payload="", display_name=display_name)))

    async def on_file(self, user_id: str, fetch: Fetch, declared_size: int | None, filename: str | None,
                      display_name: str | None = None) -> None:
        """A photo or file: consent and draft checked first, then downloaded, validated, stored."""
        async with self.lock(user_id):
            db = self.uploads.service.db_url
            resident_id, _ = await asyncio.to_thread(identity.touch, db, self.channel, user_id, display_name)
            replies = self.uploads.refuse_declared(declared_size) or await self.uploads.precheck(resident_id)
            if replies is None:
                try:
                    data = await fetch()
                except Exception as exc:
                    log.warning("%s: download of a file from user=%s failed: %s", self.channel, log_id(user_id),
                                type(exc).__name__)
                    replies = [OutgoingMessage(DOWNLOAD_FAILED)]
                else:
                    log.info("%s: file from user=%s size=%d", self.channel, log_id(user_id), len(data))
                    replies = await self.uploads.receive(resident_id, data, filename)
            await self.reply(user_id, replies)

    async def on_other(self, user_id: str, sticker: bool = False) -> None:
        async with self.lock(user_id):
            await self.reply(user_id, [OutgoingMessage(STICKER_TEXT if sticker else UNSUPPORTED_TEXT)])

    async def _answer(self, msg: IncomingMessage) -> list[OutgoingMessage]:
        try:
            return await self.outbox.handle(msg)
        except RasaUnavailable as exc:
            log.warning("%s: Rasa unavailable for user=%s (%s)", self.channel, log_id(msg.user_id), type(exc).__name__)
            return [OutgoingMessage(SERVICE_DOWN_TEXT)]
        except Exception:
            log.exception("%s: could not handle a message from user=%s", self.channel, log_id(msg.user_id))
            return [OutgoingMessage(EMPTY_TEXT)]

    async def reply(self, user_id: str, messages: list[OutgoingMessage]) -> None:
        """Answer the resident now (they just wrote: the channel accepts it)."""
        try:
            await self.outgoing.deliver(user_id, messages, remember_empty=True)
        except Exception as exc:
            log.warning("%s: replying to user=%s failed: %s", self.channel, log_id(user_id), type(exc).__name__)
