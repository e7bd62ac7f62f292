"""Gateway task: hands due appointment reminders and officer-closure notices to the delivery port.

Channel-agnostic. The notices live in the DB (hotich.booking.reminders), so they survive restarts
and each is claimed by one sender before it is handed over. Once the delivery port has it
(bot/delivery.py: stored, then pushed — or kept for the web page), the notice is marked sent;
the port's own queue does the retrying, so a resident whose channel is down still gets it later.
"""
from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Callable

from bot.background import BackgroundJob
from bot.delivery import Delivery
from bot.identity import Address
from bot.messages import OutgoingMessage
from hotich.booking import reminders as rem
from hotich.booking.clock import Clock, clock_from_env
from hotich.booking.service import BookingService
from hotich.commune import CommuneProfile

log = logging.getLogger(__name__)


class NoticeSender(BackgroundJob):
    job_name = "booking-notices"

    def __init__(self, db_url: str, profile: CommuneProfile, checklist_for: Callable[[str], list[str]],
                 delivery: Delivery, clock: Clock | None = None, interval_s: float = 30.0) -> None:
        self.db_url = db_url
        self.profile = profile
        self.checklist_for = checklist_for
        self.delivery = delivery
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
                await self.delivery.send(Address(notice.channel, notice.user_id),
                                         [OutgoingMessage.from_reply(notice.message)], "notice")
            except Exception as exc:
                log.warning("notice %d (%s): not handed over: %s", nid, notice.kind, type(exc).__name__)
                await asyncio.to_thread(rem.release, self.db_url, nid, self.worker)
                continue
            await asyncio.to_thread(rem.mark_sent, self.db_url, nid, self.worker, self.clock())
            log.info("notice %d (%s) handed over for a %s resident", nid, notice.kind, notice.channel)
            sent += 1
        today = now.date()
        if self._last_purge != today:       # names/phones of past appointments, once a day
            self._last_purge = today
            svc = BookingService(self.db_url, self.profile, self.clock)
            await asyncio.to_thread(svc.purge_past)
        return sent

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notice sender round failed")
            await asyncio.sleep(self.interval_s)


def checklist_for(kb_dir) -> Callable[[str], list[str]]:
    """The papers checklist put in reminders (empty if the KB cannot be loaded)."""
    from hotich.kb import KnowledgeBase

    try:
        return rem.checklist_from_kb(KnowledgeBase.load(kb_dir))
    except Exception:
        log.exception("KB not loaded: reminders go out without the papers checklist")
        return lambda _p: []
