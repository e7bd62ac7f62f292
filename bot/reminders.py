"""Gateway task: sends due appointment reminders and officer-closure notices (issue #4).

Channel-agnostic. The notices live in the DB (hotich.booking.reminders), so they survive restarts
and each is claimed by one sender before it is sent. Delivery goes through `send(channel, user_id,
OutgoingMessage)`: web sessions get the message stored for the page to collect
(GET /api/pending, the outbox's pending mechanism); other channels register a pusher with
`register_channel` (the Telegram adapter does, see bot/telegram/officer_booking.py). A notice for
a channel that has no pusher yet stays pending and is retried.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from typing import Awaitable, Callable

from bot.background import BackgroundJob
from bot.messages import Button, OutgoingMessage
from hotich.assistant.replies import ReplyMessage
from hotich.booking import reminders as rem
from hotich.booking.clock import Clock, clock_from_env
from hotich.booking.service import BookingService
from hotich.commune import CommuneProfile
from hotich.db.base import utcnow
from hotich.db.models import PendingMessage
from hotich.db.session import session_scope

log = logging.getLogger(__name__)

Send = Callable[[str, str, OutgoingMessage], Awaitable[bool]]
ChannelPush = Callable[[str, list[OutgoingMessage]], Awaitable[bool]]
_pushers: dict[str, ChannelPush] = {}


def register_channel(channel: str, push: ChannelPush | None) -> None:
    """A channel that can push messages (Telegram) registers here; None unregisters."""
    if push is None:
        _pushers.pop(channel, None)
    else:
        _pushers[channel] = push


def to_outgoing(msg: ReplyMessage) -> OutgoingMessage:
    return OutgoingMessage(text=msg.text, buttons=[Button(b.title, b.payload) for b in msg.buttons])


def store_for_web(db_url: str, user_id: str, msg: OutgoingMessage) -> None:
    """Leave the message where the web page polls (pending_messages, answered, not delivered)."""
    with session_scope(db_url) as s:
        s.add(PendingMessage(sender_id=f"web:{user_id}", channel="web", user_id=user_id, text=None, payload=None,
                             attempts=0, answered_at=utcnow(),
                             answers=json.dumps([msg.to_json()], ensure_ascii=False)))


def default_send(db_url: str) -> Send:
    async def send(channel: str, user_id: str, msg: OutgoingMessage) -> bool:
        if channel == "web":
            await asyncio.to_thread(store_for_web, db_url, user_id, msg)
            return True
        push = _pushers.get(channel)
        if push is None:
            return False                      # not connected (yet): keep it pending
        return bool(await push(user_id, [msg]))
    return send


class NoticeSender(BackgroundJob):
    job_name = "booking-notices"

    def __init__(self, db_url: str, profile: CommuneProfile, checklist_for: Callable[[str, str | None], list[str]],
                 send: Send, clock: Clock | None = None, interval_s: float = 30.0) -> None:
        self.db_url = db_url
        self.profile = profile
        self.checklist_for = checklist_for
        self.send = send
        self.clock = clock or clock_from_env()
        self.interval_s = interval_s
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._last_purge = None

    async def run_once(self) -> int:
        now = self.clock()
        sent = 0
        for nid in await asyncio.to_thread(rem.due_ids, self.db_url, now):
            if not await asyncio.to_thread(rem.claim, self.db_url, nid, self.worker, now):
                continue                                        # another gateway has it
            notice = await asyncio.to_thread(rem.build, self.db_url, nid, self.profile, self.checklist_for, now)
            if notice is None:
                await asyncio.to_thread(rem.mark_obsolete, self.db_url, nid, self.worker)
                continue
            try:
                ok = await self.send(notice.channel, notice.user_id, to_outgoing(notice.message))
            except Exception as exc:
                log.warning("notice %d (%s): send failed: %s", nid, notice.kind, type(exc).__name__)
                ok = False
            if not ok:
                await asyncio.to_thread(rem.release, self.db_url, nid, self.worker)
                continue
            await asyncio.to_thread(rem.mark_sent, self.db_url, nid, self.worker, self.clock())
            log.info("notice %d (%s) sent to %s user", nid, notice.kind, notice.channel)
            sent += 1
        today = now.date()
        if self._last_purge != today:       # names/phones of past appointments, once a day
            self._last_purge = today
            svc = BookingService(self.db_url, self.profile, self.clock)
            await asyncio.to_thread(svc.purge_past)
        return sent

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notice sender round failed")
            await asyncio.sleep(self.interval_s)

    async def _run(self) -> None:
        await self._loop()


def start_notice_sender(settings, profile: CommuneProfile) -> NoticeSender:
    """Called by bot/app.py once the channels are up."""
    from hotich.kb import KnowledgeBase

    try:
        checklist_for = rem.checklist_from_kb(KnowledgeBase.load(settings.kb_dir))
    except Exception:
        log.exception("KB not loaded: reminders go out without the papers checklist")
        checklist_for = lambda _p: []      # noqa: E731
    sender = NoticeSender(settings.database_url, profile, checklist_for, default_send(settings.database_url),
                          interval_s=float(os.environ.get("BOOKING_NOTICE_INTERVAL_S", "30")))
    sender.start()
    return sender
