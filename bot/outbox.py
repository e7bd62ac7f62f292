"""Durable outbox: messages that arrived while Rasa was down are kept, retried, and answered once.

Channel-agnostic. Adapters call `Outbox.handle(msg)` instead of `GatewayCore.handle(msg)`:

* Rasa answers → the replies, as with the core.
* Rasa unavailable → the message is stored in `pending_messages` and RasaUnavailable is raised
  again, so the adapter tells the resident at once (SERVICE_DOWN_TEXT).
* A background task (`start()`) retries the stored messages in order, per resident, when Rasa is
  back. A channel that can push (Telegram) registers a deliverer in `Outbox.deliverers[channel]`
  and gets the answers proactively; a channel that cannot (web) collects them with
  `take_answers(channel, user_id)`, which hands each answer over exactly once.

A resident's newer message never overtakes an older queued one: it is held until the queue of
that resident is drained (or queued behind it when Rasa is still down).

Delivery guarantees: an answer is stored in the same transaction that marks the message
answered, and handed over with a conditional UPDATE, so a resident never gets it twice. If the
process dies between Rasa answering and that commit, the message is sent to Rasa again on restart.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Awaitable, Callable

from sqlalchemy import func, select, update

from bot.background import BackgroundJob
from bot.core import EMPTY_TEXT, GatewayCore, start_message
from bot.messages import IncomingMessage, OutgoingMessage
from bot.rasa_client import RasaUnavailable
from hotich.db.base import utcnow
from hotich.db.models import PendingMessage
from hotich.db.session import session_scope
from hotich.privacy.logid import log_id

log = logging.getLogger(__name__)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

# A message Rasa keeps failing on while it answers other messages (e.g. a button whose action
# says nothing) is answered with EMPTY_TEXT after this many tries, so it cannot block the resident.
MAX_ATTEMPTS_WHILE_UP = 3
# "Rasa answers other messages" = it answered one *after* this message was queued. A success
# from before the outage proves nothing (that is how a queued message got lost during a restart).

# (user_id, answers) → True when the resident got them. Raising or returning False keeps them
# for a later attempt.
Deliverer = Callable[[str, list[OutgoingMessage]], Awaitable[bool]]


@dataclass
class QueuedReply:
    """The answers to one message that was queued while Rasa was down."""
    pending_id: int
    queued_at: datetime
    messages: list[OutgoingMessage]

    def to_json(self) -> dict:
        return {"id": self.pending_id, "queued_at": self.queued_at.isoformat(),
                "messages": [m.to_json() for m in self.messages]}


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
                         .where(PendingMessage.answered_at.is_(None))
                         .group_by(PendingMessage.sender_id)).all()
    return {sender: n for sender, n in rows}


def _unanswered_of(db_url: str, sender_id: str) -> list[PendingMessage]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(PendingMessage)
                              .where(PendingMessage.sender_id == sender_id, PendingMessage.answered_at.is_(None))
                              .order_by(PendingMessage.id)))


def _count_attempt(db_url: str, pending_id: int) -> int:
    with session_scope(db_url) as s:
        s.execute(update(PendingMessage).where(PendingMessage.id == pending_id)
                  .values(attempts=PendingMessage.attempts + 1))
        return s.scalar(select(PendingMessage.attempts).where(PendingMessage.id == pending_id)) or 0


def _store_answers(db_url: str, pending_id: int, answers: list[OutgoingMessage]) -> bool:
    with session_scope(db_url) as s:
        res = s.execute(update(PendingMessage)
                        .where(PendingMessage.id == pending_id, PendingMessage.answered_at.is_(None))
                        .values(answered_at=utcnow(), text=None, payload=None,
                                answers=json.dumps([a.to_json() for a in answers], ensure_ascii=False)))
        return res.rowcount == 1


def _undelivered(db_url: str, channel: str, user_id: str | None = None) -> list[PendingMessage]:
    with session_scope(db_url) as s:
        q = (select(PendingMessage)
             .where(PendingMessage.channel == channel, PendingMessage.answered_at.is_not(None),
                    PendingMessage.delivered_at.is_(None)))
        if user_id is not None:
            q = q.where(PendingMessage.user_id == user_id)
        return list(s.scalars(q.order_by(PendingMessage.id)))


def _claim_delivery(db_url: str, pending_id: int) -> bool:
    """Mark one answer as handed over; False when someone else already took it."""
    with session_scope(db_url) as s:
        res = s.execute(update(PendingMessage)
                        .where(PendingMessage.id == pending_id, PendingMessage.delivered_at.is_(None))
                        .values(delivered_at=utcnow(), answers=None))
        return res.rowcount == 1


def _count_unanswered(db_url: str, sender_id: str) -> int:
    with session_scope(db_url) as s:
        return s.scalar(select(func.count()).select_from(PendingMessage)
                        .where(PendingMessage.sender_id == sender_id, PendingMessage.answered_at.is_(None))) or 0


def _decode(row: PendingMessage) -> QueuedReply:
    items = json.loads(row.answers or "[]")
    return QueuedReply(row.id, row.created_at, [OutgoingMessage.from_rasa(i) for i in items])


# ---------------------------------------------------------------------------- the outbox

class Outbox(BackgroundJob):
    job_name = "outbox-retry"

    def __init__(self, core: GatewayCore, db_url: str, retry_interval_s: float = 5.0) -> None:
        self.core = core
        self.db_url = db_url
        self.retry_interval_s = retry_interval_s
        self.deliverers: dict[str, Deliverer] = {}
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
            except RasaUnavailable:
                await self._enqueue(msg)
                raise
            self._last_ok_at = datetime.now(timezone.utc)
            if self._waiting:
                self._wake.set()   # Rasa answers again: retry the queue now, not at the next tick
            return replies
        # This resident has older queued messages: answer those first, in order.
        async with self._lock(sender):
            try:
                await self._drain_sender(sender)
                return await self.core.handle(msg)
            except RasaUnavailable:
                await self._enqueue(msg)
                raise

    async def take_answers(self, channel: str, user_id: str) -> list[QueuedReply]:
        """Answers to this resident's queued messages not handed over yet; each is returned once."""
        rows = await asyncio.to_thread(_undelivered, self.db_url, channel, user_id)
        out: list[QueuedReply] = []
        for row in rows:
            if await asyncio.to_thread(_claim_delivery, self.db_url, row.id):
                out.append(_decode(row))
        if out:
            log.info("outbox: handed over %d queued answer(s) channel=%s user=%s", len(out), channel, log_id(user_id))
        return out

    async def waiting_count(self, channel: str, user_id: str) -> int:
        """How many of this resident's messages still wait for Rasa."""
        sender = IncomingMessage(channel=channel, user_id=user_id).sender_id
        if sender not in self._waiting:
            return 0
        return await asyncio.to_thread(_count_unanswered, self.db_url, sender)

    # -- background retry -------------------------------------------------------------------

    async def retry_once(self) -> int:
        """One retry round: answer queued messages while Rasa answers, push answers to the channels
        that can push. Returns how many messages were answered."""
        self._waiting = await asyncio.to_thread(_unanswered_senders, self.db_url)
        answered = 0
        for sender in list(self._waiting):
            async with self._lock(sender):
                try:
                    answered += await self._drain_sender(sender)
                except RasaUnavailable:
                    break   # still down: wait for the next round
        for channel, deliver in list(self.deliverers.items()):
            await self._push(channel, deliver)
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
        pending_id = await asyncio.to_thread(_enqueue, self.db_url, msg)
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
            if await asyncio.to_thread(_store_answers, self.db_url, row.id, answers):
                done += 1
                log.info("outbox: answered pending=%d sender=%s after %d attempt(s)", row.id, log_id(sender), row.attempts)
        self._waiting.pop(sender, None)
        self._locks.pop(sender, None)
        if done:
            self._wake.set()   # push the answers to channels that can push without waiting a round
        return done

    async def _push(self, channel: str, deliver: Deliverer) -> None:
        rows = await asyncio.to_thread(_undelivered, self.db_url, channel)
        for row in rows:
            reply = _decode(row)
            try:
                ok = await deliver(row.user_id, reply.messages)
            except Exception:
                log.exception("outbox: delivery failed pending=%d channel=%s", row.id, channel)
                continue
            if ok:
                await asyncio.to_thread(_claim_delivery, self.db_url, row.id)
