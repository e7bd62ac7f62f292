"""The delivery port: "deliver this to that resident now, or queue it for later".

Every message the gateway sends a resident on its own initiative goes through one `Delivery`,
built once in bot/app.py: answers to messages queued while Rasa was down (bot/outbox.py),
appointment reminders and closure notices (bot/reminders.py), review results of papers sent
ahead (bot/uploads.py), the officer's messages and the bot speaking again after a hand-off
(bot/handoff.py). Channels plug in as `Pusher`s (Telegram, Zalo Bot, Zalo OA); the web chat
cannot be pushed to, so its messages wait for the page, which collects them with `take`.

Guarantees (tests/test_delivery.py):

* Nothing is sent before it is stored: `send` writes an `outgoing_messages` row first, then
  *claims* it (one conditional UPDATE: pending → claimed, attempts + 1) and only the claimer
  pushes it. Two gateways or two rounds never both send a row; a claim left by a crashed run is
  taken over after `lease`. (A crash after the channel accepted the message but before `sent`
  is written sends it again: channels offer no idempotent send.)
* Transient failures (HTTP 429 with its retry-after, 5xx, network errors, the channel not
  connected yet) leave the row pending with an exponential backoff; after `max_attempts` it is
  given up.
* Permanent failures (Telegram 403 "blocked", Zalo OA -230 "no interaction for 7 days", an
  unknown chat) are not retried: the row is marked failed and the officers are told
  (`on_given_up`, the staff group), so a resident who cannot be reached is not silently lost.
* A busy or locked database does not lose the message: it is kept in memory and written (then
  sent) by the next round.
* Per resident, messages go out in the order they were queued; a row the page took or a push
  that succeeded is handed over exactly once, and its content is cleared then.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, Mapping, Protocol

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.background import BackgroundJob
from bot.identity import WEB, Address, address
from bot.messages import OutgoingMessage
from hotich.db.base import utcnow
from hotich.db.models import OutboundMessage
from hotich.db.session import session_scope

log = logging.getLogger(__name__)

PULL_CHANNELS = frozenset({WEB})
PENDING, CLAIMED, SENT, FAILED = "pending", "claimed", "sent", "failed"
KEEP_DONE = timedelta(days=30)          # bookkeeping of handed-over rows (no content) is pruned after

# What the officers read when a resident cannot be reached (reason → text).
GIVEN_UP_TEXT = {
    "blocked": "⚠️ Không gửi được tin nhắn tới người dân: người dân đã chặn hoặc rời khỏi kênh trò chuyện.",
    "window_closed": ("⚠️ Không gửi được tin nhắn tới người dân qua Zalo OA: đã quá 7 ngày kể từ lần cuối "
                      "người dân nhắn cho xã, Zalo không cho gửi tin tư vấn nữa. Cán bộ vui lòng gọi điện "
                      "cho người dân, hoặc chờ người dân nhắn lại."),
    "unknown_user": "⚠️ Không gửi được tin nhắn tới người dân: kênh trò chuyện không còn nhận ra người dân này.",
    "retries": "⚠️ Không gửi được tin nhắn tới người dân sau nhiều lần thử (kênh trò chuyện đang lỗi).",
}


class DeliveryError(Exception):
    """A push failed. `permanent`: retrying cannot help (reason is a GIVEN_UP_TEXT key)."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Pusher(Protocol):
    """A channel that can send to a resident unprompted. Raises DeliveryError (any other
    exception counts as transient)."""

    async def push(self, user_id: str, messages: list[OutgoingMessage], kind: str) -> None: ...


# (resident, kind of message, reason) → told the officers.
GiveUp = Callable[[Address, str, str], Awaitable[None]]


@dataclass
class QueuedReply:
    """Messages waiting for the web page (one queued unit: an answer, a notice, …)."""
    id: int
    queued_at: datetime
    kind: str
    messages: list[OutgoingMessage]

    def to_json(self) -> dict:
        return {"id": self.id, "queued_at": self.queued_at.isoformat(),
                "messages": [m.to_json() for m in self.messages]}


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _dump(messages: list[OutgoingMessage]) -> str:
    return json.dumps([m.to_json() for m in messages], ensure_ascii=False)


def _load(raw: str | None) -> list[OutgoingMessage]:
    return [OutgoingMessage.from_rasa(i) for i in json.loads(raw or "[]")]


def queue_in(s: Session, to: Address, kind: str, messages: list[OutgoingMessage]) -> OutboundMessage:
    """Queue inside the caller's transaction (the outbox stores an answer in the same commit that
    removes the message it answers). Call `Delivery.flush(to)` after the commit to push it."""
    row = OutboundMessage(sender_id=to.sender_id, channel=to.channel, user_id=to.user_id, kind=kind,
                          messages=_dump(messages), state=PENDING, attempts=0, next_attempt_at=utcnow())
    s.add(row)
    return row


# ---------------------------------------------------------------------------- database (sync)

def _insert(db_url: str, to: Address, kind: str, messages: list[OutgoingMessage]) -> int:
    with session_scope(db_url) as s:
        row = queue_in(s, to, kind, messages)
        s.flush()
        return row.id


def _due_of(db_url: str, sender_id: str, now: datetime, lease: timedelta) -> list[OutboundMessage]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(OutboundMessage)
                              .where(OutboundMessage.sender_id == sender_id,
                                     or_(OutboundMessage.state == PENDING,
                                         (OutboundMessage.state == CLAIMED) & (OutboundMessage.claimed_at < now - lease)))
                              .order_by(OutboundMessage.id)))


def _due_senders(db_url: str, channels: frozenset[str], now: datetime, lease: timedelta) -> list[str]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(OutboundMessage.sender_id)
                              .where(OutboundMessage.channel.in_(channels),
                                     or_((OutboundMessage.state == PENDING) & (OutboundMessage.next_attempt_at <= now),
                                         (OutboundMessage.state == CLAIMED) & (OutboundMessage.claimed_at < now - lease)))
                              .group_by(OutboundMessage.sender_id).order_by(func.min(OutboundMessage.id))))


def _claim(db_url: str, row_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    with session_scope(db_url) as s:
        res = s.execute(update(OutboundMessage)
                        .where(OutboundMessage.id == row_id,
                               or_((OutboundMessage.state == PENDING) & (OutboundMessage.next_attempt_at <= now),
                                   (OutboundMessage.state == CLAIMED) & (OutboundMessage.claimed_at < now - lease)))
                        .values(state=CLAIMED, claimed_by=worker, claimed_at=now,
                                attempts=OutboundMessage.attempts + 1)
                        .execution_options(synchronize_session=False))
        return res.rowcount == 1


def _finish(db_url: str, row_id: int, worker: str, state: str, error: str | None = None) -> None:
    with session_scope(db_url) as s:
        s.execute(update(OutboundMessage)
                  .where(OutboundMessage.id == row_id, OutboundMessage.claimed_by == worker)
                  .values(state=state, messages=None, done_at=utcnow(), error=error)
                  .execution_options(synchronize_session=False))


def _retry_later(db_url: str, row_id: int, worker: str, at: datetime, error: str) -> None:
    with session_scope(db_url) as s:
        s.execute(update(OutboundMessage)
                  .where(OutboundMessage.id == row_id, OutboundMessage.claimed_by == worker)
                  .values(state=PENDING, claimed_by=None, next_attempt_at=at, error=error[:64])
                  .execution_options(synchronize_session=False))


def _take(db_url: str, sender_id: str) -> list[QueuedReply]:
    out: list[QueuedReply] = []
    with session_scope(db_url) as s:
        rows = list(s.scalars(select(OutboundMessage)
                              .where(OutboundMessage.sender_id == sender_id, OutboundMessage.state == PENDING)
                              .order_by(OutboundMessage.id)))
    for row in rows:
        with session_scope(db_url) as s:
            res = s.execute(update(OutboundMessage)
                            .where(OutboundMessage.id == row.id, OutboundMessage.state == PENDING)
                            .values(state=SENT, messages=None, done_at=utcnow(), attempts=OutboundMessage.attempts + 1)
                            .execution_options(synchronize_session=False))
        if res.rowcount == 1:     # another poll (a second tab) may have taken it first
            out.append(QueuedReply(row.id, _aware(row.created_at), row.kind, _load(row.messages)))
    return out


def _prune(db_url: str, now: datetime) -> int:
    with session_scope(db_url) as s:
        return s.execute(delete(OutboundMessage).where(OutboundMessage.state.in_((SENT, FAILED)),
                                                       OutboundMessage.done_at < now - KEEP_DONE)).rowcount or 0


# ---------------------------------------------------------------------------- the port

class Delivery(BackgroundJob):
    job_name = "delivery"

    def __init__(self, db_url: str, pushers: Mapping[str, Pusher], *, on_given_up: GiveUp | None = None,
                 interval_s: float = 2.0, max_attempts: int = 8, backoff_s: float = 2.0,
                 max_backoff_s: float = 900.0, lease: timedelta = timedelta(minutes=5),
                 pull_channels: frozenset[str] = PULL_CHANNELS) -> None:
        self.db_url = db_url
        self.pushers = dict(pushers)
        self.on_given_up = on_given_up
        self.interval_s = interval_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.lease = lease
        self.pull_channels = pull_channels
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._spool: deque[tuple[Address, str, list[OutgoingMessage]]] = deque()   # DB was busy
        self._locks: dict[str, asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._last_prune: datetime | None = None

    def can_push(self, channel: str) -> bool:
        return channel in self.pushers

    # -- features -------------------------------------------------------------------------------

    async def send(self, to: Address, messages: list[OutgoingMessage], kind: str = "notice") -> str:
        """Deliver now when the channel can push, else queue for the resident's next visit.
        Returns "sent", "queued" (kept, will be retried / collected) or "failed" (given up)."""
        if not messages:
            return SENT
        try:
            row_id = await asyncio.to_thread(_insert, self.db_url, to, kind, messages)
        except OperationalError as exc:
            self._spool.append((to, kind, messages))
            log.warning("delivery: database busy (%s); message to %s kept in memory", type(exc).__name__, to.channel)
            self._wake.set()
            return "queued"
        if not self.can_push(to.channel):
            return "queued"
        states = await self.flush(to)
        return states.get(row_id, "queued")

    async def flush(self, to: Address) -> dict[int, str]:
        """Push this resident's due messages now, oldest first (stops at the first one that must wait)."""
        pusher = self.pushers.get(to.channel)
        if pusher is None:
            return {}
        async with self._lock(to.sender_id):
            return await self._drain(to, pusher)

    async def take(self, channel: str, user_id: str) -> list[QueuedReply]:
        """A pull channel (web page) collects what waits for it; each is returned once."""
        out = await asyncio.to_thread(_take, self.db_url, Address(channel, user_id).sender_id)
        if out:
            log.info("delivery: handed over %d queued message(s) to %s", len(out), channel)
        return out

    def wake(self) -> None:
        self._wake.set()

    # -- background ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Write what the busy DB could not take, then push every due row. Returns rows sent."""
        while self._spool:
            to, kind, messages = self._spool[0]
            try:
                await asyncio.to_thread(_insert, self.db_url, to, kind, messages)
            except OperationalError:
                return 0         # still busy: nothing else would work either; next round
            self._spool.popleft()
        now = utcnow()
        sent = 0
        channels = frozenset(self.pushers)
        for sender in await asyncio.to_thread(_due_senders, self.db_url, channels, now, self.lease):
            to = address(sender)
            async with self._lock(sender):
                states = await self._drain(to, self.pushers[to.channel])
            sent += sum(1 for st in states.values() if st == SENT)
        if self._last_prune is None or now - self._last_prune > timedelta(hours=1):
            self._last_prune = now
            await asyncio.to_thread(_prune, self.db_url, now)
        return sent

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except OperationalError as exc:
                log.warning("delivery: database busy (%s); next round", type(exc).__name__)
            except Exception:
                log.exception("delivery: round failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    # -- internals ----------------------------------------------------------------------------

    def _lock(self, sender: str) -> asyncio.Lock:
        return self._locks.setdefault(sender, asyncio.Lock())

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(0.0, retry_after)
        return min(self.backoff_s * (2 ** max(0, attempts - 1)), self.max_backoff_s)

    async def _drain(self, to: Address, pusher: Pusher) -> dict[int, str]:
        states: dict[int, str] = {}
        now = utcnow()
        for row in await asyncio.to_thread(_due_of, self.db_url, to.sender_id, now, self.lease):
            if _aware(row.next_attempt_at) > now and row.state == PENDING:
                break                                  # backing off: later ones wait behind it
            if not await asyncio.to_thread(_claim, self.db_url, row.id, self.worker, now, self.lease):
                continue                               # another sender has it
            attempts = row.attempts + 1
            try:
                await pusher.push(to.user_id, _load(row.messages), row.kind)
            except DeliveryError as exc:
                if exc.permanent or attempts >= self.max_attempts:
                    reason = exc.reason if exc.permanent else "retries"
                    await self._give_up(row.id, to, row.kind, reason)
                    states[row.id] = FAILED
                    continue
                await self._later(row.id, attempts, exc.retry_after, exc.reason)
                states[row.id] = "queued"
                break
            except Exception as exc:                   # network errors and the like: transient
                if attempts >= self.max_attempts:
                    await self._give_up(row.id, to, row.kind, "retries")
                    states[row.id] = FAILED
                    continue
                await self._later(row.id, attempts, None, type(exc).__name__)
                states[row.id] = "queued"
                break
            await asyncio.to_thread(_finish, self.db_url, row.id, self.worker, SENT)
            log.info("delivery: %s row=%d sent to %s after %d attempt(s)", row.kind, row.id, to.channel, attempts)
            states[row.id] = SENT
        return states

    async def _later(self, row_id: int, attempts: int, retry_after: float | None, error: str) -> None:
        delay = self._backoff(attempts, retry_after)
        await asyncio.to_thread(_retry_later, self.db_url, row_id, self.worker,
                                utcnow() + timedelta(seconds=delay), error)
        log.warning("delivery: row=%d not sent (%s), retry in %.0fs", row_id, error, delay)

    async def _give_up(self, row_id: int, to: Address, kind: str, reason: str) -> None:
        await asyncio.to_thread(_finish, self.db_url, row_id, self.worker, FAILED, reason)
        log.warning("delivery: row=%d to %s given up (%s)", row_id, to.channel, reason)
        if self.on_given_up is not None:
            try:
                await self.on_given_up(to, kind, reason)
            except Exception:
                log.exception("delivery: telling the officers about row=%d failed", row_id)
