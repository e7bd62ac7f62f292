"""Files residents send ahead, on any channel: validate → store (encrypted) → "Đây là: …" buttons.

The gateway is the only process that sees file bytes. Channel adapters call
`UploadGateway.receive(...)` with the bytes and render the returned OutgoingMessages; the buttons
go back through Rasa (intent upload_documents), whose actions do the rest of the dialogue.

Background work (`UploadTasks`, started by bot/app.py): notify officers of new submissions and run
the retention purge. Both are driven by DB columns (`officers_notified_at`, `purge_after`), so
they survive restarts and never act twice on the same row.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Awaitable, Callable

from bot.background import BackgroundJob
from bot.messages import Button, OutgoingMessage
from hotich.assistant.replies import ReplyMessage
from hotich.config import Settings, load_settings
from hotich.db.base import utcnow
from hotich.db.models import PendingMessage
from hotich.db.session import session_scope
from hotich.uploads import dialogue
from hotich.uploads.service import Recipient, SubmissionView, UploadError, UploadService
from hotich.uploads.validate import Rejected

log = logging.getLogger(__name__)

ERR_SAVE = "Xin lỗi, mình chưa lưu được tệp này. Bạn vui lòng gửi lại sau ít phút."

# (submission) → True when every officer was told.
OfficerNotifier = Callable[[SubmissionView], Awaitable[bool]]
# (user_id, messages) → True when the resident got them.
ResidentNotifier = Callable[[str, list[OutgoingMessage]], Awaitable[bool]]


def to_outgoing(*messages: ReplyMessage) -> list[OutgoingMessage]:
    return [OutgoingMessage(text=m.text, buttons=[Button(b.title, b.payload) for b in m.buttons]) for m in messages]


def _queue_for_resident(db_url: str, recipient: Recipient, messages: list[OutgoingMessage]) -> None:
    """A message the resident gets at their next visit: stored as an answered outbox row, which the
    web page collects with GET /api/pending and Telegram's outbox deliverer pushes."""
    with session_scope(db_url) as s:
        s.add(PendingMessage(sender_id=f"{recipient.channel}:{recipient.user_id}", channel=recipient.channel,
                             user_id=recipient.user_id, text=None, payload=None, attempts=0, answered_at=utcnow(),
                             answers=json.dumps([m.to_json() for m in messages], ensure_ascii=False)))


class UploadGateway:
    def __init__(self, service: UploadService) -> None:
        self.service = service
        self.officer_notifier: OfficerNotifier | None = None
        self.resident_notifiers: dict[str, ResidentNotifier] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> "UploadGateway":
        return cls(UploadService.from_settings(settings))

    @property
    def max_bytes(self) -> int:
        return self.service.max_bytes

    def refuse_declared(self, size: int | None) -> list[OutgoingMessage] | None:
        """Before a download: the refusal for a file announced as too big, else None."""
        try:
            self.service.check_declared_size(size)
        except Rejected as exc:
            return [OutgoingMessage(exc.message)]
        return None

    async def precheck(self, resident_id: int) -> list[OutgoingMessage] | None:
        """Before a download: why this file would not be kept (no consent, no draft, off), else None.
        Saves downloading bytes that would be thrown away."""
        return await asyncio.to_thread(self._precheck, resident_id)

    def _precheck(self, resident_id: int) -> list[OutgoingMessage] | None:
        svc = self.service
        if not svc.enabled:
            return [OutgoingMessage(svc_off_text())]
        if not svc.has_consent(resident_id):
            return to_outgoing(*dialogue.file_without_consent(svc.retention.days))
        if svc.draft(resident_id) is None:
            return to_outgoing(*dialogue.file_without_draft())
        return None

    async def receive(self, resident_id: int, data: bytes, filename: str | None) -> list[OutgoingMessage]:
        """One file from a resident → replies. The bytes are kept only if everything checks out."""
        return await asyncio.to_thread(self._receive, resident_id, data, filename)

    def _receive(self, resident_id: int, data: bytes, filename: str | None) -> list[OutgoingMessage]:
        svc = self.service
        early = self._precheck(resident_id)
        if early is not None:
            log.info("uploads: file from resident=%d not kept (size=%d, precheck)", resident_id, len(data))
            return early
        try:
            view, f = svc.add_file(resident_id, data, filename)
        except Rejected as exc:
            log.info("uploads: file from resident=%d refused (%s, size=%d)", resident_id, exc.code, len(data))
            return [OutgoingMessage(exc.message)]
        except UploadError as exc:
            log.info("uploads: file from resident=%d refused (%s)", resident_id, exc.code)
            if exc.code == "no_consent":
                return to_outgoing(*dialogue.file_without_consent(svc.retention.days))
            if exc.code == "no_draft":
                return to_outgoing(*dialogue.file_without_draft())
            return [OutgoingMessage(exc.message)]
        except Exception:
            log.exception("uploads: storing a file for resident=%d failed", resident_id)
            return [OutgoingMessage(ERR_SAVE)]
        return to_outgoing(dialogue.file_received(svc, view, f.public_id, f.size, f.kind))

    # -- notifications ----------------------------------------------------------------------------

    async def tell_resident(self, recipient: Recipient, messages: list[OutgoingMessage]) -> None:
        """Push to the resident's channel when it can push; otherwise (or on failure) keep it for
        their next visit."""
        notifier = self.resident_notifiers.get(recipient.channel)
        if notifier is not None:
            try:
                if await notifier(recipient.user_id, messages):
                    return
            except Exception as exc:
                log.warning("uploads: pushing a review result failed (%s); kept for later", type(exc).__name__)
        await asyncio.to_thread(_queue_for_resident, self.service.db_url, recipient, messages)

    async def notify_officers_once(self) -> int:
        if self.officer_notifier is None:
            return 0
        views = await asyncio.to_thread(self.service.to_notify)
        done = 0
        for view in views:
            try:
                ok = await self.officer_notifier(view)
            except Exception:
                log.exception("uploads: notifying officers of submission=%s failed", view.public_id)
                continue
            if ok:
                await asyncio.to_thread(self.service.mark_notified, view.public_id)
                done += 1
        return done

    async def purge_once(self) -> None:
        await asyncio.to_thread(self.service.purge)
        # Same schedule, same retention period for messages relayed to/from the officer.
        from hotich.privacy.erase import purge_old_handoff_messages
        await asyncio.to_thread(purge_old_handoff_messages, self.service.db_url, self.service.retention.days)


def svc_off_text() -> str:
    return ("Hiện xã chưa nhận giấy tờ gửi trước qua tin nhắn. Bạn vui lòng mang giấy tờ đến Trung tâm Phục vụ hành chính công "
            "của xã.")


class UploadTasks(BackgroundJob):
    """Officer notifications (every `notify_s`) and the retention purge (every `purge_s`, and once at
    start: a purge missed while the gateway was down happens at the next start)."""

    def __init__(self, gateway: UploadGateway, notify_s: float = 10.0, purge_s: float = 3600.0) -> None:
        self.gateway = gateway
        self.notify_s = notify_s
        self.purge_s = purge_s

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        while True:
            try:
                if loop.time() >= next_purge:
                    next_purge = loop.time() + self.purge_s
                    await self.gateway.purge_once()
                await self.gateway.notify_officers_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("uploads: background round failed")
            await asyncio.sleep(self.notify_s)


# ---------------------------------------------------------------------------- process singleton

_gateway: UploadGateway | None = None


def get_gateway(settings: Settings | None = None) -> UploadGateway:
    """The gateway process's UploadGateway (web endpoint and Telegram handlers share it)."""
    global _gateway
    if _gateway is None:
        _gateway = UploadGateway.from_settings(settings or load_settings())
    return _gateway


def set_gateway(gateway: UploadGateway | None) -> None:
    global _gateway
    _gateway = gateway


def install_uploads(settings: Settings) -> UploadTasks:
    """bot/app.py hook: the shared UploadGateway (before the channels start) and its background tasks
    (the caller starts and stops them)."""
    gateway = UploadGateway.from_settings(settings)
    set_gateway(gateway)
    return UploadTasks(gateway)
