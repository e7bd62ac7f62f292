"""Durable inbound queue: messages that arrived while Rasa was down are kept, retried, answered once.

Channel-agnostic. Adapters call `Outbox.handle(msg)` instead of `GatewayCore.handle(msg)`:

* Rasa answers → the replies, as with the core.
* Rasa unavailable (or the commune DB busy) → the message is stored in `pending_messages` and
  RasaUnavailable is raised, so the adapter tells the resident at once (SERVICE_DOWN_TEXT).
* A background task retries the stored messages in order, per resident, when Rasa is back, and
  hands each answer to the delivery port (bot/delivery.py, kind "answer"): pushed to Telegram
  and Zalo residents, kept for the web page until it collects it.

A resident's newer message never overtakes an older queued one: it is held until the queue of
that resident is drained (or queued behind it when Rasa is still down).

Guarantees: a queued message reaches Rasa until Rasa answered it, and its answer is queued for
delivery in the same transaction that removes the message, so it is answered once and its
answer handed over once. If the process dies between Rasa answering and that commit, the message
is sent to Rasa again on restart. If the DB cannot even take the message (locked), it is kept in
memory and written by the next round.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from bot.background import BackgroundJob
from bot.core import EMPTY_TEXT, GatewayCore, start_message
from bot.delivery import Delivery, queue_in
from bot.messages import IncomingMessage, OutgoingMessage
from bot.rasa_client import RasaUnavailable
from hotich.db.models import PendingMessage
from hotich.db.session import session_scope
from hotich.identity import Address, address
from hotich.privacy.logid import log_id

log = logging.getLogger(__name__)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

# Said before the answer to a queued message when it is pushed (the resident may have moved on).
QUEUED_HEADER = "Dạ, hệ thống đã hoạt động trở lại. Đây là câu trả lời cho tin nhắn trước của anh/chị:"


def with_header(messages: list[OutgoingMessage], kind: str) -> list[OutgoingMessage]:
    """What a push channel sends for a queued unit: answers to queued messages get QUEUED_HEADER."""
    return [OutgoingMessage(QUEUED_HEADER), *messages] if kind == "answer" else messages


# A message Rasa keeps failing on while it answers other messages (e.g. a button whose action
# says nothing) is answered with EMPTY_TEXT after this many tries, so it cannot block the resident.
MAX_ATTEMPTS_WHILE_UP = 3
# "Rasa answers other messages" = it answered one *after* this message was queued. A success
# from before the outage proves nothing (that is how a queued message got lost during a restart).

# ---------------------------------------------------------------------------- database (sync)

def _enqueue(db_url: str, msg: IncomingMessage) -> int:
    # A deep link is stored as what it means to Rasa: its scan was already recorded by the core.
    payload = start_message(msg.start_payload) if msg.start_payload is not None else msg.payload
    text = None if payload is not None else (msg.text or "")
    with session_scope(db_url) as s:
        row = PendingMessage(sender_id=msg.sender_id, channel=msg.channel, user_id=msg.user_id,
                             text=text, payload=payload, attempts=1)
        s.add(row)
        s.flush()
        return row.id


def _unanswered_senders(db_url: str) -> dict[str, int]:
    with session_scope(db_url) as s:
        rows = s.execute(select(PendingMessage.sender_id, func.count())
                         .group_by(PendingMessage.sender_id)).all()
    return {sender: n for sender, n in rows}


def _unanswered_of(db_url: str, sender_id: str) -> list[PendingMessage]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(PendingMessage)
                              .where(PendingMessage.sender_id == sender_id)
                              .order_by(PendingMessage.id)))


def _count_attempt(db_url: str, pending_id: int) -> int:
    with session_scope(db_url) as s:
        s.execute(update(PendingMessage).where(PendingMessage.id == pending_id)
                  .values(attempts=PendingMessage.attempts + 1))
        return s.scalar(select(PendingMessage.attempts).where(PendingMessage.id == pending_id)) or 0


def _store_answers(db_url: str, row: PendingMessage, answers: list[OutgoingMessage]) -> bool:
    """Remove the answered message and queue its answer, in one transaction."""
    with session_scope(db_url) as s:
        res = s.execute(delete(PendingMessage).where(PendingMessage.id == row.id))
        if res.rowcount != 1:
            return False          # answered meanwhile (another round)
        queue_in(s, Address(row.channel, row.user_id), "answer", answers)
        return True


def _count_unanswered(db_url: str, sender_id: str) -> int:
    with session_scope(db_url) as s:
        return s.scalar(select(func.count()).select_from(PendingMessage)
                        .where(PendingMessage.sender_id == sender_id)) or 0


# ---------------------------------------------------------------------------- the outbox

class Outbox(BackgroundJob):
    job_name = "outbox-retry"

    def __init__(self, core: GatewayCore, delivery: Delivery, db_url: str, retry_interval_s: float = 5.0) -> None:
        self.core = core
        self.delivery = delivery
        self.db_url = db_url
        self.retry_interval_s = retry_interval_s
        self._spool: list[IncomingMessage] = []     # messages the DB could not take (busy/locked)
        # Senders with unanswered queued messages (mirrors the table; one gateway process).
        # Lets the common path skip a DB query per message.
        self._waiting: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._last_ok_at: datetime | None = None    # when Rasa last answered a message

    # -- adapters ---------------------------------------------------------------------------

    async def handle(self, msg: IncomingMessage) -> list[OutgoingMessage]:
        """GatewayCore.handle, plus: keep the message when Rasa is down (then re-raise)."""
        sender = msg.sender_id
        if sender not in self._waiting:
            try:
                replies = await self.core.handle(msg)
            except (RasaUnavailable, OperationalError) as exc:
                await self._enqueue(msg)
                raise RasaUnavailable(type(exc).__name__) from exc
            self._last_ok_at = datetime.now(timezone.utc)
            if self._waiting:
                self._wake.set()   # Rasa answers again: retry the queue now, not at the next tick
            return replies
        # This resident has older queued messages: answer those first, in order.
        async with self._lock(sender):
            try:
                await self._drain_sender(sender)
                return await self.core.handle(msg)
            except (RasaUnavailable, OperationalError) as exc:
                await self._enqueue(msg)
                raise RasaUnavailable(type(exc).__name__) from exc

    async def waiting_count(self, channel: str, user_id: str) -> int:
        """How many of this resident's messages still wait for Rasa."""
        sender = Address(channel, user_id).sender_id
        if sender not in self._waiting:
            return 0
        return await asyncio.to_thread(_count_unanswered, self.db_url, sender)

    # -- background retry -------------------------------------------------------------------

    async def retry_once(self) -> int:
        """One retry round: answer queued messages while Rasa answers (their answers go to the
        delivery port). Returns how many messages were answered."""
        while self._spool:
            try:
                await asyncio.to_thread(_enqueue, self.db_url, self._spool[0])
            except OperationalError:
                break
            self._spool.pop(0)
        self._waiting = await asyncio.to_thread(_unanswered_senders, self.db_url)
        for msg in self._spool:                       # still in memory: keep their order too
            self._waiting[msg.sender_id] = self._waiting.get(msg.sender_id, 0) + 1
        answered = 0
        for sender in list(self._waiting):
            async with self._lock(sender):
                try:
                    answered += await self._drain_sender(sender)
                except (RasaUnavailable, OperationalError):
                    break   # still down: wait for the next round
        return answered

    async def _run(self) -> None:
        while True:
            try:
                await self.retry_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox: retry round failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.retry_interval_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    # -- internals ----------------------------------------------------------------------------

    def _lock(self, sender: str) -> asyncio.Lock:
        return self._locks.setdefault(sender, asyncio.Lock())

    async def _enqueue(self, msg: IncomingMessage) -> None:
        try:
            pending_id = await asyncio.to_thread(_enqueue, self.db_url, msg)
        except OperationalError:
            self._spool.append(msg)
            self._waiting[msg.sender_id] = self._waiting.get(msg.sender_id, 0) + 1
            log.warning("outbox: database busy; message of sender=%s kept in memory", log_id(msg.sender_id))
            return
        self._waiting[msg.sender_id] = self._waiting.get(msg.sender_id, 0) + 1
        log.warning("outbox: queued pending=%d sender=%s (Rasa unavailable)", pending_id, log_id(msg.sender_id))

    async def _drain_sender(self, sender: str) -> int:
        """Answer this sender's queued messages, oldest first. Caller holds the sender's lock.
        Raises RasaUnavailable (leaving the rest queued) when Rasa is still down."""
        rows = await asyncio.to_thread(_unanswered_of, self.db_url, sender)
        done = 0
        for row in rows:
            msg = IncomingMessage(channel=row.channel, user_id=row.user_id, text=row.text, payload=row.payload,
                                  metadata={"queued": True})
            try:
                answers = await self.core.handle(msg)
                self._last_ok_at = datetime.now(timezone.utc)
            except RasaUnavailable:
                attempts = await asyncio.to_thread(_count_attempt, self.db_url, row.id)
                rasa_up = self._last_ok_at is not None and self._last_ok_at > _aware(row.created_at)
                if not (rasa_up and attempts >= MAX_ATTEMPTS_WHILE_UP):
                    raise
                # Rasa answers others but never this one: say so instead of blocking the queue.
                log.warning("outbox: giving up on pending=%d sender=%s after %d attempts", row.id, log_id(sender), attempts)
                answers = [OutgoingMessage(text=EMPTY_TEXT)]
            if await asyncio.to_thread(_store_answers, self.db_url, row, answers):
                done += 1
                log.info("outbox: answered pending=%d sender=%s after %d attempt(s)", row.id, log_id(sender), row.attempts)
        self._waiting.pop(sender, None)
        self._locks.pop(sender, None)
        if done:
            await self.delivery.flush(address(sender))   # before any newer reply of this resident
        return done
