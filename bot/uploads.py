"""Files residents send ahead, on any channel: validate → store (encrypted) → "Đây là: …" buttons.

The gateway is the only process that sees file bytes. Channel adapters (web, Telegram, Zalo)
call `UploadGateway.receive(...)` with the bytes and render the returned OutgoingMessages; the
buttons go back through Rasa (intent upload_documents), whose actions do the rest of the
dialogue. Papers sent while an officer has the chat go the same way (consent, validation,
encrypted storage); the officer gets a note in the staff topic (`papers_arrived`) and views
them through the officer review (/hoso), never as raw copies in the group.

Background work (`UploadTasks`): notify officers of new submissions and run the retention purge.
Both are driven by DB columns (`officers_notified_at`, `purge_after`), so they survive restarts
and never act twice on the same row. Review results reach the resident through the delivery
port (pushed, or kept for the web page).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from bot import identity
from bot.background import BackgroundJob
from bot.delivery import Delivery
from bot.messages import OutgoingMessage, from_replies
from hotich.uploads import dialogue
from hotich.uploads.service import ERR_OFF, Recipient, SubmissionView, UploadError, UploadService
from hotich.uploads.validate import Rejected

log = logging.getLogger(__name__)

ERR_SAVE = "Dạ, em xin lỗi, em chưa lưu được tệp này. Anh/chị vui lòng gửi lại sau ít phút."

# (submission) → True when every officer was told.
OfficerNotifier = Callable[[SubmissionView], Awaitable[bool]]
# (sender id, submission public id, files in it, procedure name) → the officer was told.
PapersArrived = Callable[[str, str, int, str], Awaitable[None]]


class UploadGateway:
    def __init__(self, service: UploadService, delivery: Delivery, officer_notifier: OfficerNotifier | None = None,
                 papers_arrived: PapersArrived | None = None) -> None:
        self.service = service
        self.delivery = delivery
        self.officer_notifier = officer_notifier
        self.papers_arrived = papers_arrived

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
            return [OutgoingMessage(ERR_OFF.message)]
        if not svc.has_consent(resident_id):
            return from_replies(*dialogue.file_without_consent(svc.retention.days))
        if svc.draft(resident_id) is None:
            return from_replies(*dialogue.file_without_draft())
        return None

    async def receive(self, resident_id: int, data: bytes, filename: str | None) -> list[OutgoingMessage]:
        """One file from a resident → replies. The bytes are kept only if everything checks out."""
        replies, view = await asyncio.to_thread(self._receive, resident_id, data, filename)
        if view is not None and self.papers_arrived is not None:
            to = await asyncio.to_thread(identity.resident_address, self.service.db_url, resident_id)
            if to is not None:
                await self.papers_arrived(to.sender_id, view.public_id, len(view.files),
                                          dialogue._name(view.procedure))
        return replies

    def _receive(self, resident_id: int, data: bytes, filename: str | None
                 ) -> tuple[list[OutgoingMessage], SubmissionView | None]:
        svc = self.service
        early = self._precheck(resident_id)
        if early is not None:
            log.info("uploads: file from resident=%d not kept (size=%d, precheck)", resident_id, len(data))
            return early, None
        try:
            view, f = svc.add_file(resident_id, data, filename)
        except Rejected as exc:
            log.info("uploads: file from resident=%d refused (%s, size=%d)", resident_id, exc.code, len(data))
            return [OutgoingMessage(exc.message)], None
        except UploadError as exc:
            log.info("uploads: file from resident=%d refused (%s)", resident_id, exc.code)
            if exc.code == "no_consent":
                return from_replies(*dialogue.file_without_consent(svc.retention.days)), None
            if exc.code == "no_draft":
                return from_replies(*dialogue.file_without_draft()), None
            return [OutgoingMessage(exc.message)], None
        except Exception:
            log.exception("uploads: storing a file for resident=%d failed", resident_id)
            return [OutgoingMessage(ERR_SAVE)], None
        return from_replies(dialogue.file_received(svc, view, f.public_id, f.size, f.kind)), view

    # -- notifications ----------------------------------------------------------------------------

    async def tell_resident(self, recipient: Recipient, messages: list[OutgoingMessage]) -> str:
        """The review result: pushed to the resident's channel, or kept for their next visit."""
        return await self.delivery.send(identity.Address(recipient.channel, recipient.user_id), messages, "review")

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


class UploadTasks(BackgroundJob):
    """Officer notifications (every `notify_s`) and the retention purge (every `purge_s`, and once at
    start: a purge missed while the gateway was down happens at the next start)."""

    job_name = "uploads"

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
